#pragma once

// The rolling window of heartbeat inter-arrival times behind one Phi Accrual
// detector: the last `capacity` samples, with their mean and variance kept up
// to date on every Add() by Boost.Accumulators (rolling_mean and
// rolling_variance, both the "immediate" O(1) implementations).
//
// Thread safety: none; one owner calls everything. Copyable and movable (the
// detector is a value type).

#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/rolling_count.hpp>
#include <boost/accumulators/statistics/rolling_mean.hpp>
#include <boost/accumulators/statistics/rolling_variance.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <cstddef>

namespace picket::detector {

class InterArrivalWindow {
 public:
  // The default window of PhiConfig, and Akka's and Cassandra's.
  static constexpr std::size_t kDefaultCapacity = 1000;

  // REQUIRES: capacity >= 1. Allocates room for capacity + 1 samples (Boost's
  // rolling variance keeps the sample that just left the window).
  explicit InterArrivalWindow(std::size_t capacity = kDefaultCapacity);

  // Adds one sample (any unit; the detector uses nanoseconds). Once `capacity`
  // samples are held, the oldest one leaves the window. O(1).
  void Add(double sample);

  // Forgets every sample; the capacity stays.
  void Clear();

  // Samples currently in the window: min(samples added since Clear, capacity).
  [[nodiscard]] std::size_t count() const;
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

  // Mean of the samples in the window. REQUIRES: count() >= 1.
  [[nodiscard]] double Mean() const;

  // Population variance (divided by n, as Akka's HeartbeatHistory does) of the
  // samples in the window; 0 with one sample; never negative.
  // REQUIRES: count() >= 1.
  [[nodiscard]] double Variance() const;

  // sqrt(Variance()). REQUIRES: count() >= 1.
  [[nodiscard]] double StdDeviation() const;

 private:
  using Accumulator = boost::accumulators::accumulator_set<
      double, boost::accumulators::stats<boost::accumulators::tag::rolling_count,
                                         boost::accumulators::tag::rolling_mean,
                                         boost::accumulators::tag::rolling_variance>>;

  [[nodiscard]] static Accumulator MakeAccumulator(std::size_t capacity);

  std::size_t capacity_;
  Accumulator accumulator_;
};

}  // namespace picket::detector
