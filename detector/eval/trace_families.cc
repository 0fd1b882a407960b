#include "detector/eval/trace_families.h"

namespace picket::detector::eval {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TraceFamily Family(std::string name, std::string description, Conditions conditions,
                   Duration duration) {
  TraceFamily family{std::move(name), std::move(description), TraceSpec{}};
  family.spec.phases = {Phase{conditions, Duration::zero()}};
  family.spec.duration = duration;
  return family;
}

}  // namespace

std::vector<TraceFamily> StandardFamilies(Duration duration) {
  std::vector<TraceFamily> families;

  Conditions lan;
  lan.base_delay = std::chrono::microseconds(200);
  lan.jitter = std::chrono::microseconds(500);
  families.push_back(
      Family("steady-lan", "LAN: 0.2 ms delay, 0.5 ms jitter, no loss", lan, duration));

  Conditions jittery;
  jittery.base_delay = milliseconds(1);
  jittery.jitter = milliseconds(50);
  families.push_back(
      Family("jittery", "busy network: 1 ms + |N(0, 50 ms)| delay, no loss", jittery, duration));

  Conditions lossy = lan;
  lossy.jitter = milliseconds(2);
  lossy.loss = 0.05;
  families.push_back(Family("lossy-5", "5% independent loss, 2 ms jitter", lossy, duration));

  Conditions bursty = lan;
  bursty.jitter = milliseconds(2);
  bursty.loss = 0.005;
  bursty.burst_rate = 0.002;
  bursty.burst_length = 5.0;
  families.push_back(Family("bursty-loss",
                            "0.5% loss + bursts (0.2% of heartbeats start one, mean 5 lost)",
                            bursty, duration));

  Conditions gc = lan;
  gc.jitter = milliseconds(2);
  gc.stall_every = seconds(30);
  gc.stall_median = milliseconds(250);
  gc.stall_sigma = 0.8;
  families.push_back(Family(
      "gc-pauses", "sender stalls every ~30 s, lognormal median 250 ms (p99 1.6 s)", gc, duration));

  Conditions heavy = lan;
  heavy.base_delay = milliseconds(1);
  heavy.tail = DelayTail::kPareto;
  heavy.tail_scale = milliseconds(10);
  heavy.tail_shape = 1.8;
  families.push_back(Family("heavy-tailed", "Pareto delays: P(extra > x) = (1 + x / 10 ms)^-1.8",
                            heavy, duration));

  // Non-stationary: calm and rough stretches alternate, as when a link or a
  // host is congested for a while.
  Conditions calm = lan;
  calm.jitter = milliseconds(1);
  Conditions rough = lan;
  rough.jitter = milliseconds(40);
  rough.loss = 0.05;
  TraceFamily changing =
      Family("changing", "20 min calm (1 ms jitter) / 20 min rough (40 ms jitter, 5% loss)", calm,
             duration);
  changing.spec.phases = {Phase{calm, minutes(20)}, Phase{rough, minutes(20)}};
  families.push_back(changing);

  return families;
}

}  // namespace picket::detector::eval
