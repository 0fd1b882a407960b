#include "sim/gray_collector.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;
using membership::EventType;

TEST_CASE("GrayCollector: failures, readmissions and failed everywhere", "[sim][gray]") {
  GrayCollector g;
  const TimePoint t{};
  g.OnEvent(0, 9, EventType::kSuspect, t + 1s, 2);
  g.OnEvent(0, 9, EventType::kFailed, t + 2s, 2);
  g.OnEvent(0, 9, EventType::kJoined, t + 3s, 2);
  g.OnEvent(0, 9, EventType::kFailed, t + 4s, 2);
  CHECK_FALSE(g.subjects().at(9).failed_everywhere);
  g.OnEvent(1, 9, EventType::kFailed, t + 5s, 2);
  const GrayCollector::Subject& s = g.subjects().at(9);
  CHECK(s.suspicions == 1);
  CHECK(s.failures == 3);
  CHECK(s.readmissions == 1);
  CHECK(s.failed_by.size() == 2);
  REQUIRE(s.failed_everywhere);
  CHECK(*s.failed_everywhere == t + 5s);
}

// 200 healthy hosts (0..199) see each other; host 200 is gray (impaired).
struct Fixture {
  static constexpr HostId kHosts = 201;
  static constexpr HostId kGray = 200;
  GroundTruth truth{2s};
  ViewCollector views{kHosts};
  GrayCollector gray;
  Fixture() {
    for (HostId h = 0; h < kHosts; ++h) {
      truth.AddHost();
      truth.OnStart(h, TimePoint{}, false);
      views.OnStart(h);
    }
    for (HostId o = 0; o < kHosts; ++o) {
      for (HostId s = 0; s < kHosts; ++s) views.Set(o, s, true);
    }
    truth.OnGrayStart(kGray, TimePoint{} + 1s);
  }
};

TEST_CASE("GrayCollector: agreement needs 99% of the healthy members on one up set",
          "[sim][gray]") {
  Fixture f;
  f.gray.SampleAgreement(f.views, f.truth);
  CHECK(f.gray.agreement_samples() == 1);
  CHECK(f.gray.agreeing_samples() == 1);
  // The gray member's own view does not count: it sees nobody.
  for (HostId s = 0; s < Fixture::kGray; ++s) f.views.Set(Fixture::kGray, s, false);
  f.gray.SampleAgreement(f.views, f.truth);
  CHECK(f.gray.agreeing_samples() == 2);
  // 2 of 200 healthy members (1%) hold the gray member failed: 99% still agree.
  f.views.Set(0, Fixture::kGray, false);
  f.views.Set(1, Fixture::kGray, false);
  f.gray.SampleAgreement(f.views, f.truth);
  CHECK(f.gray.agreeing_samples() == 3);
  // A third one: 197 of 200 agree, under 99%.
  f.views.Set(2, Fixture::kGray, false);
  f.gray.SampleAgreement(f.views, f.truth);
  CHECK(f.gray.agreement_samples() == 4);
  CHECK(f.gray.agreeing_samples() == 3);
  // All of them hold it failed: one set again.
  for (HostId o = 3; o < Fixture::kGray; ++o) f.views.Set(o, Fixture::kGray, false);
  f.gray.SampleAgreement(f.views, f.truth);
  CHECK(f.gray.agreeing_samples() == 4);
}

}  // namespace
}  // namespace picket::sim
