#pragma once

// Timers as data (foca's Timer; rippled's Scheduler): a min-heap of
// (deadline, sequence, timer). The runtime never cancels anything: each timer
// carries what it needs to recognise that it is stale (a generation, a probe
// sequence number), and its handler ignores it then. Ties fire in the order
// they were scheduled, so runs are deterministic.
//
// Thread safety: none.

#include <cstdint>
#include <queue>
#include <variant>
#include <vector>

#include "membership/detail/member_table.h"
#include "membership/types.h"

namespace picket::membership::detail {

// Start the next SWIM probe round.
struct ProbeRoundTimer {
  std::uint64_t generation = 0;
};
// A probe's next step: stage 0 = direct ack overdue (go indirect), stage 1 =
// the probe's deadline, stage 2 = resend the direct ping of a verification
// probe half-way through its window.
struct ProbeTimer {
  std::uint32_t seq = 0;
  std::uint8_t stage = 0;
  std::uint64_t generation = 0;
};
// An indirect probe this agent relays for another member: nack time.
struct RelayTimer {
  std::uint32_t seq = 0;
};
// Send heartbeats to the observers.
struct HeartbeatTimer {
  std::uint64_t generation = 0;
};
// Phi of a subject may have crossed the threshold.
struct PhiCheckTimer {
  MemberIndex member = kNoMember;
  std::uint64_t watch_generation = 0;
  std::uint64_t token = 0;
};
// A suspicion may have timed out.
struct SuspicionTimer {
  MemberIndex member = kNoMember;
  std::uint64_t generation = 0;
};
// Gossip round (only while updates are queued).
struct GossipTimer {
  std::uint64_t generation = 0;
};
struct PushPullTimer {
  std::uint64_t generation = 0;
};
// Try to reach a failed member (partition healing).
struct ReconnectTimer {};
struct JoinRetryTimer {
  std::uint64_t round = 0;
};
struct LeaveTimer {};
struct ReapTimer {};
// The next catch-up exchange after a join.
struct CatchUpTimer {};
// Check a claim again whose verdict was withheld (SwimCore::RecheckClaimLater).
struct ClaimRecheckTimer {
  MemberIndex member = kNoMember;
  std::uint64_t name_hash = 0;  // guards against index reuse
  std::uint64_t incarnation = 0;
  bool claimed_failed = false;
  int rechecks = 0;  // done before this one
};

using Timer = std::variant<ProbeRoundTimer, ProbeTimer, RelayTimer, HeartbeatTimer, PhiCheckTimer,
                           SuspicionTimer, GossipTimer, PushPullTimer, ReconnectTimer,
                           JoinRetryTimer, LeaveTimer, ReapTimer, CatchUpTimer, ClaimRecheckTimer>;

class TimerQueue {
 public:
  void Push(TimePoint at, Timer timer) { heap_.push(Item{at, next_seq_++, timer}); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  // Deadline of the earliest timer. REQUIRES: !empty().
  [[nodiscard]] TimePoint Next() const { return heap_.top().at; }
  // Removes and returns the earliest timer. REQUIRES: !empty().
  Timer Pop() {
    Timer t = heap_.top().timer;
    heap_.pop();
    return t;
  }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }

 private:
  struct Item {
    TimePoint at;
    std::uint64_t seq;
    Timer timer;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  std::priority_queue<Item, std::vector<Item>, Later> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace picket::membership::detail
