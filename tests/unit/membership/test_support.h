#pragma once

// Test helpers for the membership core: a recording Runtime (what the core
// sent, started and reported), a manual clock, message builders, and
// TestNetwork, a tiny discrete-event network that wires a few Swims together
// (fixed latency, optional loss and partitions, crashes, pauses, restarts).
// Deterministic: no threads, no sleeps, no wall clock.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "membership/detail/codec.h"
#include "membership/detail/messages.h"
#include "membership/detail/random.h"
#include "membership/runtime.h"
#include "membership/swim.h"

namespace picket::membership::testing {

using namespace std::chrono_literals;

inline TimePoint T0() { return TimePoint{} + 1000s; }

struct SentDatagram {
  Address to;
  std::vector<std::uint8_t> bytes;
};
struct StartedStream {
  StreamId id;
  Address to;
  std::vector<std::uint8_t> request;
  Duration timeout;
};

class RecordingRuntime : public Runtime {
 public:
  void SendDatagram(const Address& to, std::span<const std::uint8_t> bytes) override {
    datagrams.push_back({to, std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
  }
  void StartStream(StreamId id, const Address& to, std::vector<std::uint8_t> request,
                   Duration timeout) override {
    streams.push_back({id, to, std::move(request), timeout});
  }
  void OnEvent(const MemberEvent& event) override { events.push_back(event); }
  void OnHeartbeatFed(std::string_view subject, TimePoint at) override {
    heartbeats_fed.emplace_back(std::string(subject), at);
  }
  void Log(LogLevel level, std::string_view message) override {
    logs.emplace_back(level, std::string(message));
  }
  void Clear() {
    datagrams.clear();
    streams.clear();
    events.clear();
    logs.clear();
    heartbeats_fed.clear();
  }
  // Events of one type about one member.
  [[nodiscard]] int CountEvents(EventType type, const std::string& name) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const MemberEvent& e) {
      return e.type == type && e.member.name == name;
    }));
  }

  std::vector<SentDatagram> datagrams;
  std::vector<StartedStream> streams;
  std::vector<MemberEvent> events;
  std::vector<std::pair<LogLevel, std::string>> logs;
  std::vector<std::pair<std::string, TimePoint>> heartbeats_fed;  // subject, arrival
};

// Builds framed datagrams and stream messages the way a peer would.
class Peer {
 public:
  explicit Peer(std::string name, std::string cluster = "default")
      : name_(std::move(name)), encoder_(cluster, name_) {}

  std::vector<std::uint8_t> Datagram(const std::vector<detail::Message>& messages) {
    std::string envelope = encoder_.header();
    for (const auto& m : messages) encoder_.AppendMessage(m, envelope);
    std::vector<std::uint8_t> out;
    detail::Encoder::Frame(detail::Channel::kDatagram, envelope, out);
    return out;
  }
  std::vector<std::uint8_t> Datagram(const detail::Message& message) {
    return Datagram(std::vector<detail::Message>{message});
  }
  // One stream request or response carrying `message`.
  std::vector<std::uint8_t> StreamMessage(const detail::Message& message) {
    std::string envelope = encoder_.header();
    encoder_.AppendMessage(message, envelope);
    std::vector<std::uint8_t> out;
    detail::Encoder::Frame(detail::Channel::kStream, envelope, out);
    return out;
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  detail::Encoder encoder_;
};

// Decodes what a Swim sent (datagram channel by default).
class Inspector {
 public:
  explicit Inspector(detail::Channel channel = detail::Channel::kDatagram)
      : decoder_("default", channel) {}
  // The decoded envelope, or nullptr. Valid until the next Decode.
  const detail::Envelope* Decode(const std::vector<std::uint8_t>& bytes) {
    auto r = decoder_.Decode(bytes);
    return r.ok() ? r.envelope : nullptr;
  }
  template <typename T>
  std::vector<T> All(const std::vector<std::uint8_t>& bytes) {
    std::vector<T> out;
    if (const auto* e = Decode(bytes)) {
      for (const auto& m : e->messages) {
        if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
      }
    }
    return out;
  }

 private:
  detail::Decoder decoder_;
};

// A few Swims on a simulated network. Latency is fixed; loss and partitions
// are optional; every run with the same seed is identical.
class TestNetwork {
 public:
  struct Node {
    std::string name;
    Address address;
    std::unique_ptr<RecordingRuntime> runtime;
    std::unique_ptr<Swim> swim;
    bool up = false;
    std::optional<TimePoint> paused_until;
    std::vector<std::function<void()>> backlog;
  };

  explicit TestNetwork(Config config, std::uint64_t seed = 1, Duration latency = 1ms)
      : config_(std::move(config)), latency_(latency), random_(seed), now_(T0()) {}

  TimePoint now() const { return now_; }
  Node& node(int i) { return nodes_.at(static_cast<std::size_t>(i)); }
  Swim& swim(int i) { return *node(i).swim; }
  RecordingRuntime& runtime(int i) { return *node(i).runtime; }
  int size() const { return static_cast<int>(nodes_.size()); }

  // Adds and starts node i ("n<i>" at "n<i>:7946").
  int Add(Tags tags = {}) {
    const int i = size();
    Node n;
    n.name = "n" + std::to_string(i);
    n.address = n.name + ":7946";
    nodes_.push_back(std::move(n));
    Start(i, std::move(tags));
    return i;
  }
  // (Re)starts node i with a fresh core (a restart after Crash keeps the name).
  void Start(int i, Tags tags = {}) {
    Node& n = node(i);
    n.runtime = std::make_unique<RecordingRuntime>();
    n.swim = std::make_unique<Swim>(config_, Identity{n.name, n.address, std::move(tags)},
                                    random_.Next(), *n.runtime, now_);
    n.up = true;
    n.paused_until.reset();
    n.backlog.clear();
  }
  void Crash(int i) {
    node(i).up = false;
    node(i).backlog.clear();
  }
  void Pause(int i, Duration d) { node(i).paused_until = now_ + d; }
  void Join(int i, std::vector<int> seeds) {
    std::vector<Address> addresses;
    for (int s : seeds) addresses.push_back(node(s).address);
    swim(i).Join(addresses, now_);
    Flush(i);
  }
  void Leave(int i) {
    swim(i).Leave(now_);
    Flush(i);
  }
  bool SetService(int i, std::optional<ServiceStatus> service) {
    const bool ok = swim(i).SetService(std::move(service), now_).has_value();
    Flush(i);
    return ok;
  }
  // Drops datagrams (not streams) with this probability.
  void SetLoss(double p) { loss_ = p; }
  // Cuts (or restores) both directions between a and b.
  void Cut(int a, int b, bool cut = true) {
    auto key = std::minmax(a, b);
    if (cut) cuts_.insert(key); else cuts_.erase(key);
  }
  bool IsCut(int a, int b) const { return cuts_.count(std::minmax(a, b)) != 0; }

  // Runs every event and timer up to `until`.
  void RunUntil(TimePoint until) {
    for (;;) {
      // Earliest of: queued network event, a node's wake-up, a pause ending.
      TimePoint next = TimePoint::max();
      int kind = 0, who = -1;
      if (!events_.empty()) next = events_.top().at, kind = 1;
      for (int i = 0; i < size(); ++i) {
        Node& n = node(i);
        if (!n.up) continue;
        const TimePoint t = n.paused_until ? *n.paused_until : n.swim->NextWakeup();
        if (t < next) next = t, kind = 2, who = i;
      }
      if (next > until || kind == 0) break;
      now_ = next;
      if (kind == 1) {
        Event e = events_.top();
        events_.pop();
        e.run();
      } else {
        Node& n = node(who);
        if (n.paused_until) {
          // SIGCONT: the late tick first, then the backlog in arrival order.
          n.paused_until.reset();
          n.swim->Tick(now_);
          Flush(who);
          auto backlog = std::move(n.backlog);
          n.backlog.clear();
          for (auto& f : backlog) f();
        } else {
          n.swim->Tick(now_);
          Flush(who);
        }
      }
    }
    now_ = until;
  }
  void RunFor(Duration d) { RunUntil(now_ + d); }

  // States of every member in node i's view.
  std::map<std::string, MemberState> View(int i) {
    std::map<std::string, MemberState> out;
    for (const auto& m : swim(i).Members(now_)) out[m.name] = m.state;
    return out;
  }
  std::optional<MemberState> StateAt(int i, int of) {
    auto m = swim(i).Member(node(of).name, now_);
    if (!m) return std::nullopt;
    return m->state;
  }
  // True if every up node other than `of` holds `of` in `state`.
  bool AllSee(int of, MemberState state) {
    for (int i = 0; i < size(); ++i) {
      if (i == of || !node(i).up) continue;
      if (StateAt(i, of) != state) return false;
    }
    return true;
  }
  std::uint64_t delivered() const { return delivered_; }

 private:
  struct Event {
    TimePoint at;
    std::uint64_t seq;
    std::function<void()> run;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  int IndexOf(const Address& address) const {
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      if (nodes_[static_cast<std::size_t>(i)].address == address) return i;
    }
    return -1;
  }
  void Schedule(TimePoint at, std::function<void()> run) {
    events_.push(Event{at, seq_++, std::move(run)});
  }
  // Delivers an input to node i now, or queues it if i is paused.
  void Deliver(int i, std::function<void()> input) {
    Node& n = node(i);
    if (!n.up) return;
    if (n.paused_until) {
      n.backlog.push_back(std::move(input));
      return;
    }
    input();
  }

  // Moves what node i's runtime recorded onto the network.
  void Flush(int from) {
    RecordingRuntime& rt = *node(from).runtime;
    auto datagrams = std::move(rt.datagrams);
    auto streams = std::move(rt.streams);
    rt.datagrams.clear();
    rt.streams.clear();
    const std::uint32_t epoch = epochs_[from];
    for (auto& d : datagrams) {
      const int to = IndexOf(d.to);
      if (to < 0 || IsCut(from, to)) continue;
      if (loss_ > 0 && random_.UniformReal() < loss_) continue;
      const Address source = node(from).address;
      Schedule(now_ + latency_, [this, to, source, bytes = std::move(d.bytes)]() {
        Deliver(to, [this, to, source, bytes]() {
          ++delivered_;
          node(to).swim->HandleDatagram(source, bytes, now_);
          Flush(to);
        });
      });
    }
    for (auto& s : streams) {
      const int to = IndexOf(s.to);
      const StreamId id = s.id;
      const TimePoint deadline = now_ + s.timeout;
      auto end = [this, from, id, epoch](StreamResult::Kind kind) {
        if (!node(from).up || epochs_[from] != epoch) return;
        Deliver(from, [this, from, id, kind]() {
          node(from).swim->HandleStreamResult(id, StreamResult::NotAnswered(kind), now_);
          Flush(from);
        });
      };
      auto fail = [end]() { end(StreamResult::Kind::kFailed); };
      if (to == from) {  // a seed that resolves to this node itself
        Schedule(now_, [end]() { end(StreamResult::Kind::kOnlySelf); });
        continue;
      }
      if (to >= 0 && !IsCut(from, to) && !node(to).up) {
        // Crashed: its host is still there and resets the connection.
        Schedule(now_ + 2 * latency_, [end]() { end(StreamResult::Kind::kRefused); });
        continue;
      }
      if (to < 0 || IsCut(from, to) || node(to).paused_until) {
        Schedule(deadline, fail);
        continue;
      }
      const Address source = node(from).address;
      Schedule(now_ + latency_, [this, from, to, id, epoch, source, deadline, fail,
                                 request = std::move(s.request)]() {
        if (!node(to).up || node(to).paused_until || IsCut(from, to)) {
          Schedule(deadline, fail);
          return;
        }
        std::vector<std::uint8_t> response =
            node(to).swim->HandleStreamRequest(source, request, now_);
        Flush(to);
        Schedule(now_ + latency_, [this, from, id, epoch, response = std::move(response)]() {
          if (!node(from).up || epochs_[from] != epoch) return;
          Deliver(from, [this, from, id, response]() {
            if (response.empty()) {
              node(from).swim->HandleStreamResult(
                  id, StreamResult::NotAnswered(StreamResult::Kind::kFailed), now_);
            } else {
              node(from).swim->HandleStreamResult(id, StreamResult::Answered(response), now_);
            }
            Flush(from);
          });
        });
      });
    }
  }

 public:
  // Crash + Start: a new process with the same name (its old streams die).
  void Restart(int i, Tags tags = {}) {
    Crash(i);
    ++epochs_[i];
    Start(i, std::move(tags));
  }

 private:
  Config config_;
  Duration latency_;
  detail::Random random_;
  TimePoint now_;
  std::vector<Node> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  std::uint64_t seq_ = 0;
  double loss_ = 0.0;
  std::set<std::pair<int, int>> cuts_;
  std::map<int, std::uint32_t> epochs_;
  std::uint64_t delivered_ = 0;
};

}  // namespace picket::membership::testing
