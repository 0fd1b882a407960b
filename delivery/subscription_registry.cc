#include "delivery/subscription_registry.h"

#include <algorithm>
#include <utility>

#include "delivery/plain_http_post.h"
#include "delivery/webhook_signature.h"

namespace picket::delivery {

std::optional<membership::EventType> ParseEventTypeName(std::string_view name) {
  for (int i = 0; i < membership::kEventTypeCount; ++i) {
    const auto type = static_cast<membership::EventType>(i);
    if (membership::ToString(type) == name) return type;
  }
  return std::nullopt;
}

Status ValidateWebhookUrl(std::string_view url) {
  if (url.empty()) return Fail("'url' must not be empty");
  if (url.size() > 2048) return Fail("'url' is longer than 2048 bytes");
  const UrlError error = ParseHttpUrl(url).error;
  switch (error) {
    case UrlError::kNone:
      return Status{};
    case UrlError::kScheme:
      return Fail("'url' must start with http:// or https://");
    case UrlError::kNoHost:
      return Fail("'url' has no host");
    case UrlError::kInvalid:
    case UrlError::kCredentials:
    case UrlError::kPort:
      break;
  }
  return Fail("'url' is not a valid URL: " + std::string(UrlErrorText(error)));
}

SubscriptionRegistry::SubscriptionRegistry(std::size_t max_subscriptions)
    : max_subscriptions_(max_subscriptions) {}

void SubscriptionRegistry::SetObserver(Observer* observer) {
  api::detail::MutexLock lock(&mu_);
  observer_ = observer;
  if (observer_ == nullptr) return;
  for (const auto& subscription : subscriptions_) observer_->OnAdded(subscription);
}

SubscriptionRegistry::CreateResult SubscriptionRegistry::Create(api::SubscriptionSpec spec) {
  if (Status s = ValidateWebhookUrl(spec.url); !s) return {nullptr, s};
  std::array<bool, membership::kEventTypeCount> accepts{};
  if (spec.events.empty()) accepts.fill(true);
  for (const std::string& name : spec.events) {
    const auto type = ParseEventTypeName(name);
    if (!type) {
      std::string known;
      for (int i = 0; i < membership::kEventTypeCount; ++i) {
        if (i != 0) known.append(", ");
        known.append(membership::ToString(static_cast<membership::EventType>(i)));
      }
      return {nullptr, Fail("'events' has an unknown event type \"" + name +
                                          "\" (known: " + known + ")")};
    }
    accepts[static_cast<std::size_t>(*type)] = true;
  }
  if (spec.secret.empty()) spec.secret = GenerateWebhookSecret();
  std::optional<std::string> key = DecodeWebhookSecret(spec.secret);
  if (!key) {
    return {nullptr,
            Fail("'secret' must be \"whsec_\" followed by the base64 of 24 to "
                               "64 bytes")};
  }
  if (spec.description.size() > 1024) {
    return {nullptr, Fail("'description' is longer than 1024 bytes")};
  }
  api::detail::MutexLock lock(&mu_);
  if (subscriptions_.size() >= max_subscriptions_) {
    return {nullptr, Fail("too many subscriptions (at most " +
                                        std::to_string(max_subscriptions_) + ")")};
  }
  std::string id = spec.is_static ? "static-" + std::to_string(++static_count_)
                                  : "sub_" + RandomHex(8);
  auto subscription = std::make_shared<api::Subscription>(
      std::move(id), std::move(spec), std::move(*key), accepts, std::chrono::system_clock::now());
  subscriptions_.push_back(subscription);
  if (observer_ != nullptr) observer_->OnAdded(subscription);
  return {std::move(subscription), Status{}};
}

std::vector<api::SubscriptionPtr> SubscriptionRegistry::List() const {
  api::detail::MutexLock lock(&mu_);
  return subscriptions_;
}

api::SubscriptionPtr SubscriptionRegistry::Get(std::string_view id) const {
  api::detail::MutexLock lock(&mu_);
  for (const auto& subscription : subscriptions_) {
    if (subscription->id() == id) return subscription;
  }
  return nullptr;
}

bool SubscriptionRegistry::Delete(std::string_view id) {
  api::detail::MutexLock lock(&mu_);
  const auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                               [id](const api::SubscriptionPtr& s) { return s->id() == id; });
  if (it == subscriptions_.end()) return false;
  const api::SubscriptionPtr removed = *it;
  subscriptions_.erase(it);
  if (observer_ != nullptr) observer_->OnRemoved(removed);
  return true;
}

void SubscriptionRegistry::RecordOutcome(DeliveryOutcome outcome, std::uint64_t count) {
  const auto index = static_cast<std::size_t>(outcome);
  api::detail::MutexLock lock(&mu_);
  if (index < metrics_.deliveries.size()) metrics_.deliveries[index] += count;
}

void SubscriptionRegistry::RecordLatency(double seconds) {
  api::detail::MutexLock lock(&mu_);
  for (std::size_t i = 0; i < api::kWebhookLatencyBounds.size(); ++i) {
    if (seconds <= api::kWebhookLatencyBounds[i]) {
      ++metrics_.latency_buckets[i];
      break;
    }
  }
  ++metrics_.latency_count;
  metrics_.latency_sum_seconds += seconds;
}

api::WebhookMetrics SubscriptionRegistry::Metrics() const {
  api::detail::MutexLock lock(&mu_);
  api::WebhookMetrics metrics = metrics_;
  for (const auto& subscription : subscriptions_) {
    metrics.queue_lengths.emplace_back(subscription->id(), subscription->status().queue_length);
  }
  return metrics;
}

}  // namespace picket::delivery
