package io.sluice.sdk.ship;

/** A collector address: where a {@link GrpcShipper} connects ({@code PipelineConfig}'s {@code endpoint} key). */
public record Endpoint(String host, int port) {
  @Override
  public String toString() {
    return host + ":" + port;
  }
}
