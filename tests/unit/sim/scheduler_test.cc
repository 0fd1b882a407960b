#include "sim/scheduler.h"

#include <catch2/catch.hpp>
#include <vector>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

TEST_CASE("Scheduler: events run in (time, sequence) order", "[sim][scheduler]") {
  Scheduler s;
  s.ScheduleAt(TimePoint{} + 3ms, Event{3, 0, 0});
  s.ScheduleAt(TimePoint{} + 1ms, Event{1, 0, 0});
  s.ScheduleAt(TimePoint{} + 2ms, Event{21, 0, 0});
  s.ScheduleAt(TimePoint{} + 2ms, Event{22, 0, 0});
  s.ScheduleAt(TimePoint{} + 2ms, Event{23, 0, 0});
  std::vector<std::uint32_t> order;
  while (auto e = s.PopUntil(TimePoint{} + 10ms)) order.push_back(e->kind);
  CHECK(order == std::vector<std::uint32_t>{1, 21, 22, 23, 3});
  CHECK(s.now() == TimePoint{} + 10ms);
  CHECK(s.events_run() == 5);
}

TEST_CASE("Scheduler: many interleaved events pop in (time, sequence) order", "[sim][scheduler]") {
  // Exercises the heap with pushes during pops, ties and clamping.
  Scheduler s;
  std::uint64_t x = 12345;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  std::uint32_t id = 0;
  for (int i = 0; i < 500; ++i) {
    s.ScheduleAt(TimePoint{} + std::chrono::microseconds(next() % 200), Event{id++, 0, 0});
  }
  std::vector<std::pair<TimePoint, std::uint32_t>> popped;
  while (auto e = s.PopUntil(TimePoint{} + 1s)) {
    popped.emplace_back(s.now(), e->kind);
    if (id < 3000) {
      for (std::uint64_t k = next() % 3; k > 0; --k) {
        s.ScheduleAfter(std::chrono::microseconds(next() % 50), Event{id++, 0, 0});
      }
    }
  }
  CHECK(s.pending() == 0);
  CHECK(popped.size() == id);
  bool ordered = true;
  for (std::size_t i = 1; i < popped.size(); ++i) {
    // Times never go back; at one instant, events run in scheduling order
    // (ids grow with the sequence number).
    if (popped[i].first < popped[i - 1].first ||
        (popped[i].first == popped[i - 1].first && popped[i].second < popped[i - 1].second)) {
      ordered = false;
    }
  }
  CHECK(ordered);
}

TEST_CASE("Scheduler: PopUntil stops at the horizon and advances time", "[sim][scheduler]") {
  Scheduler s;
  s.ScheduleAt(TimePoint{} + 5ms, Event{1, 0, 0});
  CHECK_FALSE(s.PopUntil(TimePoint{} + 4ms));
  CHECK(s.now() == TimePoint{} + 4ms);
  REQUIRE(s.NextTime() == TimePoint{} + 5ms);
  auto e = s.PopUntil(TimePoint{} + 5ms);
  REQUIRE(e);
  CHECK(s.now() == TimePoint{} + 5ms);
  CHECK(s.pending() == 0);
  CHECK_FALSE(s.NextTime());
}

TEST_CASE("Scheduler: the past is clamped to now, after what is already due", "[sim][scheduler]") {
  Scheduler s;
  s.ScheduleAt(TimePoint{} + 5ms, Event{1, 0, 0});
  REQUIRE(s.PopUntil(TimePoint{} + 5ms));
  s.ScheduleAt(TimePoint{} + 5ms, Event{2, 0, 0});
  s.ScheduleAt(TimePoint{} + 1ms, Event{3, 0, 0});  // in the past
  auto first = s.PopUntil(TimePoint{} + 5ms);
  auto second = s.PopUntil(TimePoint{} + 5ms);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->kind == 2);
  CHECK(second->kind == 3);
  CHECK(s.now() == TimePoint{} + 5ms);
}

TEST_CASE("Scheduler: a million events stay ordered", "[sim][scheduler]") {
  Scheduler s;
  std::uint64_t x = 12345;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    s.ScheduleAt(TimePoint{} + std::chrono::microseconds(x % 1000000), Event{i, 0, 0});
  }
  TimePoint last{};
  std::size_t n = 0;
  while (auto e = s.PopUntil(TimePoint::max())) {
    REQUIRE(s.now() >= last);
    last = s.now();
    ++n;
  }
  CHECK(n == 100000);
}

}  // namespace
}  // namespace picket::sim
