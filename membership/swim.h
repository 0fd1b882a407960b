#pragma once

// The SWIM membership core, sans I/O. See membership/README.md for the protocol.
//
// Inputs are method calls that carry `now`; outputs go to the Runtime given at
// construction. Same inputs in the same order, same outputs: the core owns its
// seeded random generator and never reads a clock, a socket or a thread.
//
// Thread safety: none. One thread (the agent's event loop, or the simulator)
// owns a Swim and calls everything on it.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "membership/config.h"
#include "membership/counters.h"
#include "membership/name_pool.h"
#include "membership/runtime.h"
#include "membership/types.h"

namespace picket::membership {

// Who this member is.
struct Identity {
  std::string name;  // unique in the cluster, 1..128 bytes
  Address address;   // advertised "host:port" others reach us at
  Tags tags;
};

// Whether `tags` can be a member's tags, and why not: a key is empty, a key
// or value is not UTF-8, or keys plus values exceed tuning::kMaxTagsBytes
// (512, Serf's limit on node metadata).
[[nodiscard]] Status ValidateTags(const Tags& tags);

class Swim {
 public:
  // REQUIRES: config.Validate() is nullopt; `runtime` outlives the Swim.
  // `names` keeps the member table's names and addresses (nullptr: a private
  // pool); a simulator shares one pool among all its Swims. REQUIRES: every
  // Swim using `names` is driven from one thread.
  Swim(Config config, Identity self, std::uint64_t seed, Runtime& runtime, TimePoint now,
       std::shared_ptr<NamePool> names = nullptr);
  ~Swim();
  Swim(const Swim&) = delete;
  Swim& operator=(const Swim&) = delete;

  // --- Commands ---
  // Simulations and tests: starts as if this member had joined a converged
  // cluster of `members` (self, if listed, is skipped): each is added alive at
  // incarnation 0 without events and without gossip, Joined() turns true, and
  // the observer ring, probe order and heartbeats start as after a join.
  // REQUIRES: called right after construction, before any other input; names
  // and addresses within the wire limits (see tuning.h), names distinct.
  void WarmStart(const std::vector<Identity>& members, TimePoint now);
  // Joins through the seed addresses (may be DNS names, resolved by the
  // runtime on every attempt): push-pull with the seeds, retrying with
  // backoff until one succeeds or config.join_timeout passes. An attempt in
  // which every seed turned out to be this member (StreamResult::kOnlySelf: a
  // headless Service that so far lists only this pod) starts a new cluster
  // instead: Joined() turns true, and while this member is alone the
  // periodic push-pull retries the seeds, so that a cluster started beside
  // this one merges with it. Every attempt's outcome is logged.
  void Join(std::vector<Address> seeds, TimePoint now);
  // Starts a graceful leave: spreads `left` at a higher incarnation. Poll
  // LeaveComplete() to know when it has spread (or the deadline passed).
  void Leave(TimePoint now);
  // Replaces own tags and spreads them (member.updated at every agent).
  // Changes nothing and says why if the tags are invalid (ValidateTags) or this
  // member is leaving.
  [[nodiscard]] Status SetTags(Tags tags, TimePoint now);
  // Replaces own service status (nullopt: this agent runs no checks) and
  // spreads it with a new incarnation; a changed status emits
  // service.<status> here and at every agent. Changes nothing and says why if
  // the output is not UTF-8 or over kMaxServiceOutputBytes, or this member is
  // leaving. Setting the current value again changes nothing.
  [[nodiscard]] Status SetService(std::optional<ServiceStatus> service, TimePoint now);

  // --- Inputs ---
  // One datagram received from `from`. Malformed input is counted and dropped.
  void HandleDatagram(const Address& from, std::span<const std::uint8_t> bytes, TimePoint now);
  // A stream request received from `from`; returns the response to send back
  // (empty: close without answering).
  std::vector<std::uint8_t> HandleStreamRequest(const Address& from,
                                                std::span<const std::uint8_t> request,
                                                TimePoint now);
  // How a Runtime::StartStream exchange ended. A refused verification probe
  // waits only briefly for a datagram answer already on its way, not for its
  // whole timeout.
  void HandleStreamResult(StreamId id, const StreamResult& result, TimePoint now);
  // Runs every timer due at `now`. Call at NextWakeup() (calling earlier or
  // more often is harmless). A call long after NextWakeup() means this process
  // was paused: evidence gathered across the pause is discarded.
  void Tick(TimePoint now);
  // When the core next needs Tick().
  [[nodiscard]] TimePoint NextWakeup() const;

  // --- Queries (copies) ---
  [[nodiscard]] std::vector<MemberInfo> Members(TimePoint now) const;
  [[nodiscard]] std::optional<MemberInfo> Member(const std::string& name, TimePoint now) const;
  [[nodiscard]] MemberInfo Self() const;
  [[nodiscard]] Quorum GetQuorum() const;
  // Lifeguard local health: 0 is healthy, up to config.awareness_max_score.
  [[nodiscard]] int HealthScore() const;
  // True once a join succeeded (or this member is a seed others joined).
  [[nodiscard]] bool Joined() const;
  // True once Join gave up (config.join_timeout passed).
  [[nodiscard]] bool JoinFailed() const;
  // True once a Leave() has spread or its deadline passed.
  [[nodiscard]] bool LeaveComplete() const;
  [[nodiscard]] const Counters& counters() const;
  [[nodiscard]] const Config& config() const;

  // For tests and fuzzing: an empty string if the member table and the
  // structures derived from it are consistent, else the first violation.
  [[nodiscard]] std::string CheckInvariants() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace picket::membership
