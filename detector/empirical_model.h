#pragma once

// The empirical model of Distribution::kEmpirical: the window's inter-arrival
// times as they are (no normal shape assumed), smoothed with a normal kernel,
// and the suspicion cutoff that minimizes
//
//   cutoff + false_suspicion_cost * P(an interval of a live sender > cutoff)
//
// i.e. the detection time a crash would cost plus the price of a false
// suspicion times its probability. Where intervals are tight, a margin of a
// few milliseconds already makes a false suspicion improbable, so the cutoff
// sits just above them; where heartbeats get lost, the intervals cluster at
// multiples of the period, and covering one more cluster is worth its 500 ms
// only if that cluster holds enough of the window. A normal model cannot make
// that distinction: its cutoff is mean + z * deviation whatever the shape.
//
// The kernel's bandwidth is the window's interquartile range / 1.349 (the
// normal deviation with that spread; losses and pauses beyond the quartiles do
// not inflate it), floored at min_bandwidth.
//
// Thread safety: none; one owner calls everything. Copyable (the detector is a
// value type).

#include <cstddef>
#include <deque>
#include <vector>

namespace picket::detector {

class EmpiricalModel {
 public:
  // REQUIRES: capacity >= 1, min_bandwidth > 0, false_suspicion_cost > 0 (the
  // same unit as the samples; the detector uses nanoseconds).
  EmpiricalModel(std::size_t capacity, double min_bandwidth, double false_suspicion_cost);

  // Adds one sample; once `capacity` are held the oldest one leaves. Refits the
  // cutoff: O(capacity) to keep a sorted copy, then a search of the cutoffs
  // near the largest samples (at most kTopSamples of them).
  void Add(double sample);
  void Clear();
  // Removes the `count` oldest samples (at most count() - 1) and refits.
  void DropOldest(std::size_t count);

  [[nodiscard]] std::size_t count() const { return sorted_.size(); }

  // The cost-minimizing cutoff (elapsed time after the last arrival).
  // REQUIRES: count() >= 1.
  [[nodiscard]] double cutoff() const { return cutoff_; }
  [[nodiscard]] double bandwidth() const { return bandwidth_; }

  // -log10 of the smoothed probability that an interval of a live sender
  // exceeds `elapsed`. >= 0, finite, non-decreasing in `elapsed`.
  // REQUIRES: count() >= 1.
  [[nodiscard]] double LogSurvival(double elapsed) const;

  // The number of largest samples whose neighbourhood is searched for the
  // cutoff: a candidate below more than this many samples costs more than it
  // saves at any cost a caller would set (each sample above the cutoff adds
  // at least cost / (2 count) to its price).
  static constexpr std::size_t kTopSamples = 64;

 private:
  // The search's resolution: distances in 1/16 of a bandwidth (a sample
  // moves by at most 1/32 of one), candidates half a bandwidth apart, and
  // kernels tabulated to 8 bandwidths on each side.
  static constexpr double kBinsPerBandwidth = 16.0;
  static constexpr std::ptrdiff_t kStepBins = 8;
  static constexpr std::ptrdiff_t kReachBins = 128;

  // P(interval > c), every kernel computed exactly (the search in Fit reads
  // them from KernelTail instead).
  [[nodiscard]] double Survival(double c) const;
  void Fit();
  // P(N(0, 1) > (k - kReachBins) / kBinsPerBandwidth), k in [0, 2 kReachBins].
  static const std::vector<double>& KernelTail();

  std::size_t capacity_;
  double min_bandwidth_;
  double cost_;
  std::deque<double> arrival_order_;
  std::vector<double> sorted_;
  double bandwidth_ = 0.0;
  double cutoff_ = 0.0;
};

}  // namespace picket::detector
