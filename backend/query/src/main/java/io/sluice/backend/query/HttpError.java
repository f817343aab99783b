package io.sluice.backend.query;

/**
 * A request that ends with an error status and a JSON body {@code {"error": message, "parameter": name}}; the
 * parameter is set for 400s caused by one query parameter.
 */
final class HttpError extends Exception {
  final int status;
  final String parameter;

  HttpError(int status, String parameter, String message) {
    super(message, null, false, false);
    this.status = status;
    this.parameter = parameter;
  }

  static HttpError badParameter(String parameter, String message) {
    return new HttpError(400, parameter, parameter + ": " + message);
  }
}
