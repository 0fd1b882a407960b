#pragma once

// One Swim driven by hand: a recording runtime, a manual clock, and peers
// that exist only as names. Stepping time runs the core's timers; a
// responder can answer the core's pings on behalf of live peers.

#include <set>
#include <string>
#include <vector>

#include "membership/tuning.h"
#include "test_support.h"

namespace picket::membership::testing {

class SwimHarness {
 public:
  explicit SwimHarness(Config config = DefaultConfig(), Tags tags = {})
      : config_(std::move(config)),
        now_(T0()),
        swim_(config_, Identity{"self", "self:1", std::move(tags)}, 1, runtime_, now_) {}

  // Push-pull off, so that tests see only what they provoke.
  static Config DefaultConfig() {
    Config c;
    c.push_pull_interval = Duration::zero();
    return c;
  }

  Swim& swim() { return swim_; }
  RecordingRuntime& runtime() { return runtime_; }
  TimePoint now() const { return now_; }

  // Delivers a datagram from peer `name` (address "<name>:1").
  void From(const std::string& name, const std::vector<detail::Message>& messages) {
    Peer peer(name);
    swim_.HandleDatagram(name + ":1", peer.Datagram(messages), now_);
    Respond();
  }
  void From(const std::string& name, const detail::Message& message) {
    From(name, std::vector<detail::Message>{message});
  }
  // Makes `name` known and alive at `incarnation`.
  void Learn(const std::string& name, std::uint64_t incarnation = 0) {
    const std::string address = name + ":1";
    From(name, detail::AliveMsg{name, address, incarnation, {}, {}});
    live_.insert(name);
  }
  // Lets the distrust window pass, so that the peers learned so far are
  // trusted accusers (see tuning::kDistrustAfterComebackIntervals). Live
  // peers answer probes meanwhile.
  void Settle() {
    Advance(config_.probe_interval * (tuning::kDistrustAfterComebackIntervals + 1), 100ms);
  }
  // `name` starts a push-pull with us carrying `members` (its full table).
  void PushPullFrom(const std::string& name, std::vector<detail::MemberSnapshotMsg> members) {
    detail::Encoder encoder("default", name);
    std::string envelope = encoder.header();
    detail::PushPullMsg state;
    state.members = std::move(members);
    encoder.AppendMessage(state, envelope);
    std::vector<std::uint8_t> request;
    detail::Encoder::Frame(detail::Channel::kStream, envelope, request);
    swim_.HandleStreamRequest(name + ":1", request, now_);
    Respond();
  }

  // Peers that answer pings (direct, indirect, stream) from now on / no more.
  void SetLive(const std::string& name, bool live) {
    if (live) live_.insert(name); else live_.erase(name);
  }
  // A peer whose address refuses stream connections (its process is gone if
  // it is not live too; a firewall rejecting TCP if it is).
  void SetRefusing(const std::string& name, bool refusing) {
    if (refusing) refusing_.insert(name); else refusing_.erase(name);
  }

  // Advances the clock in steps no longer than `step`, running due timers.
  void Advance(Duration d, Duration step = 10ms) {
    const TimePoint end = now_ + d;
    while (now_ < end) {
      const TimePoint next = std::min(end, std::min(now_ + step, swim_.NextWakeup()));
      now_ = std::max(now_, next);
      swim_.Tick(now_);
      Respond();
    }
  }
  // Jumps the clock without running anything in between (a local pause).
  void Jump(Duration d) { now_ += d; }
  void TickNow() {
    swim_.Tick(now_);
    Respond();
  }

  // All datagrams sent so far (and forgets them if `clear`).
  std::vector<SentDatagram> Sent(bool clear = true) {
    auto out = sent_;
    if (clear) sent_.clear();
    return out;
  }
  int CountSent(const std::string& to_name) const {
    int n = 0;
    for (const auto& d : sent_) n += d.to == to_name + ":1";
    return n;
  }

 private:
  // Answers what the core sent, for live peers, at once (zero latency).
  void Respond() {
    for (int rounds = 0; rounds < 8; ++rounds) {
      auto datagrams = std::move(runtime_.datagrams);
      auto streams = std::move(runtime_.streams);
      runtime_.datagrams.clear();
      runtime_.streams.clear();
      if (datagrams.empty() && streams.empty()) return;
      for (auto& d : datagrams) {
        sent_.push_back(d);
        const std::string name = d.to.substr(0, d.to.find(':'));
        if (!live_.count(name)) continue;
        Inspector inspector;
        const auto* e = inspector.Decode(d.bytes);
        if (e == nullptr) continue;
        std::vector<detail::Message> replies;
        for (const auto& m : e->messages) {
          if (const auto* ping = std::get_if<detail::PingMsg>(&m)) {
            replies.push_back(detail::AckMsg{ping->seq});
          } else if (const auto* ip = std::get_if<detail::IndirectPingMsg>(&m)) {
            const std::string target(ip->target);
            if (live_.count(target)) {
              replies.push_back(detail::AckMsg{ip->seq});
            } else if (ip->want_nack) {
              replies.push_back(detail::NackMsg{ip->seq});  // the helper's own ping went unanswered
            }
          }
        }
        if (!replies.empty()) {
          Peer peer(name);
          swim_.HandleDatagram(d.to, peer.Datagram(replies), now_);
        }
      }
      for (auto& s : streams) {
        streams_.push_back(s);
        const std::string name = s.to.substr(0, s.to.find(':'));
        Inspector inspector(detail::Channel::kStream);
        const auto* e = inspector.Decode(s.request);
        const auto* ping = e ? std::get_if<detail::PingMsg>(&e->messages.front()) : nullptr;
        if (ping != nullptr && refusing_.count(name)) {
          swim_.HandleStreamResult(s.id, StreamResult::NotAnswered(StreamResult::Kind::kRefused), now_);
        } else if (ping != nullptr && live_.count(name)) {
          Peer peer(name);
          auto reply = peer.StreamMessage(detail::AckMsg{ping->seq});
          swim_.HandleStreamResult(s.id, StreamResult::Answered(reply), now_);
        } else if (ping != nullptr) {
          swim_.HandleStreamResult(s.id, StreamResult::NotAnswered(StreamResult::Kind::kFailed), now_);
        } else {
          pending_streams_.push_back(s);  // push-pull: the test answers
        }
      }
    }
  }

 public:
  std::vector<StartedStream> pending_streams_;
  std::vector<StartedStream> streams_;

 private:
  Config config_;
  RecordingRuntime runtime_;
  TimePoint now_;
  Swim swim_;
  std::set<std::string> live_;
  std::set<std::string> refusing_;
  std::vector<SentDatagram> sent_;
};

}  // namespace picket::membership::testing
