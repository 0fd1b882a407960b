// The service-health endpoints of the Router (declared in router.h):
//
//   PUT /v1/self/service      {"status": "passing"|"warning"|"critical", "output": str}
//                             -> 200 {"status", "output"}: the application's own word
//                             (a push check; with --check-ttl, silence past the TTL is critical)
//   PUT /v1/self/maintenance  {"enabled": bool, "reason": str} -> 200 {"maintenance", "reason"}
//   GET /v1/self/checks       -> 200 {"service": Service|null, "maintenance": bool,
//                                     "checks": [Check...]}
//
// The PUTs are mutations: bearer token, body size and content type are
// checked like PUT /v1/self/tags; the change reaches the event loop through
// the CommandSink and shows in /v1/self once it has been published.

#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/json_writer.h"
#include "api/names.h"
#include "membership/types.h"
#include "api/render.h"
#include "api/router.h"

namespace picket::api {
namespace {

// Longest output text accepted from the application (what is gossiped is
// cut further, to membership::tuning::kMaxServiceOutputBytes).
constexpr std::size_t kMaxPushedOutputBytes = 4096;

std::optional<membership::ServiceHealth> ParsePushedStatus(std::string_view name) {
  if (name == "passing") return membership::ServiceHealth::kPassing;
  if (name == "warning") return membership::ServiceHealth::kWarning;
  if (name == "critical") return membership::ServiceHealth::kCritical;
  return std::nullopt;
}

// Parses a JSON object body; on failure `error` holds the response.
std::optional<nlohmann::json> ObjectBody(const HttpRequest& request,
                                         std::optional<HttpResponse>& error) {
  nlohmann::json json = nlohmann::json::parse(request.body, nullptr, false);
  if (json.is_discarded()) {
    error = ErrorResponse(ErrorCode::kInvalidJson, "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!json.is_object()) {
    error = ErrorResponse(ErrorCode::kInvalidField, "the request body must be a JSON object");
    return std::nullopt;
  }
  return json;
}

// The optional string field `name` ("" when absent); on a wrong type `error` is set.
std::string OptionalString(const nlohmann::json& body, const char* name,
                           std::optional<HttpResponse>& error) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) {
    error = ErrorResponse(ErrorCode::kInvalidField, std::string("\"") + name + "\" must be a string");
    return {};
  }
  std::string value = it->get<std::string>();
  if (value.size() > kMaxPushedOutputBytes) {
    error = ErrorResponse(ErrorCode::kInvalidField, std::string("\"") + name + "\" is longer than " +
                                                        std::to_string(kMaxPushedOutputBytes) +
                                                        " bytes");
  }
  return value;
}

nlohmann::json OptionalStatus(const std::optional<membership::ServiceHealth>& status) {
  if (!status) return nullptr;
  return std::string(membership::ToString(*status));
}

}  // namespace

HttpResponse Router::PutService(const HttpRequest& request) {
  if (auto error = CheckMutation(request, true)) return std::move(*error);
  std::optional<HttpResponse> error;
  const auto body = ObjectBody(request, error);
  if (!body) return std::move(*error);
  const auto status_field = body->find("status");
  if (status_field == body->end() || !status_field->is_string()) {
    return ErrorResponse(ErrorCode::kInvalidField,
                         "\"status\" is required: \"passing\", \"warning\" or \"critical\"");
  }
  const auto status = ParsePushedStatus(status_field->get<std::string>());
  if (!status) {
    return ErrorResponse(ErrorCode::kInvalidField,
                         "\"status\" must be \"passing\", \"warning\" or \"critical\" (maintenance "
                         "is PUT /v1/self/maintenance)");
  }
  std::string output = OptionalString(*body, "output", error);
  if (error) return std::move(*error);
  const nlohmann::json answer = {{"status", membership::ToString(*status)}, {"output", output}};
  if (const Status s = commands_.PushService(*status, std::move(output)); !s) {
    return ErrorResponse(ErrorCode::kUnavailable, s.error());
  }
  return JsonResponse(200, answer.dump());
}

HttpResponse Router::PutMaintenance(const HttpRequest& request) {
  if (auto error = CheckMutation(request, true)) return std::move(*error);
  std::optional<HttpResponse> error;
  const auto body = ObjectBody(request, error);
  if (!body) return std::move(*error);
  const auto enabled = body->find("enabled");
  if (enabled == body->end() || !enabled->is_boolean()) {
    return ErrorResponse(ErrorCode::kInvalidField, "\"enabled\" is required: true or false");
  }
  std::string reason = OptionalString(*body, "reason", error);
  if (error) return std::move(*error);
  const nlohmann::json answer = {{"maintenance", enabled->get<bool>()}, {"reason", reason}};
  if (const Status s = commands_.SetMaintenance(enabled->get<bool>(), std::move(reason)); !s) {
    return ErrorResponse(ErrorCode::kUnavailable, s.error());
  }
  return JsonResponse(200, answer.dump());
}

HttpResponse Router::Checks() {
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) {
    return ErrorResponse(ErrorCode::kNotReady, "the agent has not published its view yet");
  }
  const WallClockMapping clock = WallClockMapping::Of(*view);
  nlohmann::json checks = nlohmann::json::array();
  for (const LocalCheckInfo& c : view->checks) {
    std::string last_run;
    if (c.last_run) AppendRfc3339(last_run, clock.ToWall(*c.last_run));
    checks.push_back({{"name", c.name},
                      {"kind", c.kind},
                      {"target", c.target},
                      {"status", OptionalStatus(c.status)},
                      {"output", c.output},
                      {"last_run", c.last_run ? nlohmann::json(last_run) : nlohmann::json()},
                      {"duration_ms", c.duration_ms},
                      {"runs", c.runs},
                      {"consecutive_failures", c.consecutive_failures},
                      {"consecutive_successes", c.consecutive_successes},
                      {"discarded_late", c.discarded_late}});
  }
  std::string service;
  AppendService(service, view->self.service);
  nlohmann::json answer = {{"service", nlohmann::json::parse(service)},
                           {"maintenance", view->maintenance},
                           {"checks", std::move(checks)}};
  return JsonResponse(200, answer.dump());
}

}  // namespace picket::api
