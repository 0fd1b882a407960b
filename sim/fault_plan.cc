#include "sim/fault_plan.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "sim/random.h"

namespace picket::sim {

namespace {

Duration Seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// Fisher-Yates with our own generator (std::shuffle is implementation-defined).
void Shuffle(std::vector<HostId>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[static_cast<std::size_t>(rng.Below(i))]);
  }
}

// Members that are leaving are not offered as seeds (a terminating pod is no
// longer among a Service's ready endpoints).
std::vector<membership::Address> RandomRunningSeeds(Cluster& cluster, HostId self, Rng& rng) {
  std::vector<HostId> running;
  for (HostId h = 0; h < cluster.host_count(); ++h) {
    if (h != self && cluster.truth().ExpectedUp(h)) running.push_back(h);
  }
  std::vector<membership::Address> seeds;
  for (std::size_t i = 0; i < 3 && !running.empty(); ++i) {
    const auto pick = static_cast<std::size_t>(rng.Below(running.size()));
    seeds.push_back(cluster.AddressOf(running[pick]));
    running[pick] = running.back();
    running.pop_back();
  }
  return seeds;
}

}  // namespace

FaultPlan BuildFaultPlan(const ScenarioOptions& o, TimePoint measure_start) {
  FaultPlan plan;
  Rng rng(DeriveSeed(o.seed, 3));
  const auto n = static_cast<std::size_t>(o.nodes);
  std::vector<HostId> order(n);
  std::iota(order.begin(), order.end(), HostId{0});
  Shuffle(order, rng);
  std::size_t next = 0;
  // The next `count` members of the shuffled order, sorted unless `in_order`.
  auto take = [&](int count, bool in_order = false) {
    std::vector<HostId> chosen(order.begin() + static_cast<std::ptrdiff_t>(next),
                               order.begin() + static_cast<std::ptrdiff_t>(next) + count);
    next += static_cast<std::size_t>(count);
    if (!in_order) std::sort(chosen.begin(), chosen.end());
    return chosen;
  };
  plan.crashed = take(o.crash);
  plan.paused = take(o.pause_ms > 0 ? o.pause_count : 0);
  plan.leaving = take(o.leave);
  plan.impaired = take(o.impair);
  plan.replaced = take(o.Replacements(), /*in_order=*/true);  // they go in the shuffled order
  plan.replace_by = o.replace_by;
  const TimePoint end = measure_start + Seconds(o.seconds);
  using Kind = FaultAction::Kind;

  const TimePoint gray_from = measure_start + Seconds(o.impair_at);
  const TimePoint gray_until = measure_start + Seconds(o.ImpairEnd());
  const bool gray_ends = o.impair_until >= 0;
  plan.loss_in = o.impair_dir != ImpairDirection::kOut ? o.impair_loss : 0.0;
  plan.loss_out = o.impair_dir != ImpairDirection::kIn ? o.impair_loss : 0.0;
  for (HostId h : plan.impaired) {
    plan.actions.push_back({gray_from, Kind::kGrayStart, h});
    if (o.impair_flip_s > 0) {
      const Duration flip = Seconds(o.impair_flip_s);
      for (TimePoint at = gray_from; at < gray_until; at += 2 * flip) {
        plan.actions.push_back({at, Kind::kLossOn, h});
        if (at + flip < gray_until) plan.actions.push_back({at + flip, Kind::kLossOff, h});
      }
    } else {
      plan.actions.push_back({gray_from, Kind::kLossOn, h});
    }
    if (gray_ends) {
      plan.actions.push_back({gray_until, Kind::kLossOff, h});
      plan.actions.push_back({gray_until, Kind::kGrayEnd, h});
    }
  }
  while (plan.one_way.size() < static_cast<std::size_t>(o.one_way_pairs)) {
    const auto a = static_cast<HostId>(rng.Below(n));
    const auto b = static_cast<HostId>(rng.Below(n));
    if (a == b) continue;
    const std::pair<HostId, HostId> pair{a, b};
    if (std::find(plan.one_way.begin(), plan.one_way.end(), pair) != plan.one_way.end()) continue;
    plan.one_way.push_back(pair);
    plan.actions.push_back({gray_from, Kind::kOneWayCut, a, b});
    if (gray_ends) plan.actions.push_back({gray_until, Kind::kOneWayRestore, a, b});
  }

  for (HostId h : plan.crashed) {
    const TimePoint at = measure_start + Seconds(o.crash_at);
    plan.actions.push_back({at, Kind::kCrash, h});
    if (o.restart_after >= 0) {
      plan.actions.push_back({at + Seconds(o.restart_after), Kind::kRestart, h});
    }
  }
  for (HostId h : plan.paused) {
    const Duration every = Seconds(o.pause_every_ms / 1000);
    const Duration length = Seconds(o.pause_ms / 1000);
    TimePoint at =
        measure_start + Seconds(o.pause_from) +
        Duration(static_cast<Duration::rep>(rng.Below(static_cast<std::uint64_t>(every.count()))));
    for (; at < end; at += every) {
      plan.actions.push_back({at, Kind::kPause, h});
      plan.actions.push_back({at + length, Kind::kResume, h});
    }
  }
  if (o.partition > 0) {
    plan.groups.assign(n, 0);
    std::vector<HostId> side(order);
    Shuffle(side, rng);
    const auto cut = static_cast<std::size_t>(std::llround(o.partition * static_cast<double>(n)));
    for (std::size_t i = 0; i < cut; ++i) plan.groups[side[i]] = 1;
    plan.actions.push_back({measure_start + Seconds(o.partition_at), Kind::kPartition, 0});
    if (o.heal_at >= 0)
      plan.actions.push_back({measure_start + Seconds(o.heal_at), Kind::kHeal, 0});
  }
  for (HostId h : plan.leaving) {
    plan.actions.push_back({measure_start + Seconds(o.leave_at), Kind::kLeave, h});
  }
  const int joiners = o.Joiners();
  for (int i = 0; i < joiners; ++i) {
    const auto h = static_cast<HostId>(o.nodes + i);
    plan.joiners.push_back(h);
    plan.actions.push_back({measure_start + Seconds((i + 0.5) / o.join_rate), Kind::kJoin, h});
  }
  const int first_replacement = o.nodes + joiners;
  for (std::size_t i = 0; i < plan.replaced.size(); ++i) {
    const auto joiner = static_cast<HostId>(first_replacement + static_cast<int>(i));
    plan.replacements.push_back(joiner);
    const TimePoint at =
        measure_start + Seconds((static_cast<double>(i) + 0.5) * o.ReplaceInterval());
    plan.actions.push_back({at, Kind::kReplace, plan.replaced[i], joiner});
  }
  std::stable_sort(plan.actions.begin(), plan.actions.end(),
                   [](const FaultAction& a, const FaultAction& b) { return a.at < b.at; });
  return plan;
}

void ApplyFaultPlan(const FaultPlan& plan, Cluster& cluster, std::uint64_t seed) {
  auto rng = std::make_shared<Rng>(DeriveSeed(seed, 4));
  Cluster* c = &cluster;
  for (const FaultAction& a : plan.actions) {
    const HostId h = a.host;
    switch (a.kind) {
      case FaultAction::Kind::kCrash:
        cluster.At(a.at, [c, h] { c->Crash(h); });
        break;
      case FaultAction::Kind::kRestart:
        cluster.At(a.at, [c, h, rng] { c->Restart(h, RandomRunningSeeds(*c, h, *rng)); });
        break;
      case FaultAction::Kind::kPause:
        cluster.At(a.at, [c, h] { c->Pause(h); });
        break;
      case FaultAction::Kind::kResume:
        cluster.At(a.at, [c, h] { c->Resume(h); });
        break;
      case FaultAction::Kind::kPartition: {
        std::vector<std::uint32_t> groups = plan.groups;
        cluster.At(a.at, [c, groups] { c->Partition(groups); });
        break;
      }
      case FaultAction::Kind::kHeal:
        cluster.At(a.at, [c] { c->Heal(); });
        break;
      case FaultAction::Kind::kJoin:
        cluster.At(a.at, [c, h, rng] { c->Start(h, RandomRunningSeeds(*c, h, *rng)); });
        break;
      case FaultAction::Kind::kLeave:
        cluster.At(a.at, [c, h] { c->Leave(h); });
        break;
      case FaultAction::Kind::kGrayStart:
        cluster.At(a.at, [c, h] { c->GrayStart(h); });
        break;
      case FaultAction::Kind::kGrayEnd:
        cluster.At(a.at, [c, h] { c->GrayEnd(h); });
        break;
      case FaultAction::Kind::kLossOn: {
        const double in = plan.loss_in, out = plan.loss_out;
        cluster.At(a.at, [c, h, in, out] { c->SetHostLoss(h, in, out); });
        break;
      }
      case FaultAction::Kind::kLossOff:
        cluster.At(a.at, [c, h] { c->SetHostLoss(h, 0, 0); });
        break;
      case FaultAction::Kind::kOneWayCut:
      case FaultAction::Kind::kOneWayRestore: {
        const HostId peer = a.peer;
        const bool cut = a.kind == FaultAction::Kind::kOneWayCut;
        // `h` stops (or starts again) hearing `peer`: the direction peer -> h.
        cluster.At(a.at, [c, h, peer, cut] { c->SetOneWayCut(peer, h, cut); });
        break;
      }
      case FaultAction::Kind::kReplace: {
        const HostId joiner = a.peer;
        const bool crash = plan.replace_by == ReplaceBy::kCrash;
        cluster.At(a.at, [c, h, joiner, crash, rng] {
          if (crash) {
            c->Crash(h);
          } else {
            c->Leave(h);
          }
          c->Start(joiner, RandomRunningSeeds(*c, joiner, *rng));
          c->TrackReplacement(h, joiner);
        });
        break;
      }
    }
  }
}

}  // namespace picket::sim
