#include "detector/empirical_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detector/phi_math.h"

namespace picket::detector {
namespace {

// Beyond this many bandwidths a kernel is 0 or 1 to within 1e-15.
constexpr double kReach = 8.0;
constexpr double kInvSqrt2 = 0.70710678118654752440;
// The normal deviation with the interquartile range of the window.
constexpr double kIqrToDeviation = 1.0 / 1.349;

// P(N(0, 1) > z).
double UpperTail(double z) { return 0.5 * std::erfc(z * kInvSqrt2); }

}  // namespace

EmpiricalModel::EmpiricalModel(std::size_t capacity, double min_bandwidth,
                               double false_suspicion_cost)
    : capacity_(capacity), min_bandwidth_(min_bandwidth), cost_(false_suspicion_cost) {
  sorted_.reserve(capacity);
}

void EmpiricalModel::Add(double sample) {
  if (arrival_order_.size() == capacity_) {
    const double oldest = arrival_order_.front();
    arrival_order_.pop_front();
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), oldest));
  }
  arrival_order_.push_back(sample);
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), sample), sample);
  Fit();
}

void EmpiricalModel::DropOldest(std::size_t count) {
  for (; count > 0 && arrival_order_.size() > 1; --count) {
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), arrival_order_.front()));
    arrival_order_.pop_front();
  }
  Fit();
}

void EmpiricalModel::Clear() {
  arrival_order_.clear();
  sorted_.clear();
  bandwidth_ = 0.0;
  cutoff_ = 0.0;
}

double EmpiricalModel::Survival(double c) const {
  // Samples far above c count whole; those far below count nothing.
  const auto high = std::lower_bound(sorted_.begin(), sorted_.end(), c + kReach * bandwidth_);
  const auto low = std::upper_bound(sorted_.begin(), high, c - kReach * bandwidth_);
  double above = static_cast<double>(sorted_.end() - high);
  for (auto it = low; it != high; ++it) above += UpperTail((c - *it) / bandwidth_);
  return above / static_cast<double>(sorted_.size());
}

void EmpiricalModel::Fit() {
  const std::size_t n = sorted_.size();
  const double q1 = sorted_[(n - 1) / 4];
  const double q3 = sorted_[(3 * (n - 1)) / 4];
  bandwidth_ = std::max((q3 - q1) * kIqrToDeviation, min_bandwidth_);

  // The search reads every kernel from a table, with each sample's distance
  // to the candidate rounded to 1/kBinsPerBandwidth of a bandwidth.
  const double total = static_cast<double>(n);
  const double reach = kReach * bandwidth_;
  const double bins_per_unit = kBinsPerBandwidth / bandwidth_;
  const std::vector<double>& kernel = KernelTail();
  // P(interval > c), or a value >= give_up once it is clear it exceeds it.
  const auto survival = [&](double c, double give_up) {
    const auto high = std::lower_bound(sorted_.begin(), sorted_.end(), c + reach);
    double s = static_cast<double>(sorted_.end() - high);
    const double stop = give_up * total;
    for (auto it = high; it != sorted_.begin() && s < stop;) {
      --it;
      const double bins = (c - *it) * bins_per_unit;
      if (bins > static_cast<double>(kReachBins)) break;
      s += kernel[static_cast<std::size_t>(std::lround(bins) + kReachBins)];
    }
    return s / total;
  };

  const double inf = std::numeric_limits<double>::infinity();
  // Beyond every sample: the price is the cutoff itself.
  double best = sorted_.back() + reach;
  double best_price = best + cost_ * survival(best, inf);
  const double per_sample = cost_ / total;
  const double step = bandwidth_ * kStepBins / kBinsPerBandwidth;
  // Candidates: from each of the largest samples up to kReach bandwidths
  // above it, every half bandwidth, not above those already searched.
  double searched_from = best;
  const std::size_t top = std::min(n, kTopSamples);
  for (std::size_t k = 0; k < top; ++k) {
    const double g = sorted_[n - 1 - k];
    // k samples at or above g: a cutoff at g pays at least half of each (a
    // kernel centred above the cutoff is more than half above it).
    if (g + 0.5 * per_sample * static_cast<double>(k) >= best_price) continue;
    const double end = std::min(searched_from, g + reach);
    for (double c = g; c < end; c += step) {
      if (c >= best_price) break;
      const double give_up = (best_price - c) / cost_;
      const double s = survival(c, give_up);
      if (s < give_up) {
        best = c;
        best_price = c + cost_ * s;
      }
    }
    searched_from = std::min(searched_from, g);
  }
  cutoff_ = best;
}

const std::vector<double>& EmpiricalModel::KernelTail() {
  static const std::vector<double> table = [] {
    std::vector<double> t(2 * kReachBins + 1);
    for (std::ptrdiff_t k = -kReachBins; k <= kReachBins; ++k) {
      t[static_cast<std::size_t>(k + kReachBins)] =
          UpperTail(static_cast<double>(k) / kBinsPerBandwidth);
    }
    return t;
  }();
  return table;
}

double EmpiricalModel::LogSurvival(double elapsed) const {
  const double n = static_cast<double>(sorted_.size());
  const double largest = sorted_.back();
  if (elapsed > largest + kReach * bandwidth_) {
    // Only the largest sample's kernel is left: in log space, so that the
    // level keeps growing instead of underflowing to infinity.
    return std::log10(n) + NormalPhi((elapsed - largest) / bandwidth_);
  }
  const double s = Survival(elapsed);
  return s >= 1.0 ? 0.0 : -std::log10(s);
}

}  // namespace picket::detector
