#pragma once

// Plain request/response values passed between the RESTinio glue
// (http_server.cc) and the routing logic (router.h), so that the endpoints do
// not depend on the HTTP library and compile quickly.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace picket::api {

// One parsed HTTP request. Views into the server's request object: valid only
// during Router::Route.
struct HttpRequest {
  std::string_view method;         // "GET", "POST", ...
  std::string_view path;           // percent-encoded, without the query: "/v1/members/a%20b"
  std::string_view query;          // without '?': "since=3&timeout=10"
  std::string_view content_type;   // empty if absent
  std::string_view authorization;  // empty if absent
  std::string_view last_event_id;  // empty if absent
  std::string_view body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, ...)
};

}  // namespace picket::api
