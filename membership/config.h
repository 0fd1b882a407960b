#pragma once

// Every protocol setting of the membership core. This struct holds the
// values; the facts about each field (flag, unit, default in each profile,
// valid range, meaning) are one row of the descriptor table in
// membership/config_fields.cc, and Config's defaults, Validate(), the flags of
// `picket agent` and `picket sim` and the simulator's command line all come
// from that table. Profiles: lan (the default), frugal (about Serf's
// bandwidth), wan, local (fast, for tests on one machine). See
// membership/README.md for how the defaults were chosen.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "detector/phi_accrual_detector.h"
#include "membership/types.h"

namespace picket::membership {

using namespace std::chrono_literals;

// The presets; their names and what each is for: Profiles() in config_fields.h.
enum class Profile { kLan, kFrugal, kWan, kLocal };
inline constexpr std::size_t kProfileCount = 4;

struct FieldDescriptor;

// Why a Config is invalid: which field (its descriptor: name, flag, range)
// and the reason.
struct ConfigError {
  // The first invalid field, in table order. Never null.
  const FieldDescriptor* field = nullptr;
  // The other field its valid range depends on (probe_interval for
  // probe_timeout), or null.
  const FieldDescriptor* bound_by = nullptr;
  // "must be > 0 and < probe_interval (got 2s)".
  std::string reason;

  // "probe_timeout must be > 0 and < probe_interval (got 2s)".
  [[nodiscard]] std::string Message() const;
};

// Field comments say what a setting does and why; its default in each
// profile, unit and valid range are in its row of the table (config_fields.cc).
struct Config {
  // The lan profile's defaults.
  Config();

  // Name shared by every member of one cluster; packets of other clusters are
  // dropped.
  std::string cluster_name;

  // --- SWIM probing ---
  // One randomized round-robin probe per interval.
  Duration probe_interval{};
  // Time to wait for a direct ack before asking others to probe.
  Duration probe_timeout{};
  // k: members asked to probe indirectly (ping-req) when a probe times out.
  int indirect_checks = 0;
  // Probe over the stream transport (TCP) when UDP probes fail, so that UDP-only
  // loss does not fail a healthy member.
  bool stream_fallback_probe = false;

  // --- Phi Accrual heartbeats ---
  // T: every member sends a heartbeat to each of its observers every interval.
  Duration heartbeat_interval{};
  // K: observers per member, capped at N-1 (successors on a hash ring of names).
  int observers = 0;
  // The detector each observer runs per subject (threshold, window, minimum
  // standard deviation, acceptable pause, first-heartbeat estimate: unless
  // given, it is heartbeat_interval, see BuildConfig). The window is 100 samples
  // (50 s at T = 500 ms) rather than the detector's 1000: it adapts faster
  // and keeps a simulated 10,000-member cluster small.
  detector::PhiConfig phi;
  // Once phi crosses the threshold the observer verifies: it pings the subject
  // directly, through indirect_checks members and over the stream transport,
  // all at once, and suspects it if no ack arrives within this (scaled by
  // 1 + health score). Also used to re-verify a member after a failed SWIM
  // probe round before suspecting it.
  Duration phi_probe_timeout{};
  // Observers gossip their phi for a subject once it is at least this, so
  // every agent can show the highest phi reported for every member. The lan
  // default is lan's suspicion threshold: a report means "an observer is
  // verifying this member now". Lower values report mere lateness, and one
  // lost heartbeat already lifts phi to about 6.5 (T = 500 ms, 100 ms
  // std-dev floor): at 3.0, 5% loss made reports 85% of the bytes sent (1773
  // vs 273 B/member/s, `picket sim --nodes 100 --loss 0.05
  // --phi-report-threshold 3`), and the cost grows with N.
  double phi_report_threshold = 0;

  // --- Suspicion (Lifeguard) ---
  // Minimum suspicion timeout, reached once `suspicion_confirmations` independent
  // members confirmed the suspicion: min = suspicion_min_multiplier * probe_interval
  // scaled by log10(max(N, 10)) (as memberlist).
  double suspicion_min_multiplier = 0;
  // Maximum suspicion timeout (unconfirmed suspicion) = this * min.
  double suspicion_max_multiplier = 0;
  // Independent confirmations that bring the timeout down to its minimum.
  int suspicion_confirmations = 0;
  // Local health awareness: the probe interval and timeout are multiplied by
  // (1 + health score), score in 0..awareness_max_score.
  int awareness_max_score = 0;

  // --- Dissemination ---
  // While membership updates are queued, gossip them to gossip_fanout random
  // members every gossip_interval (besides piggybacking them on every probe,
  // ack and heartbeat). Nothing is sent when the queue is empty. 0 disables.
  Duration gossip_interval{};
  // Members per gossip round.
  int gossip_fanout = 0;
  // Each update is piggybacked about retransmit_multiplier * ceil(log10(N + 1)) times.
  int retransmit_multiplier = 0;
  // Datagram budget in bytes, envelope included.
  std::size_t packet_budget = 0;
  // At most this many updates wait to be piggybacked; the oldest, most-sent go first.
  std::size_t gossip_queue_limit = 0;

  // --- Anti-entropy, join, leave, reaping ---
  // Full state exchange with one random member every interval (0 disables),
  // scaled up above 32 members by ceil(log2(N) - 5) + 1 as memberlist does.
  Duration push_pull_interval{};
  // Partition healing (Serf's reconnect): every interval, each agent tries a
  // push-pull with a random failed member with probability 1 / (alive
  // members), so the cluster as a whole makes about one attempt per interval
  // whatever its size. The exchange tells both sides whom the other holds
  // failed; they refute and the views merge. 0 disables.
  Duration reconnect_interval{};
  // Timeout of one stream exchange (push-pull, join, fallback probe).
  Duration stream_timeout{};
  // Join retry backoff: first retry after join_retry_initial, doubling up to join_retry_max.
  Duration join_retry_initial{};
  Duration join_retry_max{};
  // Give up joining after this long (0: never give up).
  Duration join_timeout{};
  // A graceful leave waits at most this long for `left` to spread.
  Duration leave_propagate_timeout{};
  // Failed and left members are removed from the table after this long; their
  // tombstone (name, incarnation) is kept for as long again so old messages
  // cannot resurrect them.
  Duration reap_after{};

  // Every field at its default in `profile`.
  static Config ForProfile(Profile profile);
  static Config Lan() { return ForProfile(Profile::kLan); }
  static Config Frugal() { return ForProfile(Profile::kFrugal); }
  static Config Wan() { return ForProfile(Profile::kWan); }
  static Config Local() { return ForProfile(Profile::kLocal); }

  // The first invalid field (in table order) and why, or nullopt if valid.
  [[nodiscard]] std::optional<ConfigError> Validate() const;
};

}  // namespace picket::membership
