#include "sim/report.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

TEST_CASE("Percentiles: nearest rank", "[sim][report]") {
  const Percentiles none = ComputePercentiles({});
  CHECK(none.count == 0);
  CHECK_FALSE(none.p50);
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const Percentiles p = ComputePercentiles(v);
  CHECK(p.count == 100);
  CHECK(*p.p50 == 50);
  CHECK(*p.p99 == 99);
  CHECK(*p.max == 100);
  const Percentiles one = ComputePercentiles({2.5});
  CHECK(*one.p50 == 2.5);
  CHECK(*one.p99 == 2.5);
}

TEST_CASE("Report JSON: the contract's fields are present", "[sim][report]") {
  Report r;
  r.nodes = 10;
  r.seed = 3;
  r.simulated_s = 60;
  r.first_suspect_s = ComputePercentiles({1.25});
  const nlohmann::json j = ToJson(r);
  for (const char* key :
       {"nodes", "seed", "simulated_s", "wall_s", "crashed", "undetected", "first_suspect_s",
        "all_failed_s", "false_suspicions", "false_failures", "converged", "convergence_s",
        "msgs_per_member_s", "bytes_per_member_s"}) {
    INFO(key);
    CHECK(j.contains(key));
  }
  CHECK(j["wall_s"].is_null());
  CHECK(j["first_suspect_s"]["p50"] == 1.25);
  CHECK(j["all_failed_s"]["max"].is_null());
  CHECK(ToJson(r).dump() == j.dump());
  CHECK_FALSE(FormatSummary(r).empty());
}

}  // namespace
}  // namespace picket::sim
