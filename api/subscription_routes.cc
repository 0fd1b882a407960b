// The /v1/subscriptions endpoints of the Router (declared in router.h):
//
//   POST   /v1/subscriptions        create  -> 201 Subscription (with its secret)
//   GET    /v1/subscriptions        list    -> 200 {"subscriptions":[Subscription...]}
//   GET    /v1/subscriptions/{id}   one     -> 200 Subscription | 404
//   DELETE /v1/subscriptions/{id}   delete  -> 204 | 404
//
// POST and DELETE are mutations: bearer token, body size and content type
// are checked like PUT /v1/self/tags. Reads never show the secret.

#include <nlohmann/json.hpp>
#include <utility>

#include "api/errors.h"
#include "api/json_writer.h"
#include "api/names.h"
#include "api/router.h"
#include "api/subscriptions.h"
#include "api/uri.h"
#include "membership/types.h"

namespace picket::api {
namespace {

void AppendOptionalTime(std::string& out, const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) {
    out.append("null");
    return;
  }
  out.push_back('"');
  AppendRfc3339(out, *t);
  out.push_back('"');
}

std::string RenderSubscription(const Subscription& s, bool with_secret) {
  const DeliveryStatus d = s.status();
  std::string out = "{\"id\":";
  AppendJsonString(out, s.id());
  out.append(",\"url\":");
  AppendJsonString(out, s.url());
  out.append(",\"events\":[");
  bool first = true;
  for (int i = 0; i < membership::kEventTypeCount; ++i) {
    const auto type = static_cast<membership::EventType>(i);
    if (!s.Accepts(type)) continue;
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, membership::ToString(type));
  }
  out.append("],\"description\":");
  AppendJsonString(out, s.description());
  out.append(",\"static\":");
  out.append(s.is_static() ? "true" : "false");
  out.append(",\"created\":\"");
  AppendRfc3339(out, s.created());
  out.push_back('"');
  if (with_secret) {
    out.append(",\"secret\":");
    AppendJsonString(out, s.secret());
  }
  out.append(",\"delivery\":{\"queue_length\":");
  AppendUint(out, d.queue_length);
  out.append(",\"attempts\":");
  AppendUint(out, d.attempts);
  out.append(",\"total_attempts\":");
  AppendUint(out, d.total_attempts);
  out.append(",\"delivered\":");
  AppendUint(out, d.delivered);
  out.append(",\"dropped\":");
  AppendUint(out, d.dropped);
  out.append(",\"last_success\":");
  AppendOptionalTime(out, d.last_success);
  out.append(",\"last_error\":");
  if (d.last_error.empty()) {
    out.append("null");
  } else {
    AppendJsonString(out, d.last_error);
  }
  out.append(",\"last_error_time\":");
  AppendOptionalTime(out, d.last_error_time);
  out.append(",\"next_attempt\":");
  AppendOptionalTime(out, d.next_attempt);
  out.append("}}");
  return out;
}

HttpResponse InvalidField(std::string message) {
  return ErrorResponse(ErrorCode::kInvalidField, message);
}

// Parses the POST body into a spec, or returns the 400 to send.
std::variant<SubscriptionSpec, HttpResponse> ParseSpec(std::string_view body) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) {
    return ErrorResponse(ErrorCode::kInvalidJson, "the request body is not valid JSON");
  }
  if (!json.is_object()) return InvalidField("the request body must be a JSON object");
  SubscriptionSpec spec;
  bool has_url = false;
  for (const auto& [key, value] : json.items()) {
    if (key == "url") {
      if (!value.is_string()) return InvalidField("'url' must be a string");
      spec.url = value.get<std::string>();
      has_url = true;
    } else if (key == "events") {
      if (value.is_null()) continue;
      if (!value.is_array()) return InvalidField("'events' must be an array of event types");
      for (const auto& item : value) {
        if (!item.is_string()) return InvalidField("'events' must be an array of event types");
        spec.events.push_back(item.get<std::string>());
      }
    } else if (key == "secret") {
      if (value.is_null()) continue;
      if (!value.is_string()) return InvalidField("'secret' must be a string");
      spec.secret = value.get<std::string>();
    } else if (key == "description") {
      if (value.is_null()) continue;
      if (!value.is_string()) return InvalidField("'description' must be a string");
      spec.description = value.get<std::string>();
    } else {
      std::string message = "unknown field ";
      AppendJsonString(message, key);
      message.append(" (known: url, events, secret, description)");
      return InvalidField(std::move(message));
    }
  }
  if (!has_url) return InvalidField("'url' is required");
  return spec;
}

}  // namespace

HttpResponse Router::Subscriptions(const HttpRequest& request, std::string_view rest) {
  SubscriptionStore& store = *options_.subscriptions;
  if (rest.empty()) {
    if (request.method == "GET") {
      std::string body = "{\"subscriptions\":[";
      bool first = true;
      for (const SubscriptionPtr& s : store.List()) {
        if (!first) body.push_back(',');
        first = false;
        body.append(RenderSubscription(*s, false));
      }
      body.append("]}");
      return JsonResponse(200, std::move(body));
    }
    if (request.method != "POST") return MethodNotAllowed(request, "GET, POST");
    if (auto error = CheckMutation(request, true)) return std::move(*error);
    auto parsed = ParseSpec(request.body);
    if (auto* error = std::get_if<HttpResponse>(&parsed)) return std::move(*error);
    auto created = store.Create(std::move(std::get<SubscriptionSpec>(parsed)));
    if (created.subscription == nullptr) return InvalidField(created.status.error());
    HttpResponse response = JsonResponse(201, RenderSubscription(*created.subscription, true));
    response.headers.emplace_back("Location", "/v1/subscriptions/" + created.subscription->id());
    return response;
  }
  const std::string_view encoded = rest.substr(1);  // rest starts with '/'
  if (encoded.empty() || encoded.find('/') != std::string_view::npos) {
    std::string message = "no such route: ";
    message.append(request.path);
    return ErrorResponse(ErrorCode::kNotFound, message);
  }
  const bool get = request.method == "GET";
  if (!get && request.method != "DELETE") return MethodNotAllowed(request, "GET, DELETE");
  if (!get) {
    if (auto error = CheckMutation(request, false)) return std::move(*error);
  }
  const auto id = PercentDecode(encoded, false);
  if (!id) return ErrorResponse(ErrorCode::kBadRequest, "malformed percent-encoding in id");
  auto not_found = [&] {
    std::string message = "no subscription with id ";
    AppendJsonString(message, *id);
    return ErrorResponse(ErrorCode::kSubscriptionNotFound, message);
  };
  if (get) {
    const SubscriptionPtr s = store.Get(*id);
    if (s == nullptr) return not_found();
    return JsonResponse(200, RenderSubscription(*s, false));
  }
  if (!store.Delete(*id)) return not_found();
  HttpResponse response;
  response.status = 204;
  return response;
}

}  // namespace picket::api
