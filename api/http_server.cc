// The RESTinio glue of the HTTP API. The only file that includes RESTinio.

#include "api/http_server.h"

#include <asio.hpp>
#include <atomic>
#include <climits>
#include <future>
#include <map>
#include <optional>
#include <restinio/all.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "api/errors.h"

namespace picket::api {
namespace {

// RESTinio's default method mapping under its own name, so that the parser
// settings of this server can be specialised (create_parser_settings below).
struct HttpMethods : restinio::default_http_methods_t {};

struct Traits
    : restinio::single_thread_traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t> {
  using http_methods_mapper_t = HttpMethods;
};
using Server = restinio::http_server_t<Traits>;
using StreamResponse = restinio::response_builder_t<restinio::chunked_output_t>;

// Events written to an SSE stream per write; the rest follow when it completes.
constexpr std::size_t kSseBatch = 1000;
// Extra time RESTinio allows a request beyond the longest long poll before
// it closes the connection itself.
constexpr std::chrono::seconds kHandleRequestSlack{30};

std::string_view View(restinio::string_view_t s) { return {s.data(), s.size()}; }

// Set by OnHeadersComplete on a request whose Content-Length is above the
// body limit, to the announced length. Only trusted together with an empty body.
constexpr std::string_view kOversizedBodyField = "X-Picket-Oversized-Body";

// RESTinio closes the connection without a word when a Content-Length is
// above incoming_http_msg_limits' max_body_size. Instead, the request is
// passed on without its body (returning 1 tells http_parser to skip it) and
// marked, so that Handle answers 413 and closes the connection; the body is
// never read. Chunked bodies (no Content-Length) over the limit still close.
int OnHeadersComplete(http_parser* parser) {
  auto* ctx = reinterpret_cast<restinio::impl::http_parser_ctx_t*>(parser->data);
  if (parser->content_length != ULLONG_MAX &&
      parser->content_length > ctx->m_limits.max_body_size()) {
    ctx->m_leading_headers_completed = true;
    ctx->m_header.set_field(std::string(kOversizedBodyField),
                            std::to_string(parser->content_length));
    return 1;
  }
  return restinio::impl::restinio_headers_complete_cb(parser);
}

}  // namespace
}  // namespace picket::api

// The parser settings of this server: RESTinio's, with OnHeadersComplete.
template <>
inline http_parser_settings
restinio::impl::create_parser_settings<picket::api::HttpMethods>() noexcept {
  http_parser_settings settings = create_parser_settings<restinio::default_http_methods_t>();
  settings.on_headers_complete = [](http_parser* parser) -> int {
    return picket::api::OnHeadersComplete(parser);
  };
  return settings;
}

namespace picket::api {

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, ViewPublisher& views, EventLog& log, CommandSink& commands)
      : options_(std::move(options)),
        log_(log),
        router_(options_.router, views, log, commands, &stats_) {}

  ~Impl() { Stop(); }

  Status Start();
  void Stop();
  std::uint16_t port() const { return port_.load(); }

 private:
  // One SSE client. Owned by streams_; write notifications hold a weak_ptr,
  // so a notification that arrives after the stream was dropped (or during
  // shutdown) does nothing.
  struct StreamState {
    std::uint64_t id = 0;
    std::uint64_t since = 0;  // the last seq written (or resync point)
    bool writing = false;     // a flush is in flight
    std::optional<StreamResponse> response;
  };

  struct Waiter {
    restinio::request_handle_t request;
    LongPoll poll;
    std::unique_ptr<asio::steady_timer> timer;
  };

  // All private methods below run on the server thread only.
  restinio::request_handling_status_t Handle(const restinio::request_handle_t& request);
  // `close`: the last response on this connection (Connection: close).
  void Respond(const restinio::request_handle_t& request, HttpResponse response,
               bool close = false);
  void StartLongPoll(const restinio::request_handle_t& request, const LongPoll& poll);
  void FinishWaiter(std::uint64_t id);
  void StartStream(const restinio::request_handle_t& request, const EventStream& stream);
  void WriteStream(const std::shared_ptr<StreamState>& stream, std::string prefix);
  void OnStreamWritten(const std::shared_ptr<StreamState>& stream, const asio::error_code& ec);
  void ScheduleKeepAlive();
  void Notify();
  void Shutdown();
  void UpdateGauges() {
    stats_.long_poll_waiters = waiters_.size();
    stats_.event_streams = streams_.size();
  }

  const HttpServerOptions options_;
  EventLog& log_;
  ApiStats stats_;  // server thread only
  Router router_;   // server thread only

  std::unique_ptr<asio::io_context> io_context_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> notify_posted_{false};
  std::optional<EventLog::ListenerId> listener_;
  bool running_ = false;  // guarded by the Start/Stop caller (one owner thread)

  // Server thread only.
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Waiter> waiters_;
  std::map<std::uint64_t, std::shared_ptr<StreamState>> streams_;
  std::unique_ptr<asio::steady_timer> keepalive_timer_;
};

Status HttpServer::Impl::Start() {
  if (running_ || io_context_) return Fail("the HTTP server was already started");
  asio::error_code ec;
  const std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    return Fail("invalid HTTP listen address '" + options_.host +
                         "': expected an IPv4 or IPv6 address");
  }
  io_context_ = std::make_unique<asio::io_context>(1);

  restinio::server_settings_t<Traits> settings;
  settings.address(address)
      .port(options_.port)
      .request_handler([this](restinio::request_handle_t request) { return Handle(request); })
      .acceptor_post_bind_hook(
          [this](asio::ip::tcp::acceptor& acceptor) { port_ = acceptor.local_endpoint().port(); })
      .socket_options_setter([](restinio::socket_options_t& socket) {
        // Whole responses are written at once; Nagle would only hold back the
        // tail of a large body until the client's delayed ACK (~40 ms).
        asio::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay{true}, ignored);
      })
      .incoming_http_msg_limits(
          restinio::incoming_http_msg_limits_t{}.max_body_size(options_.hard_body_limit))
      .handle_request_timeout(options_.router.max_poll_timeout + kHandleRequestSlack)
      .read_next_http_message_timelimit(std::chrono::seconds(60))
      .write_http_response_timelimit(std::chrono::seconds(10));
  try {
    server_ =
        std::make_unique<Server>(restinio::external_io_context(*io_context_), std::move(settings));
    server_->open_sync();  // binds and listens; accepting starts with the thread
  } catch (const std::exception& e) {
    server_.reset();
    io_context_.reset();
    return Fail("cannot listen for HTTP on " + options_.host + ":" +
                         std::to_string(options_.port) + ": " + e.what());
  }
  keepalive_timer_ = std::make_unique<asio::steady_timer>(*io_context_);
  ScheduleKeepAlive();
  listener_ = log_.AddListener([this] {
    // Coalesce bursts of appends into one wake-up of the server thread.
    if (!notify_posted_.exchange(true)) {
      asio::post(*io_context_, [this] {
        notify_posted_ = false;
        Notify();
      });
    }
  });
  running_ = true;
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(*io_context_);
    io_context_->run();
  });
  return Status{};
}

void HttpServer::Impl::Stop() {
  if (!running_) return;
  running_ = false;
  if (listener_) log_.RemoveListener(*listener_);
  listener_.reset();
  std::promise<void> done;
  asio::post(*io_context_, [this, &done] {
    Shutdown();
    done.set_value();
  });
  done.get_future().wait();
  io_context_->stop();
  thread_.join();
  server_.reset();
  keepalive_timer_.reset();
  io_context_.reset();  // destroys the remaining connections
}

void HttpServer::Impl::Shutdown() {
  const auto now = membership::Clock::now();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, waiter] : waiters) {
    waiter.timer->cancel();
    Respond(waiter.request, router_.EventsResponse(waiter.poll.since, waiter.poll.limit, now));
  }
  // Moved out first: a write may complete inline and look its stream up.
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    if (!stream->writing) stream->response->done();
  }
  keepalive_timer_->cancel();
  UpdateGauges();
  server_->close_sync();
}

restinio::request_handling_status_t HttpServer::Impl::Handle(
    const restinio::request_handle_t& request) {
  const auto& header = request->header();
  HttpRequest in;
  in.method = header.method().c_str();
  in.path = View(header.path());
  in.query = View(header.query());
  if (auto v = header.opt_value_of(restinio::http_field::content_type)) in.content_type = View(*v);
  if (auto v = header.opt_value_of(restinio::http_field::authorization)) {
    in.authorization = View(*v);
  }
  if (auto v = header.opt_value_of("Last-Event-ID")) in.last_event_id = View(*v);
  in.body = request->body();
  if (auto v = header.opt_value_of(kOversizedBodyField); v && in.body.empty()) {
    std::string message = "the request body (";
    message.append(View(*v));
    message.append(" bytes) is larger than the ");
    message.append(std::to_string(options_.hard_body_limit));
    message.append(" bytes this server reads; it was not read, and the connection is closed");
    Respond(request, ErrorResponse(ErrorCode::kPayloadTooLarge, message), /*close=*/true);
    return restinio::request_accepted();
  }

  RouteResult result = router_.Route(in, membership::Clock::now());
  if (auto* response = std::get_if<HttpResponse>(&result)) {
    Respond(request, std::move(*response));
  } else if (auto* poll = std::get_if<LongPoll>(&result)) {
    StartLongPoll(request, *poll);
  } else {
    StartStream(request, std::get<EventStream>(result));
  }
  return restinio::request_accepted();
}

void HttpServer::Impl::Respond(const restinio::request_handle_t& request, HttpResponse response,
                               bool close) {
  const int status = response.status;
  auto builder = request->create_response(
      restinio::http_status_line_t{restinio::http_status_code_t{static_cast<std::uint16_t>(status)},
                                   std::string(ReasonPhrase(status))});
  if (close) builder.connection_close();
  builder.append_header(restinio::http_field::content_type, std::move(response.content_type));
  for (auto& [name, value] : response.headers) {
    builder.append_header(std::move(name), std::move(value));
  }
  builder.set_body(std::move(response.body));
  builder.done();
  ++stats_.responses_by_code[status];
}

void HttpServer::Impl::StartLongPoll(const restinio::request_handle_t& request,
                                     const LongPoll& poll) {
  if (waiters_.size() + streams_.size() >= options_.max_waiting_clients) {
    Respond(request, ErrorResponse(ErrorCode::kUnavailable,
                                   "too many clients waiting for events; retry later"));
    return;
  }
  const std::uint64_t id = next_id_++;
  Waiter& waiter = waiters_[id];
  waiter.request = request;
  waiter.poll = poll;
  waiter.timer = std::make_unique<asio::steady_timer>(*io_context_, poll.timeout);
  waiter.timer->async_wait([this, id](const asio::error_code& ec) {
    if (ec != asio::error::operation_aborted) FinishWaiter(id);
  });
  UpdateGauges();
  // An append between the router's read and now has posted a Notify that
  // runs after this handler, so no event can be missed.
}

void HttpServer::Impl::FinishWaiter(std::uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Respond(it->second.request, router_.EventsResponse(it->second.poll.since, it->second.poll.limit,
                                                     membership::Clock::now()));
  waiters_.erase(it);
  UpdateGauges();
}

void HttpServer::Impl::StartStream(const restinio::request_handle_t& request,
                                   const EventStream& stream) {
  if (waiters_.size() + streams_.size() >= options_.max_waiting_clients) {
    Respond(request, ErrorResponse(ErrorCode::kUnavailable,
                                   "too many clients waiting for events; retry later"));
    return;
  }
  auto state = std::make_shared<StreamState>();
  state->id = next_id_++;
  state->since = stream.since;
  state->response.emplace(request->create_response<restinio::chunked_output_t>());
  state->response->append_header(restinio::http_field::content_type,
                                 "text/event-stream; charset=utf-8");
  state->response->append_header(restinio::http_field::cache_control, "no-cache");
  state->response->append_header("X-Accel-Buffering", "no");
  streams_.emplace(state->id, state);
  ++stats_.responses_by_code[200];
  UpdateGauges();
  // The first write sends the headers, a reconnection delay for EventSource
  // clients and any backlog after `since`.
  WriteStream(state, "retry: 2000\n: picket event stream\n\n");
}

void HttpServer::Impl::WriteStream(const std::shared_ptr<StreamState>& stream, std::string prefix) {
  Router::SseChunk chunk = router_.SseFrames(stream->since, kSseBatch, membership::Clock::now());
  if (chunk.frames.empty() && prefix.empty()) return;
  stream->since = chunk.next_since;
  prefix.append(chunk.frames);
  stream->writing = true;
  stream->response->append_chunk(std::move(prefix));
  std::weak_ptr<StreamState> weak = stream;
  stream->response->flush([this, weak](const asio::error_code& ec) {
    if (auto locked = weak.lock()) OnStreamWritten(locked, ec);
  });
}

void HttpServer::Impl::OnStreamWritten(const std::shared_ptr<StreamState>& stream,
                                       const asio::error_code& ec) {
  stream->writing = false;
  if (ec) {  // the client went away (or the connection timed out)
    streams_.erase(stream->id);
    UpdateGauges();
    return;
  }
  WriteStream(stream, {});
}

void HttpServer::Impl::ScheduleKeepAlive() {
  keepalive_timer_->expires_after(options_.sse_keepalive);
  keepalive_timer_->async_wait([this](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    // Copy: a write to a closed connection fails inline and erases its stream.
    std::vector<std::shared_ptr<StreamState>> streams;
    streams.reserve(streams_.size());
    for (auto& [id, stream] : streams_) streams.push_back(stream);
    for (auto& stream : streams) {
      if (!stream->writing) WriteStream(stream, ": keepalive\n\n");
    }
    ScheduleKeepAlive();
  });
}

void HttpServer::Impl::Notify() {
  const std::uint64_t last_seq = log_.LastSeq();
  const auto now = membership::Clock::now();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter& waiter = it->second;
    if (waiter.poll.since == last_seq) {  // still nothing new for this one
      ++it;
      continue;
    }
    waiter.timer->cancel();
    Respond(waiter.request, router_.EventsResponse(waiter.poll.since, waiter.poll.limit, now));
    it = waiters_.erase(it);
  }
  // Copy: a failed write may erase from streams_ while we iterate.
  std::vector<std::shared_ptr<StreamState>> streams;
  streams.reserve(streams_.size());
  for (auto& [id, stream] : streams_) streams.push_back(stream);
  for (auto& stream : streams) {
    if (!stream->writing) WriteStream(stream, {});
  }
  UpdateGauges();
}

HttpServer::HttpServer(HttpServerOptions options, ViewPublisher& views, EventLog& log,
                       CommandSink& commands)
    : impl_(std::make_unique<Impl>(std::move(options), views, log, commands)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
std::uint16_t HttpServer::port() const { return impl_->port(); }

}  // namespace picket::api
