#pragma once

// API errors: a machine-readable code, an HTTP status, and the JSON body
// {"error":{"code":"...","message":"..."}}. The codes are part of the public
// contract (api/README.md lists them); add codes, never rename one.

#include <string_view>

#include "api/http_message.h"

namespace picket::api {

enum class ErrorCode {
  kBadRequest,            // 400 bad_request: a bad query parameter or path
  kInvalidJson,           // 400 invalid_json: the body is not JSON
  kInvalidField,          // 400 invalid_field: JSON of the wrong shape or field type
  kInvalidTags,           // 400 invalid_tags: the agent refused the tags
  kUnauthorized,          // 401 unauthorized: missing or wrong bearer token
  kForbidden,             // 403 forbidden: mutations refused on an exposed API without a token
  kNotFound,              // 404 not_found: no such route
  kMemberNotFound,        // 404 member_not_found: no member with that name
  kSubscriptionNotFound,  // 404 subscription_not_found: no webhook subscription with that id
  kMethodNotAllowed,      // 405 method_not_allowed (with an Allow header)
  kPayloadTooLarge,       // 413 payload_too_large
  kUnsupportedMediaType,  // 415 unsupported_media_type
  kInternal,              // 500 internal
  kNotReady,              // 503 not_ready: not joined yet / no view published yet
  kUnavailable,           // 503 unavailable: overloaded or shutting down
};

// "not_found", ... and the matching HTTP status.
std::string_view ErrorCodeName(ErrorCode code);
int ErrorStatus(ErrorCode code);

// A complete error response.
HttpResponse ErrorResponse(ErrorCode code, std::string_view message);
// 405 with the Allow header listing `allow` ("GET, POST").
HttpResponse MethodNotAllowed(const HttpRequest& request, std::string_view allow);
// A JSON body with this status.
HttpResponse JsonResponse(int status, std::string body);

// The reason phrase of an HTTP status ("Not Found"); "Unknown" if not known.
std::string_view ReasonPhrase(int status);

}  // namespace picket::api
