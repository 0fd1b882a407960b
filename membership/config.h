#pragma once

// Every protocol setting of the membership core, with its unit, default and
// valid range. Presets: Lan() (the default), Frugal() (about Serf's bandwidth),
// Wan(), Local() (fast, for tests on one machine). See membership/README.md for
// how the defaults were chosen.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "detector/phi_accrual_detector.h"
#include "membership/types.h"

namespace picket::membership {

using namespace std::chrono_literals;

struct Config {
  // Name shared by every member of one cluster; packets of other clusters are
  // dropped. 1..64 characters.
  std::string cluster_name = "default";

  // --- SWIM probing ---
  // One randomized round-robin probe per interval. > 0.
  Duration probe_interval = 1s;
  // Time to wait for a direct ack before asking others to probe. > 0, < probe_interval.
  Duration probe_timeout = 500ms;
  // k: members asked to probe indirectly (ping-req) when a probe times out. 0..16.
  int indirect_checks = 3;
  // Probe over the stream transport (TCP) when UDP probes fail, so that UDP-only
  // loss does not fail a healthy member.
  bool stream_fallback_probe = true;

  // --- Phi Accrual heartbeats ---
  // T: every member sends a heartbeat to each of its observers every interval. > 0.
  Duration heartbeat_interval = 500ms;
  // K: observers per member, capped at N-1 (successors on a hash ring of names). 1..16.
  int observers = 4;
  // The detector each observer runs per subject (threshold, window, minimum
  // standard deviation, acceptable pause, first-heartbeat estimate). The
  // window is 100 samples (50 s at T = 500 ms) rather than the detector's
  // 1000: it adapts faster and keeps a simulated 10,000-member cluster small.
  detector::PhiConfig phi = DefaultPhi();
  // Once phi crosses the threshold the observer verifies: it pings the subject
  // directly, through indirect_checks members and over the stream transport,
  // all at once, and suspects it if no ack arrives within this (scaled by
  // 1 + health score). Also used to re-verify a member after a failed SWIM
  // probe round before suspecting it. > 0, <= probe_interval.
  Duration phi_probe_timeout = 200ms;
  // Observers gossip their phi for a subject once it is at least this, so
  // every agent can show the highest phi reported for every member. The
  // default is the suspicion threshold: a report means "an observer is
  // verifying this member now". Lower values report mere lateness, and one
  // lost heartbeat already lifts phi to about 6.5 (T = 500 ms, 100 ms
  // std-dev floor): at 3.0, 5% loss made reports 85% of the bytes sent (1773
  // vs 273 B/member/s, `picket sim --nodes 100 --loss 0.05
  // --phi-report-threshold 3`), and the cost grows with N. >= 0.
  double phi_report_threshold = 8.0;

  // --- Suspicion (Lifeguard) ---
  // Minimum suspicion timeout, reached once `suspicion_confirmations` independent
  // members confirmed the suspicion: min = suspicion_min_multiplier * probe_interval
  // scaled by log10(max(N, 10)) / 1 (as memberlist). >= 1.
  double suspicion_min_multiplier = 1.0;
  // Maximum suspicion timeout (unconfirmed suspicion) = this * min. >= 1.
  double suspicion_max_multiplier = 6.0;
  // Independent confirmations that bring the timeout down to its minimum. 0..16.
  int suspicion_confirmations = 3;
  // Local health awareness: the probe interval and timeout are multiplied by
  // (1 + health score), score in 0..awareness_max_score. 0..16.
  int awareness_max_score = 8;

  // --- Dissemination ---
  // While membership updates are queued, gossip them to gossip_fanout random
  // members every gossip_interval (besides piggybacking them on every probe,
  // ack and heartbeat). Nothing is sent when the queue is empty. 0 disables.
  Duration gossip_interval = 200ms;
  // Members per gossip round. 0..16.
  int gossip_fanout = 3;
  // Each update is piggybacked about retransmit_multiplier * ceil(log10(N + 1)) times. 1..16.
  int retransmit_multiplier = 4;
  // Datagram budget in bytes, envelope included. 512..65000.
  std::size_t packet_budget = 1400;
  // At most this many updates wait to be piggybacked; the oldest, most-sent go first. >= 16.
  std::size_t gossip_queue_limit = 4096;

  // --- Anti-entropy, join, leave, reaping ---
  // Full state exchange with one random member every interval (0 disables),
  // scaled up above 32 members by ceil(log2(N) - 5) + 1 as memberlist does. >= 0.
  Duration push_pull_interval = 30s;
  // Partition healing (Serf's reconnect): every interval, each agent tries a
  // push-pull with a random failed member with probability 1 / (alive
  // members), so the cluster as a whole makes about one attempt per interval
  // whatever its size. The exchange tells both sides whom the other holds
  // failed; they refute and the views merge. 0 disables. >= 0.
  Duration reconnect_interval = 10s;
  // Timeout of one stream exchange (push-pull, join, fallback probe). > 0.
  Duration stream_timeout = 5s;
  // Join retry backoff: first retry after join_retry_initial, doubling up to join_retry_max.
  Duration join_retry_initial = 1s;
  Duration join_retry_max = 30s;
  // Give up joining after this long (0: never give up).
  Duration join_timeout = 0s;
  // A graceful leave waits at most this long for `left` to spread.
  Duration leave_propagate_timeout = 3s;
  // Failed and left members are removed from the table after this long; their
  // tombstone (name, incarnation) is kept for as long again so old messages
  // cannot resurrect them. > 0.
  Duration reap_after = 1h;

  // The default: LAN timing as in DESIGN.md (T = 500 ms, K = 4, phi 8).
  static Config Lan();
  // About Serf's bandwidth: T = 1 s, K = 3.
  static Config Frugal();
  // High latency links: slower probes and heartbeats, longer suspicion.
  static Config Wan();
  // Fast timers for agents on one machine (tests, demos): T = 100 ms.
  static Config Local();

  // The detector settings Lan() uses.
  static detector::PhiConfig DefaultPhi();

  // An error message naming the first invalid field, or nullopt if valid.
  [[nodiscard]] std::optional<std::string> Validate() const;
};

}  // namespace picket::membership
