#pragma once

// Hands the latest immutable ClusterView from the agent's event loop to the
// HTTP server threads. The API never locks protocol state: it only copies a
// shared_ptr under a mutex held for a few nanoseconds.

#include <cstdint>

#include "api/cluster_view.h"
#include "api/detail/mutex.h"

namespace picket::api {

class ViewPublisher {
 public:
  ViewPublisher() = default;
  ViewPublisher(const ViewPublisher&) = delete;
  ViewPublisher& operator=(const ViewPublisher&) = delete;

  // Makes `view` the latest. Called by the event loop after each change (the
  // view must not be modified afterwards: readers share it). Publish the view
  // before appending the events it reflects to the EventLog (see event_log.h).
  // Thread-safe.
  void Publish(ClusterViewPtr view) PICKET_API_EXCLUDES(mu_) {
    ClusterViewPtr old;
    {
      detail::MutexLock lock(&mu_);
      old = std::move(latest_);
      latest_ = std::move(view);
      ++version_;
    }
    // `old` is released here, outside the lock: the last reference may free
    // a large view.
  }

  // The latest published view, or nullptr before the first Publish.
  // Thread-safe; the returned view stays valid for as long as it is held.
  ClusterViewPtr Latest() const PICKET_API_EXCLUDES(mu_) {
    detail::MutexLock lock(&mu_);
    return latest_;
  }

  // How many views were published so far. Thread-safe.
  std::uint64_t version() const PICKET_API_EXCLUDES(mu_) {
    detail::MutexLock lock(&mu_);
    return version_;
  }

 private:
  mutable detail::Mutex mu_;
  ClusterViewPtr latest_ PICKET_API_GUARDED_BY(mu_);
  std::uint64_t version_ PICKET_API_GUARDED_BY(mu_) = 0;
};

}  // namespace picket::api
