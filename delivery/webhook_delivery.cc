#include "delivery/webhook_delivery.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "api/names.h"
#include "api/render.h"
#include "delivery/cloud_event.h"
#include "delivery/curl_http_poster.h"
#include "delivery/plain_http_post.h"
#include "delivery/webhook_queue.h"
#include "delivery/webhook_signature.h"
#include "membership/types.h"

namespace picket::delivery {
namespace {

using SteadyClock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

constexpr std::size_t kPullBatch = 256;
// An idle worker re-checks the log this often even without a wake-up.
constexpr auto kIdleWait = std::chrono::seconds(30);

}  // namespace

class WebhookDelivery::Worker {
 public:
  Worker(WebhookDelivery& owner, api::SubscriptionPtr subscription, std::uint64_t start_seq)
      : owner_(owner),
        subscription_(std::move(subscription)),
        queue_(owner.options_.queue_capacity),
        cursor_(start_seq),
        rng_(std::random_device{}()),
        read_through_(start_seq) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Worker() {
    RequestStop();
    if (thread_.joinable()) thread_.join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  const api::SubscriptionPtr& subscription() const { return subscription_; }
  bool finished() const { return finished_.load(); }
  // Events of the log up to `last_seq` this worker has not finished with
  // (queued, or not read yet: then at least one).
  std::size_t Outstanding(std::uint64_t last_seq) const {
    const std::size_t queued = queued_.load();
    return read_through_.load() >= last_seq ? queued : std::max<std::size_t>(queued, 1);
  }

  void Wake() PICKET_API_EXCLUDES(mu_) {
    api::detail::MutexLock lock(&mu_);
    wake_ = true;
    cv_.SignalAll();
  }

  void RequestStop() PICKET_API_EXCLUDES(mu_) {
    api::detail::MutexLock lock(&mu_);
    stop_.store(true);
    cv_.SignalAll();
  }

 private:
  void Run() {
    while (!stop_.load()) {
      Pull();
      if (queue_.empty()) {
        WaitUntil(SteadyClock::now() + kIdleWait);
        continue;
      }
      if (SteadyClock::now() < next_attempt_) {
        WaitUntil(next_attempt_);
        continue;
      }
      Attempt();
    }
    finished_.store(true);
  }

  // Waits until `deadline`, a wake-up (new events) or a stop request.
  void WaitUntil(SteadyClock::time_point deadline) PICKET_API_EXCLUDES(mu_) {
    api::detail::MutexLock lock(&mu_);
    while (!wake_ && !stop_.load() && SteadyClock::now() < deadline) cv_.WaitUntil(mu_, deadline);
    wake_ = false;
  }

  // Moves the new events of the log into the queue (filtered), applying the
  // overflow rule, and publishes the queue length.
  void Pull() {
    std::uint64_t dropped = 0;
    for (;;) {
      const api::EventLog::ReadResult read = owner_.log_.Read(cursor_, kPullBatch);
      if (read.resync && read.resync_seq >= cursor_) {
        // The log evicted events this worker had not read yet.
        dropped += queue_.PushResync(read.resync_seq);
        cursor_ = read.resync_seq;
      }
      for (const api::EventRecordPtr& record : read.events) {
        cursor_ = record->seq;
        if (subscription_->Accepts(record->event.type)) dropped += queue_.Push(record);
      }
      if (read.events.size() < kPullBatch) break;
    }
    if (dropped > 0) owner_.registry_.RecordOutcome(DeliveryOutcome::kDropped, dropped);
    const std::size_t length = queue_.size();
    queued_.store(length);
    read_through_.store(cursor_);
    subscription_->UpdateStatus([&](api::DeliveryStatus& s) {
      s.queue_length = length;
      s.dropped += dropped;
    });
  }

  // Renders the CloudEvent for the front entry, unless already rendered (a
  // retry sends the same id and body).
  void PrepareFront() {
    const QueuedEvent& front = queue_.front();
    if (!body_.empty() && body_seq_ == front.seq && body_resync_ == front.resync()) return;
    body_seq_ = front.seq;
    body_resync_ = front.resync();
    CloudEventFields fields;
    fields.source = owner_.source_;
    std::string data;
    std::string subject;
    if (front.resync()) {
      id_ = owner_.boot_id_ + "-resync-" + std::to_string(front.seq);
      const api::ClusterViewPtr view = owner_.views_.Latest();
      const WallClock::time_point now = WallClock::now();
      data = api::RenderResyncEvent(front.seq, now, view.get(), membership::Clock::now());
      if (view != nullptr) subject = view->self.name;
      fields.type = api::kResyncEventName;
      fields.time = now;
      event_time_.reset();
    } else {
      id_ = owner_.boot_id_ + "-" + std::to_string(front.seq);
      data = front.record->json;
      subject = front.record->event.member.name;
      fields.type = front.record->type_name();
      fields.time = front.record->wall_time;
      event_time_ = front.record->wall_time;
    }
    fields.id = id_;
    fields.subject = subject;
    fields.data = data;
    body_ = RenderCloudEvent(fields);
  }

  void Attempt() {
    PrepareFront();
    const WallClock::time_point started = WallClock::now();
    const std::int64_t timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
    const std::string signature =
        SignWebhook(subscription_->key(), id_, timestamp, body_);

    PostRequest request;
    request.url = subscription_->url();
    request.body = body_;
    request.timeout = owner_.options_.timeout;
    request.headers = {{"Content-Type", "application/cloudevents+json"},
                       {"webhook-id", id_},
                       {"webhook-timestamp", std::to_string(timestamp)},
                       {"webhook-signature", signature}};
    const PostResult response = Post(request);
    if (response.aborted || stop_.load()) return;
    const long status = response.status;

    const AttemptClass result =
        ClassifyAttempt(response.timed_out, response.transport_failed(), status);
    const WallClock::time_point finished = WallClock::now();
    owner_.registry_.RecordOutcome(result.outcome);
    std::string reason;
    if (result.outcome == DeliveryOutcome::kTimeout ||
        result.outcome == DeliveryOutcome::kConnectionError) {
      reason = response.error;  // the poster's own words ("timeout after 5000 ms", ...)
    } else if (result.outcome == DeliveryOutcome::kHttpError) {
      reason = "HTTP " + std::to_string(status);
    }

    if (result.outcome == DeliveryOutcome::kSuccess || !result.retry) {
      if (result.outcome == DeliveryOutcome::kSuccess && event_time_) {
        owner_.registry_.RecordLatency(
            std::max(0.0, std::chrono::duration<double>(finished - *event_time_).count()));
      }
      const bool refused = result.outcome != DeliveryOutcome::kSuccess;
      if (refused) owner_.registry_.RecordOutcome(DeliveryOutcome::kDropped);
      queue_.pop_front();
      queued_.store(queue_.size());
      body_.clear();
      failures_ = 0;
      next_attempt_ = {};
      const std::size_t length = queue_.size();
      subscription_->UpdateStatus([&](api::DeliveryStatus& s) {
        ++s.total_attempts;
        s.attempts = 0;
        s.queue_length = length;
        s.next_attempt.reset();
        if (refused) {
          ++s.dropped;
          s.last_error = reason + " (event dropped: not retried)";
          s.last_error_time = finished;
        } else {
          ++s.delivered;
          s.last_success = finished;
        }
      });
      return;
    }

    ++failures_;
    std::chrono::milliseconds delay = BackoffDelay(
        owner_.options_.retry, failures_, std::uniform_real_distribution<double>(0, 1)(rng_));
    if (!response.retry_after.empty()) {
      if (const auto after = ParseRetryAfter(response.retry_after, finished)) {
        delay = std::min(*after, owner_.options_.retry.max_retry_after);
      }
    }
    next_attempt_ = SteadyClock::now() + delay;
    const WallClock::time_point next_wall = finished + delay;
    const unsigned failures = failures_;
    subscription_->UpdateStatus([&](api::DeliveryStatus& s) {
      ++s.total_attempts;
      s.attempts = failures;
      s.last_error = reason;
      s.last_error_time = finished;
      s.next_attempt = next_wall;
    });
  }

  // Plain http over the worker's own socket; https over libcurl, which is
  // loaded only then (see curl_library.h).
  PostResult Post(const PostRequest& request) {
    if (request.url.rfind("https:", 0) == 0) {
      if (tls_ == nullptr) tls_ = std::make_unique<CurlHttpPoster>();
      return tls_->Post(request, stop_);
    }
    return plain_.Post(request, stop_);
  }

  WebhookDelivery& owner_;
  const api::SubscriptionPtr subscription_;

  // Worker thread only.
  WebhookQueue queue_;
  std::uint64_t cursor_;  // the newest seq read from the log
  std::mt19937_64 rng_;
  PlainHttpPoster plain_;
  std::unique_ptr<CurlHttpPoster> tls_;
  unsigned failures_ = 0;  // failed attempts of the front entry
  SteadyClock::time_point next_attempt_{};
  std::string body_;  // the front entry's CloudEvent (empty: not rendered)
  std::string id_;
  std::uint64_t body_seq_ = 0;
  bool body_resync_ = false;
  std::optional<WallClock::time_point> event_time_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  // For Drain: the queue's length and the newest seq read from the log.
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> read_through_{0};
  api::detail::Mutex mu_;
  api::detail::CondVar cv_;
  bool wake_ PICKET_API_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after everything above is constructed
};

WebhookDelivery::WebhookDelivery(WebhookOptions options, api::EventLog& log,
                                 const api::ViewPublisher& views, SubscriptionRegistry& registry)
    : options_(std::move(options)),
      log_(log),
      views_(views),
      registry_(registry),
      source_(CloudEventSource(options_.agent_name)),
      boot_id_("msg_" + RandomHex(6)) {
  listener_ = log_.AddListener([this] { WakeAll(); });
  registry_.SetObserver(this);
}

WebhookDelivery::~WebhookDelivery() { Stop(); }

void WebhookDelivery::Stop() {
  {
    api::detail::MutexLock lock(&mu_);
    if (stopped_) return;
  }
  registry_.SetObserver(nullptr);
  log_.RemoveListener(listener_);
  std::vector<std::unique_ptr<Worker>> workers;
  {
    api::detail::MutexLock lock(&mu_);
    stopped_ = true;
    workers = std::move(workers_);
    for (auto& w : retired_) workers.push_back(std::move(w));
    retired_.clear();
  }
  for (auto& w : workers) w->RequestStop();
  workers.clear();  // joins
}

std::size_t WebhookDelivery::Drain(std::chrono::milliseconds budget) {
  const auto deadline = SteadyClock::now() + budget;
  const std::uint64_t last_seq = log_.LastSeq();
  WakeAll();
  for (;;) {
    std::size_t outstanding = 0;
    {
      api::detail::MutexLock lock(&mu_);
      for (const auto& w : workers_) outstanding += w->Outstanding(last_seq);
    }
    if (outstanding == 0 || SteadyClock::now() >= deadline) return outstanding;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void WebhookDelivery::OnAdded(const api::SubscriptionPtr& subscription) {
  api::detail::MutexLock lock(&mu_);
  if (stopped_) return;
  ReapRetired();
  workers_.push_back(std::make_unique<Worker>(*this, subscription, log_.LastSeq()));
}

void WebhookDelivery::OnRemoved(const api::SubscriptionPtr& subscription) {
  api::detail::MutexLock lock(&mu_);
  const auto it = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) {
    return w->subscription() == subscription;
  });
  if (it == workers_.end()) return;
  (*it)->RequestStop();
  retired_.push_back(std::move(*it));
  workers_.erase(it);
  ReapRetired();
}

void WebhookDelivery::ReapRetired() {
  // Only finished workers: joining one that is still in a transfer would
  // block the caller (the HTTP server thread) for up to a second.
  std::erase_if(retired_, [](const std::unique_ptr<Worker>& w) { return w->finished(); });
}

void WebhookDelivery::WakeAll() {
  api::detail::MutexLock lock(&mu_);
  for (auto& w : workers_) w->Wake();
}

}  // namespace picket::delivery
