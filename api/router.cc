#include "api/router.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "api/errors.h"
#include "api/event_stream.h"
#include "api/http_header_field.h"
#include "api/json_writer.h"
#include "api/owners.h"
#include "api/subscriptions.h"
#include "api/uri.h"

namespace picket::api {
namespace {

constexpr std::string_view kMembersPrefix = "/v1/members/";

// GET /healthz: the process serves.
HttpResponse Alive() { return JsonResponse(200, R"({"status":"ok"})"); }

HttpResponse NoView() {
  return ErrorResponse(ErrorCode::kNotReady, "the agent has not published its view yet");
}

// "application/json" with optional parameters ("; charset=utf-8").
bool IsJsonContentType(std::string_view content_type) {
  return EqualsIgnoreCase(TrimHeaderWhitespace(content_type.substr(0, content_type.find(';'))),
                          "application/json");
}

// Time depends only on the length of `presented`, never on where it differs
// from `expected` or on the length of `expected`. REQUIRES: !expected.empty().
bool ConstantTimeEquals(std::string_view presented, std::string_view expected) {
  unsigned diff = presented.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned>(static_cast<unsigned char>(presented[i]) ^
                                  static_cast<unsigned char>(expected[i % expected.size()]));
  }
  return diff == 0;
}

std::optional<std::uint64_t> ParseUint(std::string_view text) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Non-negative decimal seconds ("10", "0.25").
std::optional<double> ParseSeconds(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() ||
      !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

using Params = std::vector<std::pair<std::string, std::string>>;

const std::string* FindParam(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

void AppendTagsObject(std::string& out, const membership::Tags& tags) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : tags) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out.push_back('}');
}

}  // namespace

Router::Router(RouterOptions options, const ViewPublisher& views, const EventLog& log,
               CommandSink& commands, const ApiStats* stats)
    : options_(std::move(options)), views_(views), log_(log), commands_(commands), stats_(stats) {}

RouteResult Router::Route(const HttpRequest& request, membership::TimePoint now) {
  if (options_.routes == RouteTable::kOperations) return RouteOperations(request, now);
  const std::string_view path = request.path;
  const bool get = request.method == "GET";
  if (path == "/healthz") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Alive();
  }
  if (path == "/readyz") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Ready();
  }
  if (path == "/metrics") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Metrics(now);
  }
  if (path == "/v1/members") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Members(now);
  }
  if (path.substr(0, kMembersPrefix.size()) == kMembersPrefix) {
    const std::string_view name = path.substr(kMembersPrefix.size());
    if (name.empty() || name.find('/') != std::string_view::npos) {
      return ErrorResponse(ErrorCode::kNotFound, "no such route");
    }
    if (!get) return MethodNotAllowed(request, "GET");
    return Member(name, now);
  }
  if (path == "/v1/self") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Self(now);
  }
  if (path == "/v1/self/tags") {
    if (get) return GetTags();
    if (request.method == "PUT") return PutTags(request);
    return MethodNotAllowed(request, "GET, PUT");
  }
  if (path == "/v1/self/service") {
    if (request.method != "PUT") return MethodNotAllowed(request, "PUT");
    return PutService(request);
  }
  if (path == "/v1/self/maintenance") {
    if (request.method != "PUT") return MethodNotAllowed(request, "PUT");
    return PutMaintenance(request);
  }
  if (path == "/v1/self/checks") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Checks();
  }
  if (path == "/v1/events") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Events(request, now);
  }
  if (path == "/v1/events/stream") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Stream(request);
  }
  if (path == "/v1/owners") {
    if (!get) return MethodNotAllowed(request, "GET");
    return Owners(request.query, now);
  }
  if (path == "/v1/leave") {
    if (request.method != "POST") return MethodNotAllowed(request, "POST");
    return Leave(request);
  }
  if (options_.subscriptions != nullptr &&
      (path == "/v1/subscriptions" || path.starts_with("/v1/subscriptions/"))) {
    return Subscriptions(request, path.substr(17));  // "" or "/{id}"
  }
  std::string message = "no such route: ";
  message.append(path);
  return ErrorResponse(ErrorCode::kNotFound, message);
}

HttpResponse Router::RouteOperations(const HttpRequest& request, membership::TimePoint now) {
  // The whole listener is read-only: any other method is 405, whatever the path.
  if (request.method != "GET") return MethodNotAllowed(request, "GET");
  const std::string_view path = request.path;
  if (path == "/healthz") return Alive();
  if (path == "/readyz") return Ready();
  if (path == "/metrics") return Metrics(now);
  std::string message = "no such route on the operations listener (GET /healthz, /readyz, "
                        "/metrics only): ";
  message.append(path);
  return ErrorResponse(ErrorCode::kNotFound, message);
}

HttpResponse Router::Ready() {
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  if (!view->joined) return ErrorResponse(ErrorCode::kNotReady, "not joined a cluster yet");
  if (view->leaving) return ErrorResponse(ErrorCode::kNotReady, "leaving the cluster");
  return JsonResponse(200, R"({"status":"ready"})");
}

HttpResponse Router::Metrics(membership::TimePoint now) {
  const ClusterViewPtr view = views_.Latest();
  HttpResponse response;
  response.content_type = std::string(kMetricsContentType);
  response.body =
      RenderMetrics(view.get(), log_.GetStats(), stats_ != nullptr ? *stats_ : ApiStats{}, now);
  AppendWebhookMetrics(response.body, options_.subscriptions != nullptr
                                          ? options_.subscriptions->Metrics()
                                          : WebhookMetrics{});
  if (options_.hook_metrics) AppendHookMetrics(response.body, options_.hook_metrics());
  return response;
}

HttpResponse Router::Members(membership::TimePoint now) {
  // last_seq first, then the view: the agent publishes a view before it
  // appends the events it reflects, so this view reflects every event up to
  // last_seq (and maybe a few more, which a reader then sees twice).
  const std::uint64_t last_seq = log_.LastSeq();
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  return JsonResponse(200, members_cache_.Render(view, now, last_seq));
}

HttpResponse Router::Member(std::string_view encoded_name, membership::TimePoint now) {
  const auto name = PercentDecode(encoded_name, false);
  if (!name) return ErrorResponse(ErrorCode::kBadRequest, "malformed percent-encoding in name");
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  std::string body = RenderMemberByName(*view, *name, now);
  if (body.empty()) {
    std::string message = "no member named ";
    AppendJsonString(message, *name);
    return ErrorResponse(ErrorCode::kMemberNotFound, message);
  }
  return JsonResponse(200, std::move(body));
}

HttpResponse Router::Self(membership::TimePoint now) {
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  return JsonResponse(200, RenderSelf(*view, now));
}

HttpResponse Router::Owners(std::string_view query, membership::TimePoint now) {
  const auto params = ParseQuery(query);
  if (!params) return ErrorResponse(ErrorCode::kBadRequest, "malformed query string");
  const std::string* key = FindParam(*params, "key");
  if (key == nullptr || key->empty()) {
    return ErrorResponse(ErrorCode::kBadRequest, "query parameter 'key' is required");
  }
  std::uint64_t n = 1;
  if (const std::string* n_text = FindParam(*params, "n")) {
    const auto parsed = ParseUint(*n_text);
    if (!parsed || *parsed < 1 || *parsed > options_.max_owners) {
      std::string message = "query parameter 'n' must be an integer from 1 to ";
      AppendUint(message, options_.max_owners);
      return ErrorResponse(ErrorCode::kBadRequest, message);
    }
    n = *parsed;
  }
  bool include_unhealthy = false;
  if (const std::string* text = FindParam(*params, "include_unhealthy")) {
    if (*text != "true" && *text != "false") {
      return ErrorResponse(ErrorCode::kBadRequest,
                           "query parameter 'include_unhealthy' must be true or false");
    }
    include_unhealthy = *text == "true";
  }
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  const auto owners =
      RendezvousOwners(view->members, *key, static_cast<std::size_t>(n), include_unhealthy);
  const WallClockMapping clock = WallClockMapping::Of(*view);
  std::string body;
  body.reserve(64 + owners.size() * 320);
  body.append("{\"key\":");
  AppendJsonString(body, *key);
  body.append(",\"n\":");
  AppendUint(body, n);
  body.append(",\"owners\":[");
  for (std::size_t i = 0; i < owners.size(); ++i) {
    if (i != 0) body.push_back(',');
    AppendMember(body, view->members[owners[i]], clock, now);
  }
  body.append("]}");
  return JsonResponse(200, std::move(body));
}

RouteResult Router::Events(const HttpRequest& request, membership::TimePoint now) {
  const auto params = ParseQuery(request.query);
  if (!params) return ErrorResponse(ErrorCode::kBadRequest, "malformed query string");
  std::uint64_t since = 0;
  if (const std::string* text = FindParam(*params, "since")) {
    const auto parsed = ParseUint(*text);
    if (!parsed) {
      return ErrorResponse(ErrorCode::kBadRequest,
                           "query parameter 'since' must be a non-negative integer");
    }
    since = *parsed;
  }
  std::chrono::steady_clock::duration timeout = options_.default_poll_timeout;
  if (const std::string* text = FindParam(*params, "timeout")) {
    const auto seconds = ParseSeconds(*text);
    const double max_seconds = std::chrono::duration<double>(options_.max_poll_timeout).count();
    if (!seconds || *seconds > max_seconds) {
      std::string message = "query parameter 'timeout' must be a number of seconds from 0 to ";
      AppendJsonNumber(message, max_seconds);
      return ErrorResponse(ErrorCode::kBadRequest, message);
    }
    timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(*seconds));
  }
  std::size_t limit = options_.default_event_limit;
  if (const std::string* text = FindParam(*params, "limit")) {
    const auto parsed = ParseUint(*text);
    if (!parsed || *parsed < 1 || *parsed > options_.max_event_limit) {
      std::string message = "query parameter 'limit' must be an integer from 1 to ";
      AppendUint(message, options_.max_event_limit);
      return ErrorResponse(ErrorCode::kBadRequest, message);
    }
    limit = static_cast<std::size_t>(*parsed);
  }
  const EventLog::ReadResult read = log_.Read(since, 1);
  if (!read.events.empty() || read.resync || timeout <= std::chrono::steady_clock::duration{}) {
    return EventsResponse(since, limit, now);
  }
  return LongPoll{since, timeout, limit};
}

HttpResponse Router::EventsResponse(std::uint64_t since, std::size_t limit,
                                    membership::TimePoint now) const {
  const EventLog::ReadResult read = log_.Read(since, limit);
  const ClusterViewPtr view = read.resync ? views_.Latest() : nullptr;
  return JsonResponse(
      200, RenderEventsBody(read, since, view.get(), now, std::chrono::system_clock::now()));
}

RouteResult Router::Stream(const HttpRequest& request) {
  if (!request.last_event_id.empty()) {
    const auto parsed = ParseUint(TrimHeaderWhitespace(request.last_event_id));
    if (!parsed) {
      return ErrorResponse(ErrorCode::kBadRequest,
                           "header Last-Event-ID must be a non-negative integer");
    }
    return EventStream{*parsed};
  }
  const auto params = ParseQuery(request.query);
  if (!params) return ErrorResponse(ErrorCode::kBadRequest, "malformed query string");
  if (const std::string* text = FindParam(*params, "since")) {
    const auto parsed = ParseUint(*text);
    if (!parsed) {
      return ErrorResponse(ErrorCode::kBadRequest,
                           "query parameter 'since' must be a non-negative integer");
    }
    return EventStream{*parsed};
  }
  return EventStream{log_.LastSeq()};
}

Router::SseChunk Router::SseFrames(std::uint64_t since, std::size_t limit,
                                   membership::TimePoint now) const {
  const EventLog::ReadResult read = log_.Read(since, limit);
  SseChunk chunk;
  chunk.next_since = NextSince(read, since);
  if (read.events.empty() && !read.resync) return chunk;
  const ClusterViewPtr view = read.resync ? views_.Latest() : nullptr;
  chunk.frames = RenderSseFrames(read, view.get(), now, std::chrono::system_clock::now());
  return chunk;
}

std::optional<HttpResponse> Router::CheckMutation(const HttpRequest& request,
                                                  bool body_required) const {
  if (!options_.mutations_refused.empty()) {
    return ErrorResponse(ErrorCode::kForbidden, options_.mutations_refused);
  }
  if (!options_.bearer_token.empty()) {
    const std::string_view auth = TrimHeaderWhitespace(request.authorization);
    constexpr std::string_view kScheme = "bearer ";
    const bool has_scheme =
        auth.size() > kScheme.size() && EqualsIgnoreCase(auth.substr(0, kScheme.size()), kScheme);
    if (!has_scheme || !ConstantTimeEquals(TrimHeaderWhitespace(auth.substr(kScheme.size())),
                                           options_.bearer_token)) {
      HttpResponse response =
          ErrorResponse(ErrorCode::kUnauthorized, request.authorization.empty()
                                                      ? "this endpoint requires a bearer token"
                                                      : "the bearer token is not valid");
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"picket\"");
      return response;
    }
  }
  if (request.body.size() > options_.max_body_bytes) {
    std::string message = "the request body is larger than ";
    AppendUint(message, options_.max_body_bytes);
    message.append(" bytes");
    return ErrorResponse(ErrorCode::kPayloadTooLarge, message);
  }
  if ((body_required || !request.body.empty()) && !IsJsonContentType(request.content_type)) {
    std::string message = "the request body must be application/json, not ";
    message.append(request.content_type.empty() ? std::string_view("(none)")
                                                : request.content_type);
    return ErrorResponse(ErrorCode::kUnsupportedMediaType, message);
  }
  return std::nullopt;
}

HttpResponse Router::Leave(const HttpRequest& request) {
  if (auto error = CheckMutation(request, false)) return std::move(*error);
  commands_.Leave();
  return JsonResponse(202, R"({"status":"leaving"})");
}

HttpResponse Router::GetTags() {
  const ClusterViewPtr view = views_.Latest();
  if (view == nullptr) return NoView();
  std::string body = "{\"tags\":";
  AppendTagsObject(body, view->self.tags);
  body.push_back('}');
  return JsonResponse(200, std::move(body));
}

HttpResponse Router::PutTags(const HttpRequest& request) {
  if (auto error = CheckMutation(request, true)) return std::move(*error);
  const nlohmann::json json = nlohmann::json::parse(request.body, nullptr, false);
  if (json.is_discarded()) {
    return ErrorResponse(ErrorCode::kInvalidJson, "the request body is not valid JSON");
  }
  if (!json.is_object()) {
    return ErrorResponse(ErrorCode::kInvalidField,
                         "the request body must be a JSON object of string values");
  }
  membership::Tags tags;
  for (const auto& [key, value] : json.items()) {
    if (key.empty()) return ErrorResponse(ErrorCode::kInvalidField, "tag names must not be empty");
    if (!value.is_string()) {
      std::string message = "tag ";
      AppendJsonString(message, key);
      message.append(" must be a string");
      return ErrorResponse(ErrorCode::kInvalidField, message);
    }
    tags.emplace(key, value.get<std::string>());
  }
  std::string body = "{\"tags\":";
  AppendTagsObject(body, tags);
  body.push_back('}');
  const Status status = commands_.SetTags(std::move(tags));
  if (!status) return ErrorResponse(ErrorCode::kInvalidTags, status.error());
  return JsonResponse(202, std::move(body));
}

}  // namespace picket::api
