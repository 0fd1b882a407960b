#pragma once

// Tracks what every member believes about every other member, from the events
// the cores emit, as one bit per (observer, subject): "up" (alive or suspect)
// or not (failed, left, or never heard of). N = 10,000 costs 12.5 MB.
//
// From it: how many running members see a subject up (so the moment the last
// one stops seeing a crashed member up), and whether the cluster has
// converged: every running member sees exactly the members that run (and are
// not leaving) as up, and every other member as down.
//
// Thread safety: none; the simulation loop owns it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "membership/types.h"
#include "sim/ground_truth.h"
#include "sim/link_model.h"

namespace picket::sim {

class ViewCollector {
 public:
  // REQUIRES: capacity >= every host id + 1 that will be used.
  explicit ViewCollector(std::size_t capacity);

  // A process started on h: its view is empty except itself.
  void OnStart(HostId h);
  // The process on h stopped (crash or exit): its view no longer counts.
  // Returns the subjects that nobody sees up any more because of it.
  std::vector<HostId> OnStop(HostId h);
  // How a Set changed the number of members that see the subject up.
  enum class Change : std::uint8_t { kNone, kFirstUp, kLastDown };
  // Observer o now sees subject s up (true) or down (false).
  Change Set(HostId observer, HostId subject, bool up);
  // Whether the event leaves its member up (alive or suspect) in the
  // observer's view; nullopt for quorum events, which say nothing about it.
  [[nodiscard]] static std::optional<bool> UpAfter(const membership::MemberEvent& event);

  [[nodiscard]] bool Sees(HostId observer, HostId subject) const;
  // A hash of the set of members `observer` sees up (itself included): equal
  // sets give equal hashes; kept up to date in O(1) per change.
  [[nodiscard]] std::uint64_t ViewHash(HostId observer) const { return view_hash_[observer]; }
  // Running members that see s up.
  [[nodiscard]] std::size_t UpCount(HostId s) const { return up_count_[s]; }

  // True if every running member sees exactly the expected-up members up.
  // O(capacity). Subjects that never ran are ignored.
  [[nodiscard]] bool Converged(const GroundTruth& truth) const;
  // Running observers in one group that still see a running member of another
  // group up, under the partition active in `truth` (0 when all is detected).
  [[nodiscard]] std::size_t CrossGroupUpPairs(const GroundTruth& truth) const;
  // Expected-up members that some running member does not see up.
  [[nodiscard]] std::size_t MissingCount(const GroundTruth& truth) const;
  // Up to `max` (observer, subject) pairs of running observers whose view of
  // the subject differs from the truth, in (observer, subject) order.
  struct Mismatch {
    HostId observer = 0;
    HostId subject = 0;
    bool sees_up = false;
  };
  [[nodiscard]] std::vector<Mismatch> Mismatches(const GroundTruth& truth, std::size_t max) const;

  // Notes the cluster size (members seen up, itself included) of every
  // running observer at this sample. DistinctViewSizes: how many different
  // sizes were noted over the run, Rapid's measure of how inconsistent views
  // are on the way to agreement (1: every sample found every member at the
  // same size).
  void SampleViewSizes(const GroundTruth& truth);
  [[nodiscard]] std::size_t DistinctViewSizes() const { return distinct_sizes_; }

 private:
  [[nodiscard]] std::size_t Bit(HostId o, HostId s) const {
    return static_cast<std::size_t>(o) * capacity_ + s;
  }

  std::size_t capacity_;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint32_t> up_count_;
  std::vector<std::uint32_t> sees_count_;  // per observer: members it sees up
  std::vector<std::uint64_t> view_hash_;   // per observer: XOR of SubjectHash over its up set
  std::vector<bool> size_seen_;            // by view size, 0..capacity
  std::size_t distinct_sizes_ = 0;
  std::vector<bool> ever_ran_;
};

}  // namespace picket::sim
