#include "agent/cli/http_client.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "api/http_header_field.h"
#include "delivery/curl_library.h"

namespace picket::cli {
namespace {

struct Transfer {
  std::string* body = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  std::vector<std::pair<std::string, std::string>>* headers = nullptr;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->on_data != nullptr) {
    // Returning a short count makes curl abort the transfer.
    return (*transfer->on_data)(std::string_view(data, bytes)) ? bytes : 0;
  }
  transfer->body->append(data, bytes);
  return bytes;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  const std::optional<api::HeaderField> field = api::SplitHeaderLine(line);
  if (!field) {
    if (line.rfind("HTTP/", 0) == 0) transfer->headers->clear();  // a new response begins
    return bytes;
  }
  std::string name(field->name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  transfer->headers->emplace_back(std::move(name), std::string(field->value));
  return bytes;
}

HttpResult Perform(const HttpCall& call, const std::function<bool(std::string_view)>* on_data) {
  HttpResult result;
  const Expected<const delivery::CurlApi*> loaded = delivery::Curl();
  if (!loaded) {
    result.error = loaded.error();
    return result;
  }
  const delivery::CurlApi* api = *loaded;
  CURL* curl = api->easy_init();
  if (curl == nullptr) {
    result.error = "curl_easy_init failed";
    return result;
  }
  Transfer transfer{&result.body, on_data, &result.headers};
  curl_slist* headers = nullptr;
  if (!call.content_type.empty()) {
    headers = api->slist_append(headers, ("Content-Type: " + call.content_type).c_str());
  }
  if (!call.bearer_token.empty()) {
    headers = api->slist_append(headers, ("Authorization: Bearer " + call.bearer_token).c_str());
  }
  for (const auto& header : call.headers) headers = api->slist_append(headers, header.c_str());
  // curl adds "Expect: 100-continue" to larger bodies; the API answers at once.
  headers = api->slist_append(headers, "Expect:");

  api->easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  api->easy_setopt(curl, CURLOPT_NOPROXY, "*");
  api->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.timeout.count()));
  if (on_data == nullptr) {
    api->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  } else {
    // A stream has no overall deadline; give up only when it goes silent.
    const long seconds = std::max<long>(1, static_cast<long>(call.timeout.count() / 1000));
    api->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    api->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, seconds);
  }
  api->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
    api->easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    api->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  api->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  api->easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  api->easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  api->easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  api->easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);

  const CURLcode code = api->easy_perform(curl);
  api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  // A stream that the caller stopped (CURLE_WRITE_ERROR) ended as intended.
  if (code != CURLE_OK && !(on_data != nullptr && code == CURLE_WRITE_ERROR)) {
    result.error = api->easy_strerror(code);
  }
  api->slist_free_all(headers);
  api->easy_cleanup(curl);
  return result;
}

}  // namespace

std::string HttpResult::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

HttpResult HttpFetch(const HttpCall& call) { return Perform(call, nullptr); }

HttpResult HttpStream(const HttpCall& call, const std::function<bool(std::string_view)>& on_data) {
  return Perform(call, &on_data);
}

std::string BaseUrl(std::string_view host_port) {
  std::string url;
  if (host_port.rfind("http://", 0) == 0 || host_port.rfind("https://", 0) == 0) {
    url = std::string(host_port);
  } else {
    url = "http://" + std::string(host_port);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace picket::cli
