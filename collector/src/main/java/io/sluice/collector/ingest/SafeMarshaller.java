package io.sluice.collector.ingest;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.InputStream;
import java.util.List;

/**
 * A request marshaller that never throws. gRPC answers a request it cannot parse (garbage, nesting past protobuf's
 * recursion limit of 100) with UNKNOWN ("Application error processing RPC") and logs a SEVERE stack trace per
 * message, which a client can cause at will. This one hands such a message to the service as the default instance
 * marked with an unknown field ({@value #UNDECODABLE_FIELD}, the largest field number protobuf allows, used by no
 * schema) carrying the parser's message; the service answers INVALID_ARGUMENT ({@link #undecodable}). Stateless.
 */
public final class SafeMarshaller<T extends Message> implements MethodDescriptor.Marshaller<T> {
  static final int UNDECODABLE_FIELD = (1 << 29) - 1;

  private final MethodDescriptor.Marshaller<T> delegate;
  private final T prototype;

  private SafeMarshaller(MethodDescriptor.Marshaller<T> delegate, T prototype) {
    this.delegate = delegate;
    this.prototype = prototype;
  }

  @Override
  public InputStream stream(T value) {
    return delegate.stream(value);
  }

  @Override
  @SuppressWarnings("unchecked")
  public T parse(InputStream stream) {
    try {
      return delegate.parse(stream);
    } catch (RuntimeException | StackOverflowError e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      return (T) prototype.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder().addField(UNDECODABLE_FIELD,
          UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(why)).build()).build())
          .build();
    }
  }

  /** Why {@code message} could not be parsed, or null if it was parsed (not marked by this marshaller). */
  public static String undecodable(Message message) {
    UnknownFieldSet unknown = message.getUnknownFields();
    if (!unknown.hasField(UNDECODABLE_FIELD)) {
      return null;
    }
    List<ByteString> why = unknown.getField(UNDECODABLE_FIELD).getLengthDelimitedList();
    return why.isEmpty() ? "undecodable" : why.get(0).toStringUtf8();
  }

  /** {@code service} with every method's request marshaller made safe; requests are of {@code prototype}'s type. */
  public static ServerServiceDefinition rebind(ServerServiceDefinition service, Message prototype) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(rebind(m, prototype));
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> ServerMethodDefinition<Q, R> rebind(ServerMethodDefinition<Q, R> m, Message prototype) {
    MethodDescriptor<Q, R> md = m.getMethodDescriptor();
    MethodDescriptor.Marshaller<Q> safe = (MethodDescriptor.Marshaller<Q>) new SafeMarshaller<>(
        (MethodDescriptor.Marshaller<Message>) md.getRequestMarshaller(), prototype);
    return ServerMethodDefinition.create(md.toBuilder().setRequestMarshaller(safe).build(), m.getServerCallHandler());
  }
}
