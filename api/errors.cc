#include "api/errors.h"

#include <string>
#include <utility>

#include "api/json_writer.h"

namespace picket::api {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kInvalidJson:
      return "invalid_json";
    case ErrorCode::kInvalidField:
      return "invalid_field";
    case ErrorCode::kInvalidTags:
      return "invalid_tags";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMemberNotFound:
      return "member_not_found";
    case ErrorCode::kSubscriptionNotFound:
      return "subscription_not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kNotReady:
      return "not_ready";
    case ErrorCode::kUnavailable:
      return "unavailable";
  }
  return "internal";
}

int ErrorStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
    case ErrorCode::kInvalidJson:
    case ErrorCode::kInvalidField:
    case ErrorCode::kInvalidTags:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
    case ErrorCode::kMemberNotFound:
    case ErrorCode::kSubscriptionNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kNotReady:
    case ErrorCode::kUnavailable:
      return 503;
  }
  return 500;
}

HttpResponse ErrorResponse(ErrorCode code, std::string_view message) {
  HttpResponse response;
  response.status = ErrorStatus(code);
  response.body.reserve(64 + message.size());
  response.body.append("{\"error\":{\"code\":\"");
  response.body.append(ErrorCodeName(code));
  response.body.append("\",\"message\":");
  AppendJsonString(response.body, message);
  response.body.append("}}");
  return response;
}

HttpResponse MethodNotAllowed(const HttpRequest& request, std::string_view allow) {
  std::string message = "method ";
  message.append(request.method).append(" is not allowed on ").append(request.path);
  message.append("; allowed: ").append(allow);
  HttpResponse response = ErrorResponse(ErrorCode::kMethodNotAllowed, message);
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace picket::api
