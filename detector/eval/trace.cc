#include "detector/eval/trace.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <limits>
#include <numeric>
#include <ostream>

#include "detector/eval/sampler.h"

namespace picket::detector::eval {
namespace {

double Nanos(Duration d) { return static_cast<double>(d.count()); }

Duration FromNanos(double ns) {
  return Duration(static_cast<Duration::rep>(std::llround(std::max(ns, 0.0))));
}

// splitmix64: independent seeds for the independent random processes, so that
// changing one parameter (say the loss rate) does not reshuffle the others.
std::uint64_t SubSeed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Status ValidateConditions(const Conditions& c, const std::string& prefix) {
  if (c.base_delay < Duration::zero()) return Fail(prefix + "base_delay must be >= 0");
  if (c.jitter < Duration::zero()) return Fail(prefix + "jitter must be >= 0");
  if (c.tail_scale < Duration::zero()) return Fail(prefix + "tail_scale must be >= 0");
  if (!(c.tail_shape > 0.0) || !std::isfinite(c.tail_shape)) {
    return Fail(prefix + "tail_shape must be > 0");
  }
  if (!(c.loss >= 0.0 && c.loss < 1.0)) return Fail(prefix + "loss must be in [0, 1)");
  if (!(c.burst_rate >= 0.0 && c.burst_rate < 1.0)) {
    return Fail(prefix + "burst_rate must be in [0, 1)");
  }
  if (!(c.burst_length >= 1.0) || !std::isfinite(c.burst_length)) {
    return Fail(prefix + "burst_length must be >= 1");
  }
  if (c.stall_every < Duration::zero()) return Fail(prefix + "stall_every must be >= 0");
  if (c.stall_median < Duration::zero()) return Fail(prefix + "stall_median must be >= 0");
  if (!(c.stall_sigma >= 0.0) || !std::isfinite(c.stall_sigma)) {
    return Fail(prefix + "stall_sigma must be >= 0");
  }
  return {};
}

// Which phase's conditions apply at time t.
class PhaseClock {
 public:
  explicit PhaseClock(const std::vector<Phase>& phases) : phases_(phases) {
    for (const Phase& p : phases_) cycle_ += p.length;
  }
  const Conditions& At(Duration t) const {
    if (phases_.size() == 1 || cycle_ <= Duration::zero()) return phases_.front().conditions;
    Duration offset = t % cycle_;
    for (const Phase& p : phases_) {
      if (offset < p.length) return p.conditions;
      offset -= p.length;
    }
    return phases_.back().conditions;
  }

 private:
  const std::vector<Phase>& phases_;
  Duration cycle_ = Duration::zero();
};

double UnitNanos(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSeconds:
      return 1e9;
    case TimeUnit::kMilliseconds:
      return 1e6;
    case TimeUnit::kMicroseconds:
      return 1e3;
    case TimeUnit::kNanoseconds:
      return 1.0;
  }
  return 1e9;
}

}  // namespace

Status TraceSpec::Validate() const {
  if (period <= Duration::zero()) return Fail("period must be > 0");
  if (duration <= Duration::zero()) return Fail("duration must be > 0");
  if (phases.empty()) return Fail("phases must not be empty");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const std::string prefix = phases.size() == 1 ? "" : "phase " + std::to_string(i) + ": ";
    if (phases.size() > 1 && phases[i].length <= Duration::zero()) {
      return Fail(prefix + "length must be > 0");
    }
    if (Status valid = ValidateConditions(phases[i].conditions, prefix); !valid) return valid;
  }
  if (crash_at && *crash_at < Duration::zero()) return Fail("crash_at must be >= 0");
  return {};
}

Trace GenerateTrace(const TraceSpec& spec, std::uint64_t seed) {
  Sampler delay_rng(SubSeed(seed, 0));
  Sampler loss_rng(SubSeed(seed, 1));
  Sampler stall_rng(SubSeed(seed, 2));
  const PhaseClock phases(spec.phases);

  Trace trace;
  trace.end = spec.duration;
  trace.crash_at = spec.crash_at;
  const Duration stop = spec.crash_at ? std::min(*spec.crash_at, spec.duration) : spec.duration;

  std::vector<std::pair<Duration, Duration>> deliveries;  // (arrival, sent)
  deliveries.reserve(static_cast<std::size_t>(spec.duration / spec.period) + 16);

  std::uint64_t burst_remaining = 0;
  Duration t = Duration::zero();
  while (t < stop) {
    // Stalls form a Poisson process: one starts during the period before this
    // heartbeat was due with probability 1 - exp(-period / stall_every), at a
    // uniform point of it. If it is still on, the heartbeat goes out when it
    // ends and the schedule restarts from there.
    const Conditions& due = phases.At(t);
    if (due.stall_every > Duration::zero() &&
        stall_rng.Bernoulli(-std::expm1(-Nanos(spec.period) / Nanos(due.stall_every)))) {
      const Duration start = t - FromNanos(stall_rng.Uniform() * Nanos(spec.period));
      const Duration stall_end =
          start + FromNanos(stall_rng.Lognormal(Nanos(due.stall_median), due.stall_sigma));
      if (stall_end > t) t = stall_end;
    }
    if (t >= stop) break;

    const Conditions& c = phases.At(t);
    ++trace.heartbeats_sent;
    bool lost = false;
    if (burst_remaining > 0) {
      --burst_remaining;
      lost = true;
    } else if (c.burst_rate > 0.0 && loss_rng.Bernoulli(c.burst_rate)) {
      burst_remaining = loss_rng.Geometric(c.burst_length) - 1;
      lost = true;
    } else if (c.loss > 0.0) {
      lost = loss_rng.Bernoulli(c.loss);
    }

    // Draw the delay even for a lost heartbeat, so that the loss settings do
    // not shift the delays of the heartbeats that do arrive.
    double delay = Nanos(c.base_delay) + std::fabs(delay_rng.Normal()) * Nanos(c.jitter);
    switch (c.tail) {
      case DelayTail::kNone:
        break;
      case DelayTail::kPareto:
        delay += delay_rng.Lomax(Nanos(c.tail_scale), c.tail_shape);
        break;
      case DelayTail::kLognormal:
        delay += delay_rng.Lognormal(Nanos(c.tail_scale), c.tail_shape);
        break;
    }
    if (lost) {
      ++trace.heartbeats_lost;
    } else {
      const Duration arrival = t + FromNanos(delay);
      deliveries.emplace_back(arrival, t);
      trace.max_delay = std::max(trace.max_delay, arrival - t);
    }
    t += spec.period;
  }

  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  trace.arrivals.reserve(deliveries.size());
  trace.sent.reserve(deliveries.size());
  for (const auto& [arrival, sent] : deliveries) {
    trace.arrivals.push_back(arrival);
    trace.sent.push_back(sent);
  }
  if (!trace.arrivals.empty()) trace.end = std::max(trace.end, trace.arrivals.back());
  return trace;
}

TraceReadResult ReadTrace(std::istream& in, TimeUnit unit) {
  TraceReadResult result;
  const long double scale = static_cast<long double>(UnitNanos(unit));
  std::string line;
  std::size_t line_number = 0;
  std::optional<long double> origin;
  Duration previous = Duration::min();
  while (std::getline(in, line)) {
    ++line_number;
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const char* begin = line.c_str() + first;
    char* parse_end = nullptr;
    const long double value = std::strtold(begin, &parse_end);
    const std::string rest(parse_end == begin ? begin : parse_end);
    const std::size_t junk = rest.find_first_not_of(" \t\r");
    if (parse_end == begin || (junk != std::string::npos && rest[junk] != '#') ||
        !std::isfinite(static_cast<double>(value))) {
      result.error =
          "line " + std::to_string(line_number) + ": expected one arrival time, got '" + line + "'";
      return result;
    }
    if (!origin) origin = value;
    const long double offset_ns = (value - *origin) * scale;
    if (offset_ns < 0 ||
        offset_ns > static_cast<long double>(std::numeric_limits<Duration::rep>::max() / 2)) {
      result.error = "line " + std::to_string(line_number) +
                     ": arrival times must not decrease (and must fit in 146 years)";
      return result;
    }
    const Duration arrival(static_cast<Duration::rep>(std::llround(offset_ns)));
    if (arrival < previous) {
      result.error = "line " + std::to_string(line_number) + ": arrival times must not decrease";
      return result;
    }
    previous = arrival;
    result.trace.arrivals.push_back(arrival);
  }
  if (result.trace.arrivals.size() < 3) {
    result.error = "a trace needs at least 3 arrival times, found " +
                   std::to_string(result.trace.arrivals.size());
    return result;
  }
  result.trace.end = result.trace.arrivals.back();
  return result;
}

TraceReadResult ReadTraceFile(const std::string& path, TimeUnit unit) {
  std::ifstream in(path);
  if (!in) {
    TraceReadResult result;
    result.error = "cannot open trace file '" + path + "'";
    return result;
  }
  TraceReadResult result = ReadTrace(in, unit);
  if (!result.ok()) result.error = path + ": " + result.error;
  return result;
}

void WriteTrace(std::ostream& out, const Trace& trace) {
  out << "# picket heartbeat trace: one arrival time per line, seconds\n";
  char buffer[64];
  for (const Duration arrival : trace.arrivals) {
    const auto ns = arrival.count();
    std::snprintf(buffer, sizeof buffer, "%lld.%09lld\n",
                  static_cast<long long>(ns / 1'000'000'000),
                  static_cast<long long>(ns % 1'000'000'000));
    out << buffer;
  }
}

}  // namespace picket::detector::eval
