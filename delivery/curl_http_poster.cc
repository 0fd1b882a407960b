#include "delivery/curl_http_poster.h"

#include <optional>
#include <string>
#include <string_view>

#include "api/http_header_field.h"
#include "delivery/curl_library.h"

namespace picket::delivery {
namespace {

std::size_t DiscardBody(char*, std::size_t size, std::size_t count, void*) { return size * count; }

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  const std::size_t bytes = size * count;
  const std::optional<api::HeaderField> field = api::SplitHeaderLine(std::string_view(data, bytes));
  if (field && api::EqualsIgnoreCase(field->name, "retry-after")) {
    static_cast<PostResult*>(user)->retry_after = std::string(field->value);
  }
  return bytes;
}

// Aborts a transfer in progress when the caller is told to stop.
int OnProgress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stop)->load() ? 1 : 0;
}

}  // namespace

CurlHttpPoster::~CurlHttpPoster() {
  if (curl_ != nullptr) (*Curl())->easy_cleanup(curl_);  // loaded: curl_ came from it
}

PostResult CurlHttpPoster::Post(const PostRequest& request, const std::atomic<bool>& stop) {
  PostResult result;
  const Expected<const CurlApi*> loaded = Curl();
  if (!loaded) {
    result.error = loaded.error();
    return result;
  }
  const CurlApi* api = *loaded;
  if (curl_ == nullptr) curl_ = api->easy_init();
  if (curl_ == nullptr) {
    result.error = "curl_easy_init failed";
    return result;
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = api->slist_append(headers, (name + ": " + value).c_str());
  }
  // curl adds "Expect: 100-continue" to larger bodies; receivers answer at once.
  headers = api->slist_append(headers, "Expect:");
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(request.timeout.count());
  api->easy_reset(curl_);  // keeps the connection cache: keep-alive to the receiver
  api->easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  api->easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  api->easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  api->easy_setopt(curl_, CURLOPT_NOPROXY, "*");
  api->easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms);
  api->easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  api->easy_setopt(curl_, CURLOPT_USERAGENT, request.user_agent.c_str());
  api->easy_setopt(curl_, CURLOPT_POST, 1L);
  api->easy_setopt(curl_, CURLOPT_POSTFIELDS, request.body.data());
  api->easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(request.body.size()));
  api->easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  api->easy_setopt(curl_, CURLOPT_WRITEFUNCTION, DiscardBody);
  api->easy_setopt(curl_, CURLOPT_HEADERFUNCTION, OnHeader);
  api->easy_setopt(curl_, CURLOPT_HEADERDATA, &result);
  api->easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
  api->easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  api->easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, OnProgress);
  api->easy_setopt(curl_, CURLOPT_XFERINFODATA, &stop);
  const CURLcode code = api->easy_perform(curl_);
  api->easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
  api->easy_setopt(curl_, CURLOPT_ERRORBUFFER, nullptr);
  api->slist_free_all(headers);
  if (code == CURLE_ABORTED_BY_CALLBACK || stop.load()) {
    result.aborted = true;
    result.status = 0;
    return result;
  }
  if (code != CURLE_OK) {
    result.status = 0;
    result.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (result.timed_out) {
      result.error = "timeout after " + std::to_string(timeout_ms) + " ms";
    } else {
      result.error = error[0] != '\0' ? std::string(error) : std::string(api->easy_strerror(code));
    }
  }
  return result;
}

}  // namespace picket::delivery
