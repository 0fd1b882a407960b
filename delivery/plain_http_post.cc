#include "delivery/plain_http_post.h"

#include <http_parser.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <cctype>
#include <system_error>

#include "api/http_header_field.h"

namespace picket::delivery {
namespace {

using Clock = std::chrono::steady_clock;

// Bounds each run of the io_context, so the stop flag and the deadline are
// looked at this often.
constexpr std::chrono::milliseconds kSlice{50};
// Status line, headers and the (discarded) body of one response.
constexpr std::size_t kMaxResponseBytes = 1 << 20;

std::string_view UrlField(std::string_view url, const http_parser_url& parsed, int field) {
  return url.substr(parsed.field_data[field].off, parsed.field_data[field].len);
}

bool HasField(const http_parser_url& parsed, int field) {
  return (parsed.field_set & (1u << field)) != 0;
}

bool IsHttpScheme(std::string_view scheme) {
  return api::EqualsIgnoreCase(scheme, "http") || api::EqualsIgnoreCase(scheme, "https");
}

// "[::1]" for IPv6 literals, the host unchanged otherwise.
std::string BracketedHost(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

// "Connection refused" -> "connection refused".
std::string Describe(const std::error_code& ec) {
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// An error message for a header that cannot be sent as given; "" if fine.
std::string CheckHeader(std::string_view name, std::string_view value) {
  constexpr std::string_view kForbidden("\r\n\0", 3);
  if (name.empty() || name.find_first_of(kForbidden) != std::string_view::npos ||
      name.find_first_of(": \t") != std::string_view::npos) {
    return "invalid header name '" +
           std::string(api::TrimHeaderWhitespace(name.substr(0, name.find_first_of("\r\n")))) + "'";
  }
  if (value.find_first_of(kForbidden) != std::string_view::npos) {
    return "header " + std::string(name) + " has CR, LF or NUL in its value";
  }
  // The poster writes these itself; a second copy would make the request ambiguous.
  for (std::string_view own : {"host", "content-length", "transfer-encoding", "connection"}) {
    if (api::EqualsIgnoreCase(name, own))
      return "header " + std::string(name) + " is set by the poster";
  }
  return "";
}

std::string BuildRequest(const ParsedHttpUrl& url, const PostRequest& request) {
  std::string host = BracketedHost(url.host);
  if (url.port != 80) host += ":" + std::to_string(url.port);
  std::string out;
  out.reserve(256 + request.body.size());
  out += "POST " + url.target + " HTTP/1.1\r\n";
  out += "Host: " + host + "\r\n";
  out += "User-Agent: " + request.user_agent + "\r\n";
  out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
  out += "Connection: keep-alive\r\n\r\n";
  out += request.body;
  return out;
}

// Feeds response bytes to http_parser (HTTP_RESPONSE mode) and keeps what the
// poster needs: status, Retry-After, whether the connection may be reused.
// Interim 1xx responses are skipped.
class ResponseParser {
 public:
  ResponseParser() {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
  }

  // Parses `data`; an empty `data` tells the parser the connection closed.
  // Returns false on a malformed response (see error()).
  bool Feed(std::string_view data) {
    const std::size_t parsed = http_parser_execute(&parser_, &Settings(), data.data(), data.size());
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      // Paused on message completion; bytes after the response make the
      // connection's state unknown.
      if (parsed < data.size()) keep_alive_ = false;
      return true;
    }
    return err == HPE_OK;
  }

  bool complete() const { return complete_; }
  bool keep_alive() const { return keep_alive_; }
  long status() const { return status_; }
  const std::string& retry_after() const { return retry_after_; }
  std::string error() const { return http_errno_description(HTTP_PARSER_ERRNO(&parser_)); }

 private:
  static ResponseParser& Self(http_parser* parser) {
    return *static_cast<ResponseParser*>(parser->data);
  }

  static const http_parser_settings& Settings() {
    static const http_parser_settings settings = [] {
      http_parser_settings s{};
      s.on_message_begin = [](http_parser* p) { return Self(p).OnMessageBegin(); };
      s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
        return Self(p).OnHeaderField({at, n});
      };
      s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
        return Self(p).OnHeaderValue({at, n});
      };
      s.on_headers_complete = [](http_parser* p) { return Self(p).OnHeadersComplete(); };
      s.on_message_complete = [](http_parser* p) { return Self(p).OnMessageComplete(); };
      return s;
    }();
    return settings;
  }

  int OnMessageBegin() {
    status_ = 0;
    retry_after_.clear();
    field_.clear();
    value_.clear();
    in_value_ = false;
    return 0;
  }

  // Names and values may arrive in pieces (split across reads): accumulate
  // until the next name starts or the headers end.
  int OnHeaderField(std::string_view piece) {
    if (in_value_) EndHeader();
    field_.append(piece);
    return 0;
  }

  int OnHeaderValue(std::string_view piece) {
    in_value_ = true;
    value_.append(piece);
    return 0;
  }

  int OnHeadersComplete() {
    if (in_value_) EndHeader();
    status_ = static_cast<long>(parser_.status_code);
    return 0;
  }

  int OnMessageComplete() {
    if (status_ >= 100 && status_ < 200) return 0;  // interim; the real response follows
    complete_ = true;
    keep_alive_ = http_should_keep_alive(&parser_) != 0;
    http_parser_pause(&parser_, 1);
    return 0;
  }

  void EndHeader() {
    if (api::EqualsIgnoreCase(field_, "retry-after")) {
      retry_after_ = std::string(api::TrimHeaderWhitespace(value_));
    }
    field_.clear();
    value_.clear();
    in_value_ = false;
  }

  http_parser parser_{};
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  long status_ = 0;
  std::string retry_after_;
  bool complete_ = false;
  bool keep_alive_ = false;
};

}  // namespace

std::string_view UrlErrorText(UrlError error) {
  switch (error) {
    case UrlError::kNone:
      return "";
    case UrlError::kInvalid:
      return "not a valid URL";
    case UrlError::kScheme:
      return "scheme must be http or https";
    case UrlError::kNoHost:
      return "no host";
    case UrlError::kCredentials:
      return "credentials in the URL are not supported";
    case UrlError::kPort:
      return "port must be 1-65535";
  }
  return "not a valid URL";
}

UrlParseResult ParseHttpUrl(std::string_view url) {
  const auto fail = [](UrlError error) { return UrlParseResult{std::nullopt, error}; };
  http_parser_url parsed;
  http_parser_url_init(&parsed);
  const bool ok = !url.empty() && http_parser_parse_url(url.data(), url.size(), 0, &parsed) == 0;
  const std::string_view scheme =
      HasField(parsed, UF_SCHEMA) ? UrlField(url, parsed, UF_SCHEMA) : "";
  // A failed parse still reports the fields it got through; use them to say
  // what is wrong when the URL at least starts like "scheme://".
  const bool has_authority = !scheme.empty() && url.substr(scheme.size()).substr(0, 3) == "://";
  if (!ok && !has_authority) return fail(UrlError::kInvalid);
  if (!IsHttpScheme(scheme)) return fail(UrlError::kScheme);
  if (!HasField(parsed, UF_HOST) || parsed.field_data[UF_HOST].len == 0) {
    return fail(UrlError::kNoHost);
  }
  if (!ok) return fail(UrlError::kInvalid);
  if (HasField(parsed, UF_USERINFO)) return fail(UrlError::kCredentials);
  if (HasField(parsed, UF_PORT) && parsed.port == 0) return fail(UrlError::kPort);

  ParsedHttpUrl out;
  out.scheme = api::EqualsIgnoreCase(scheme, "http") ? "http" : "https";
  out.host = std::string(UrlField(url, parsed, UF_HOST));
  out.port = HasField(parsed, UF_PORT) ? parsed.port : (out.scheme == "http" ? 80 : 443);
  out.target = HasField(parsed, UF_PATH) ? std::string(UrlField(url, parsed, UF_PATH)) : "/";
  if (HasField(parsed, UF_QUERY)) out.target += "?" + std::string(UrlField(url, parsed, UF_QUERY));
  return {std::move(out), UrlError::kNone};
}

class PlainHttpPoster::Impl {
 public:
  explicit Impl(std::string bind_address) : bind_text_(std::move(bind_address)) {
    if (!bind_text_.empty()) {
      std::error_code ec;
      bind_ip_ = asio::ip::make_address(bind_text_, ec);
      bind_valid_ = !ec;
    }
  }

  ~Impl() { Close(); }

  PostResult Post(const PostRequest& request, const std::atomic<bool>& stop);

 private:
  // One Post call: its limits and the endpoint named in messages.
  struct Call {
    Clock::time_point deadline;
    std::chrono::milliseconds timeout;
    const std::atomic<bool>& stop;
    std::string endpoint;  // "host:port"
  };

  // What one asynchronous operation reported. Handlers hold it by shared_ptr
  // so an operation abandoned on timeout or stop (its handler runs during a
  // later call, or never) touches nothing that is gone.
  struct Completion {
    bool done = false;
    std::error_code ec;
    std::size_t bytes = 0;
    // The handler of an async read or write that records into `c`.
    static auto Recorder(std::shared_ptr<Completion> c) {
      return [c = std::move(c)](const std::error_code& error, std::size_t n) {
        c->done = true;
        c->ec = error;
        c->bytes = n;
      };
    }
  };

  enum class Wait { kDone, kTimedOut, kStopped };

  // The outcome of sending the request and reading the response once.
  struct Exchange {
    PostResult result;
    bool retry = false;  // a reused connection was found dead; try a new one
  };

  template <typename Cancel>
  Wait Await(const Completion& completion, const Call& call, Cancel cancel);
  static PostResult Interrupted(Wait wait, const Call& call);
  static PostResult Failed(std::string error);

  std::optional<PostResult> Connect(const ParsedHttpUrl& url, const Call& call);
  Exchange SendAndReceive(const Call& call, bool reused);
  void Close();

  // Declared first so it is destroyed last, after the objects that use it.
  asio::io_context io_;
  asio::ip::tcp::resolver resolver_{io_};
  asio::ip::tcp::socket socket_{io_};
  std::string bind_text_;
  asio::ip::address bind_ip_;
  bool bind_valid_ = true;
  std::string connection_endpoint_;  // "host:port" socket_ is connected to, when open
  // Members rather than locals: an abandoned operation may still refer to them.
  std::string request_bytes_;
  std::array<char, 16 * 1024> read_buffer_{};
};

template <typename Cancel>
PlainHttpPoster::Impl::Wait PlainHttpPoster::Impl::Await(const Completion& completion,
                                                         const Call& call, Cancel cancel) {
  while (!completion.done) {
    if (call.stop.load()) {
      cancel();
      return Wait::kStopped;
    }
    const auto now = Clock::now();
    if (now >= call.deadline) {
      cancel();
      return Wait::kTimedOut;
    }
    io_.restart();
    io_.run_for(std::min<Clock::duration>(kSlice, call.deadline - now));
  }
  return Wait::kDone;
}

PostResult PlainHttpPoster::Impl::Interrupted(Wait wait, const Call& call) {
  PostResult result;
  if (wait == Wait::kTimedOut) {
    result.timed_out = true;
    result.error = "timeout after " + std::to_string(call.timeout.count()) + " ms";
  } else {
    result.aborted = true;
    result.error = "aborted: stop requested";
  }
  return result;
}

PostResult PlainHttpPoster::Impl::Failed(std::string error) {
  PostResult result;
  result.error = std::move(error);
  return result;
}

void PlainHttpPoster::Impl::Close() {
  std::error_code ignored;
  socket_.close(ignored);
  connection_endpoint_.clear();
  // Run the handlers the close just cancelled; never blocks.
  io_.restart();
  io_.poll();
}

// Resolves (numeric hosts skip DNS) and connects socket_, trying each address
// in turn. Returns the failure, or nullopt when connected.
std::optional<PostResult> PlainHttpPoster::Impl::Connect(const ParsedHttpUrl& url,
                                                         const Call& call) {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  std::error_code ec;
  const asio::ip::address numeric = asio::ip::make_address(url.host, ec);
  if (!ec) {
    endpoints.emplace_back(numeric, url.port);
  } else {
    auto completion = std::make_shared<Completion>();
    auto results = std::make_shared<asio::ip::tcp::resolver::results_type>();
    resolver_.async_resolve(url.host, std::to_string(url.port),
                            asio::ip::tcp::resolver::numeric_service,
                            [completion, results](const std::error_code& error,
                                                  asio::ip::tcp::resolver::results_type found) {
                              completion->done = true;
                              completion->ec = error;
                              *results = std::move(found);
                            });
    // getaddrinfo cannot be interrupted: on timeout or stop the lookup is
    // abandoned and its handler runs later against its own state.
    const Wait wait = Await(*completion, call, [this] { resolver_.cancel(); });
    if (wait != Wait::kDone) return Interrupted(wait, call);
    if (completion->ec) {
      return Failed("cannot resolve " + url.host + ": " + Describe(completion->ec));
    }
    for (const auto& entry : *results) endpoints.push_back(entry.endpoint());
  }

  std::error_code last = asio::error::host_not_found;
  for (const auto& endpoint : endpoints) {
    Close();
    socket_.open(endpoint.protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    if (!bind_text_.empty()) {
      if (bind_ip_.is_v4() != endpoint.address().is_v4()) {
        last = asio::error::address_family_not_supported;
        continue;
      }
      socket_.bind(asio::ip::tcp::endpoint(bind_ip_, 0), ec);
      if (ec) {
        Close();
        return Failed("cannot bind to " + bind_text_ + ": " + Describe(ec));
      }
    }
    auto completion = std::make_shared<Completion>();
    socket_.async_connect(endpoint, [completion](const std::error_code& error) {
      completion->done = true;
      completion->ec = error;
    });
    const Wait wait = Await(*completion, call, [this] { Close(); });
    if (wait != Wait::kDone) return Interrupted(wait, call);
    if (!completion->ec) return std::nullopt;
    last = completion->ec;
  }
  Close();
  return Failed(Describe(last) + " to " + call.endpoint);
}

PlainHttpPoster::Impl::Exchange PlainHttpPoster::Impl::SendAndReceive(const Call& call,
                                                                      bool reused) {
  const auto close = [this] { Close(); };
  auto written = std::make_shared<Completion>();
  asio::async_write(socket_, asio::buffer(request_bytes_), Completion::Recorder(written));
  if (const Wait wait = Await(*written, call, close); wait != Wait::kDone) {
    return {Interrupted(wait, call), false};
  }
  if (written->ec) {
    Close();
    return {Failed(Describe(written->ec) + " while sending to " + call.endpoint), reused};
  }

  ResponseParser parser;
  std::size_t received = 0;
  while (!parser.complete()) {
    auto read = std::make_shared<Completion>();
    socket_.async_read_some(asio::buffer(read_buffer_), Completion::Recorder(read));
    if (const Wait wait = Await(*read, call, close); wait != Wait::kDone) {
      return {Interrupted(wait, call), false};
    }
    // An idle keep-alive connection the server has closed fails like this
    // before any byte of the response: worth one retry on a new connection.
    const bool dead_before_response = reused && received == 0;
    if (read->ec == asio::error::eof) {
      if (received > 0 && parser.Feed({}) && parser.complete()) break;  // close-delimited body
      Close();
      return {Failed("connection closed by " + call.endpoint + " before a complete response"),
              dead_before_response};
    }
    if (read->ec) {
      Close();
      return {Failed(Describe(read->ec) + " while reading from " + call.endpoint),
              dead_before_response};
    }
    received += read->bytes;
    if (received > kMaxResponseBytes) {
      Close();
      return {Failed("response too large (over 1 MiB) from " + call.endpoint), false};
    }
    if (!parser.Feed({read_buffer_.data(), read->bytes})) {
      Close();
      return {Failed("malformed response: " + parser.error()), false};
    }
  }
  if (!parser.keep_alive()) Close();

  PostResult result;
  result.status = parser.status();
  result.retry_after = parser.retry_after();
  return {std::move(result), false};
}

PostResult PlainHttpPoster::Impl::Post(const PostRequest& request, const std::atomic<bool>& stop) {
  const UrlParseResult parsed = ParseHttpUrl(request.url);
  const std::optional<ParsedHttpUrl>& url = parsed.url;
  if (!url) return Failed("invalid URL: " + std::string(UrlErrorText(parsed.error)));
  if (url->scheme != "http") return Failed("only http:// URLs are supported by this client");
  for (const auto& [name, value] : request.headers) {
    if (std::string bad = CheckHeader(name, value); !bad.empty()) return Failed(bad);
  }
  if (std::string bad = CheckHeader("User-Agent", request.user_agent); !bad.empty()) {
    return Failed(bad);
  }
  if (!bind_valid_) return Failed("invalid bind address '" + bind_text_ + "'");

  const Call call{Clock::now() + request.timeout, request.timeout, stop,
                  BracketedHost(url->host) + ":" + std::to_string(url->port)};
  if (stop.load()) return Interrupted(Wait::kStopped, call);
  request_bytes_ = BuildRequest(*url, request);
  if (socket_.is_open() && connection_endpoint_ != call.endpoint) Close();

  for (int attempt = 0;; ++attempt) {
    const bool reused = socket_.is_open();
    if (!reused) {
      if (std::optional<PostResult> failure = Connect(*url, call)) return *failure;
      connection_endpoint_ = call.endpoint;
    }
    Exchange exchange = SendAndReceive(call, reused);
    if (!exchange.retry || attempt > 0) return std::move(exchange.result);
  }
}

PlainHttpPoster::PlainHttpPoster(std::string bind_address)
    : impl_(std::make_unique<Impl>(std::move(bind_address))) {}

PlainHttpPoster::~PlainHttpPoster() = default;

PostResult PlainHttpPoster::Post(const PostRequest& request, const std::atomic<bool>& stop) {
  return impl_->Post(request, stop);
}

}  // namespace picket::delivery
