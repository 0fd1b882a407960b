#include "sim/view_collector.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;
using Change = ViewCollector::Change;

// Hosts 0, 1 and 2 start at time 0, each seeing only itself.
void StartThree(GroundTruth& truth, ViewCollector& v) {
  for (HostId h = 0; h < 3; ++h) {
    truth.AddHost();
    truth.OnStart(h, TimePoint{}, false);
    v.OnStart(h);
  }
}

TEST_CASE("ViewCollector: up counts and transitions", "[sim][views]") {
  ViewCollector v(3);
  v.OnStart(0);
  v.OnStart(1);
  CHECK(v.UpCount(0) == 1);
  CHECK(v.Set(0, 2, true) == Change::kFirstUp);
  CHECK(v.Set(1, 2, true) == Change::kNone);
  CHECK(v.Set(1, 2, true) == Change::kNone);  // idempotent
  CHECK(v.UpCount(2) == 2);
  CHECK(v.Set(0, 2, false) == Change::kNone);
  CHECK(v.Set(1, 2, false) == Change::kLastDown);
  CHECK(v.UpCount(2) == 0);
  CHECK_FALSE(v.Sees(0, 2));
}

TEST_CASE("ViewCollector: a stopped observer no longer counts", "[sim][views]") {
  ViewCollector v(3);
  v.OnStart(0);
  v.OnStart(1);
  v.Set(1, 2, true);
  const std::vector<HostId> unseen = v.OnStop(1);
  CHECK(unseen == std::vector<HostId>{1, 2});
  CHECK(v.UpCount(2) == 0);
}

TEST_CASE("ViewCollector: convergence follows the truth", "[sim][views]") {
  GroundTruth truth(1s);
  ViewCollector v(3);
  StartThree(truth, v);
  CHECK_FALSE(v.Converged(truth));
  for (HostId o = 0; o < 3; ++o) {
    for (HostId s = 0; s < 3; ++s) v.Set(o, s, true);
  }
  CHECK(v.Converged(truth));
  CHECK(v.MissingCount(truth) == 0);

  truth.OnCrash(2, TimePoint{} + 1s);
  v.OnStop(2);
  CHECK_FALSE(v.Converged(truth));  // 0 and 1 still see 2 up
  v.Set(0, 2, false);
  v.Set(1, 2, false);
  CHECK(v.Converged(truth));

  truth.OnPartition({0, 1, 0}, TimePoint{} + 2s);
  CHECK(v.CrossGroupUpPairs(truth) == 2);
  v.Set(0, 1, false);
  v.Set(1, 0, false);
  CHECK(v.CrossGroupUpPairs(truth) == 0);
  CHECK(v.MissingCount(truth) == 2);
}

TEST_CASE("ViewCollector: distinct view sizes count what running observers held at samples",
          "[sim][views]") {
  GroundTruth truth(1s);
  ViewCollector v(3);
  StartThree(truth, v);
  v.SampleViewSizes(truth);  // everyone sees itself: size 1
  CHECK(v.DistinctViewSizes() == 1);
  v.Set(0, 1, true);
  v.Set(0, 2, true);  // 0 went through size 2 between samples: not noted
  v.SampleViewSizes(truth);
  CHECK(v.DistinctViewSizes() == 2);  // sizes 3 (member 0) and 1
  truth.OnCrash(0, TimePoint{} + 1s);
  v.OnStop(0);  // a stopped observer's emptying view is not a size it held
  v.SampleViewSizes(truth);
  CHECK(v.DistinctViewSizes() == 2);
  v.Set(1, 2, true);
  v.SampleViewSizes(truth);
  CHECK(v.DistinctViewSizes() == 3);
}

TEST_CASE("ViewCollector: events map to up or down by the member's state", "[sim][views]") {
  membership::MemberEvent e;
  e.type = membership::EventType::kSuspect;
  e.member.state = membership::MemberState::kSuspect;
  CHECK(ViewCollector::UpAfter(e) == std::optional<bool>(true));
  e.type = membership::EventType::kFailed;
  e.member.state = membership::MemberState::kFailed;
  CHECK(ViewCollector::UpAfter(e) == std::optional<bool>(false));
  e.type = membership::EventType::kJoined;  // learned about a member already failed
  CHECK(ViewCollector::UpAfter(e) == std::optional<bool>(false));
  e.type = membership::EventType::kQuorumLost;
  CHECK_FALSE(ViewCollector::UpAfter(e));
}

}  // namespace
}  // namespace picket::sim

namespace picket::sim {
namespace {

TEST_CASE("ViewCollector: equal up sets have equal view hashes", "[sim][views]") {
  ViewCollector v(4);
  for (HostId h = 0; h < 4; ++h) v.OnStart(h);
  // 0 and 1 both see {0, 1, 2}, reached in a different order.
  v.Set(0, 1, true);
  v.Set(0, 2, true);
  v.Set(1, 2, true);
  v.Set(1, 0, true);
  CHECK(v.ViewHash(0) == v.ViewHash(1));
  // 2 sees {0, 1, 2} too, after seeing 3 up and down again.
  v.Set(2, 3, true);
  v.Set(2, 0, true);
  CHECK(v.ViewHash(2) != v.ViewHash(0));
  v.Set(2, 1, true);
  v.Set(2, 3, false);
  CHECK(v.ViewHash(2) == v.ViewHash(0));
  // 3 sees only itself.
  CHECK(v.ViewHash(3) != v.ViewHash(0));
  v.OnStop(1);
  CHECK(v.ViewHash(1) == 0);
}

}  // namespace
}  // namespace picket::sim
