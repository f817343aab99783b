package io.sluice.collector.auth;

import io.grpc.Status;

/** A client could not be authenticated (UNAUTHENTICATED) or is not allowed what it asked (PERMISSION_DENIED). */
public final class AuthException extends Exception {
  private final Status status;
  private final String method;

  public AuthException(Status status, String method, String description) {
    super(description);
    this.status = status.withDescription(description);
    this.method = method;
  }

  /** The gRPC status to close the stream with, carrying the description. */
  public Status status() {
    return status;
  }

  /** The method that failed, for the auth_failures metric. */
  public String method() {
    return method;
  }
}
