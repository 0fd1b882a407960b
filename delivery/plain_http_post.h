#pragma once

// A small blocking HTTP/1.1 POST client for plain http:// webhook URLs, so
// the common case (a receiver on localhost in the same pod) costs no libcurl.
// Built on standalone Asio and the nodejs http_parser (URL and response
// parsing); only the request head is written by hand.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace picket::delivery {

struct ParsedHttpUrl {
  std::string scheme;  // "http" or "https", lower-case
  std::string host;    // IPv6 literals without brackets
  std::uint16_t port = 0;
  std::string target;  // path + "?" + query; "/" if the URL has no path
};

// What is wrong with a URL that ParseHttpUrl rejects.
enum class UrlError {
  kNone,         // the URL is fine
  kInvalid,      // "not a valid URL"
  kScheme,       // "scheme must be http or https"
  kNoHost,       // "no host"
  kCredentials,  // "credentials in the URL are not supported"
  kPort,         // "port must be 1-65535"
};

// The text quoted beside each kind above; "" for kNone.
std::string_view UrlErrorText(UrlError error);

struct UrlParseResult {
  std::optional<ParsedHttpUrl> url;  // set exactly when error == kNone
  UrlError error = UrlError::kNone;
};

// Parses an absolute http:// or https:// URL with http_parser_parse_url
// (default ports 80 and 443; the fragment is dropped). On failure `url` is
// empty and `error` says what is wrong.
[[nodiscard]] UrlParseResult ParseHttpUrl(std::string_view url);

struct PostRequest {
  std::string url;  // http:// only
  // Extra headers (Content-Type, webhook-id, ...); names and values must not
  // contain CR or LF.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};  // whole call: resolve+connect+write+read
  std::string user_agent = "picket-webhooks/1";
};

struct PostResult {
  long status = 0;  // 0: no response
  bool timed_out = false;
  bool aborted = false;     // stop requested
  std::string error;        // transport failure, human readable; empty when a response arrived
  std::string retry_after;  // Retry-After header value, trimmed, "" if none
  bool transport_failed() const { return status == 0; }
};

// Posts over one reused keep-alive connection: the connection stays open
// after a complete response (unless the server asked to close) and serves the
// next Post to the same host:port. A reused connection that turns out to be
// closed before any response byte arrives is replaced once, transparently.
// The response body is read and discarded (at most 1 MiB per response).
// Extra headers may not repeat Host, Content-Length, Transfer-Encoding or
// Connection, which the poster writes itself.
//
// Thread safety: not thread-safe; one poster per worker thread.
// Destruction closes the connection; it may wait for a DNS lookup that a
// stopped or timed-out Post abandoned (getaddrinfo cannot be interrupted).
class PlainHttpPoster {
 public:
  // bind_address: local IP that outgoing connections bind to ("" = any), so
  // receivers see the agent's address. An invalid address fails every Post.
  explicit PlainHttpPoster(std::string bind_address = "");
  ~PlainHttpPoster();
  PlainHttpPoster(const PlainHttpPoster&) = delete;
  PlainHttpPoster& operator=(const PlainHttpPoster&) = delete;

  // Blocking: resolves, connects (or reuses), sends and reads the response
  // within request.timeout. `stop` is polled at least every 50 ms; once it is
  // true the call returns quickly with aborted=true.
  PostResult Post(const PostRequest& request, const std::atomic<bool>& stop);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace picket::delivery
