#pragma once

// A small blocking HTTP client (libcurl) for the `picket` subcommands that
// talk to a local agent (members, leave, watch) and for tests.
//
// Thread safety: each call uses its own curl handle; calls from several
// threads at once are safe (curl_global_init runs once, on first use).
// Proxies are never used: the agent is local (CURLOPT_NOPROXY "*").

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace picket::cli {

struct HttpCall {
  std::string method = "GET";
  std::string url;                   // "http://127.0.0.1:9747/v1/members"
  std::string body;                  // sent when non-empty (or for POST/PUT)
  std::string content_type;          // sets Content-Type when non-empty
  std::string bearer_token;          // sets "Authorization: Bearer ..." when non-empty
  std::vector<std::string> headers;  // extra raw headers: "Last-Event-ID: 7"
  // Whole-call limit for Fetch; for Stream, the limit without any received byte.
  std::chrono::milliseconds timeout{10'000};
};

struct HttpResult {
  long status = 0;    // HTTP status; 0 if no response arrived
  std::string body;   // the response body (Fetch only)
  std::string error;  // transport failure ("Couldn't connect to server"); empty otherwise
  std::vector<std::pair<std::string, std::string>> headers;  // response headers, names lower-case

  bool ok() const { return error.empty(); }
  // The first header named `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
};

// Performs one request and returns the whole response.
HttpResult HttpFetch(const HttpCall& call);

// Performs one request and hands the body to `on_data` as it arrives (for
// Server-Sent Events), until the server closes, `on_data` returns false, or
// no byte arrived for call.timeout. The result's body stays empty.
HttpResult HttpStream(const HttpCall& call, const std::function<bool(std::string_view)>& on_data);

// "127.0.0.1:9747" -> "http://127.0.0.1:9747"; "[::1]:9747" likewise; a value
// that already starts with "http://" or "https://" is returned unchanged
// (without a trailing slash).
std::string BaseUrl(std::string_view host_port);

}  // namespace picket::cli
