#include "api/subscriptions.h"

#include <utility>

namespace picket::api {

Subscription::Subscription(std::string id, SubscriptionSpec spec, std::string key,
                           std::array<bool, membership::kEventTypeCount> accepts,
                           std::chrono::system_clock::time_point created)
    : id_(std::move(id)),
      spec_(std::move(spec)),
      key_(std::move(key)),
      accepts_(accepts),
      created_(created) {}

bool Subscription::Accepts(membership::EventType type) const {
  const auto index = static_cast<std::size_t>(type);
  return index < accepts_.size() && accepts_[index];
}

DeliveryStatus Subscription::status() const {
  detail::MutexLock lock(&mu_);
  return status_;
}

}  // namespace picket::api
