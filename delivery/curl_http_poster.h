#pragma once

// POSTs over libcurl (loaded on first use, see curl_library.h), for https
// webhook URLs; plain http goes through PlainHttpPoster. Same request and
// result types, same blocking call.
//
// Thread safety: one poster per thread (it owns one curl handle, whose
// connection cache keeps the receiver's connection alive between posts).

#include <atomic>

#include "delivery/plain_http_post.h"

typedef void CURL;  // NOLINT: libcurl's own declaration of the handle type

namespace picket::delivery {

class CurlHttpPoster {
 public:
  CurlHttpPoster() = default;
  ~CurlHttpPoster();
  CurlHttpPoster(const CurlHttpPoster&) = delete;
  CurlHttpPoster& operator=(const CurlHttpPoster&) = delete;

  // Blocking; returns early with aborted=true once `stop` is set.
  PostResult Post(const PostRequest& request, const std::atomic<bool>& stop);

 private:
  CURL* curl_ = nullptr;
};

}  // namespace picket::delivery
