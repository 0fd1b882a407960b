#include "api/event_log.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "api_test_util.h"

namespace picket::api {
namespace {

using membership::EventType;
using testing::MakeEvent;
using testing::MakeMember;

membership::MemberInfo Alice() {
  return MakeMember("alice", membership::MemberState::kAlive, membership::Clock::now());
}

TEST_CASE("sequence numbers start at 1 and increase by one", "[api][event_log]") {
  EventLog log(10);
  CHECK(log.LastSeq() == 0);
  CHECK(log.Append(MakeEvent(EventType::kJoined, Alice())) == 1);
  CHECK(log.Append(MakeEvent(EventType::kSuspect, Alice())) == 2);
  CHECK(log.Append(MakeEvent(EventType::kAlive, Alice())) == 3);
  const auto read = log.Read(0, 100);
  CHECK_FALSE(read.resync);
  CHECK(read.last_seq == 3);
  REQUIRE(read.events.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(read.events[i]->seq == i + 1);
  CHECK(read.events[1]->type_name() == "member.suspect");
  CHECK(log.Read(1, 1).events.front()->seq == 2);  // max_events honoured
  CHECK(log.Read(3, 100).events.empty());
}

TEST_CASE("logged events carry the public Event shape", "[api][event_log]") {
  EventLog log;
  const auto steady = membership::Clock::now();
  const auto wall = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 30);
  auto member =
      MakeMember("bob", membership::MemberState::kSuspect, steady - std::chrono::seconds(2));
  member.phi = 9.25;
  member.tags = {{"role", "primary"}};
  auto event = MakeEvent(EventType::kSuspect, member);
  event.time = steady;
  event.quorum = {2, 3, true};
  log.Append(event, steady, wall);
  const auto json = nlohmann::json::parse(log.Read(0, 1).events.front()->json);
  CHECK(json["seq"] == 1);
  CHECK(json["type"] == "member.suspect");
  CHECK(json["time"] == "1999-12-25T00:00:00.000Z");
  CHECK(json["member"]["name"] == "bob");
  CHECK(json["member"]["state"] == "suspect");
  CHECK(json["member"]["phi"] == 9.25);
  CHECK(json["member"]["reported_phi"].is_null());
  CHECK(json["member"]["tags"]["role"] == "primary");
  CHECK(json["member"]["state_since"] == "1999-12-24T23:59:58.000Z");
  CHECK(json["member"]["state_age_s"] == 2.0);
  CHECK(json["quorum"] == nlohmann::json{{"alive", 2}, {"members", 3}, {"has_majority", true}});
}

TEST_CASE("a full ring drops the oldest events and readers behind it must resync",
          "[api][event_log]") {
  EventLog log(3);
  for (int i = 0; i < 5; ++i) log.Append(MakeEvent(EventType::kUpdated, Alice()));
  const auto stats = log.GetStats();
  CHECK(stats.size == 3);
  CHECK(stats.oldest_seq == 3);
  CHECK(stats.evicted == 2);
  CHECK(stats.appended_by_type[static_cast<std::size_t>(EventType::kUpdated)] == 5);

  SECTION("a reader that saw seq 2 misses nothing") {
    const auto read = log.Read(2, 100);
    CHECK_FALSE(read.resync);
    CHECK(read.events.front()->seq == 3);
  }
  SECTION("a reader that saw seq 1 missed seq 2: resync at 2, then 3..5") {
    const auto read = log.Read(1, 100);
    CHECK(read.resync);
    CHECK(read.resync_seq == 2);
    REQUIRE(read.events.size() == 3);
    CHECK(read.events.front()->seq == 3);
  }
  SECTION("a seq the log never reached (agent restarted) resyncs at the last seq") {
    const auto read = log.Read(9, 100);
    CHECK(read.resync);
    CHECK(read.resync_seq == 5);
    CHECK(read.events.empty());
  }
}

TEST_CASE("WaitAndRead returns at once with events, after the timeout without",
          "[api][event_log]") {
  EventLog log;
  log.Append(MakeEvent(EventType::kJoined, Alice()));
  CHECK(log.WaitAndRead(0, 10, std::chrono::hours(1)).events.size() == 1);
  const auto empty = log.WaitAndRead(1, 10, std::chrono::milliseconds(1));
  CHECK(empty.events.empty());
  CHECK_FALSE(empty.resync);
}

TEST_CASE("WaitAndRead wakes up when another thread appends", "[api][event_log]") {
  EventLog log;
  std::atomic<bool> listener_called{false};
  const auto id = log.AddListener([&] { listener_called = true; });
  EventLog::ReadResult result;
  std::thread reader([&] { result = log.WaitAndRead(0, 10, std::chrono::minutes(5)); });
  log.Append(MakeEvent(EventType::kFailed, Alice()));
  reader.join();
  REQUIRE(result.events.size() == 1);
  CHECK(result.events.front()->type_name() == "member.failed");
  CHECK(listener_called);
  log.RemoveListener(id);
  listener_called = false;
  log.Append(MakeEvent(EventType::kFailed, Alice()));
  CHECK_FALSE(listener_called);
}

TEST_CASE("concurrent appenders and readers see a gap-free sequence", "[api][event_log]") {
  EventLog log(100'000);
  constexpr int kPerThread = 2000;
  std::thread a([&] {
    for (int i = 0; i < kPerThread; ++i) log.Append(MakeEvent(EventType::kUpdated, Alice()));
  });
  std::thread b([&] {
    for (int i = 0; i < kPerThread; ++i) log.Append(MakeEvent(EventType::kJoined, Alice()));
  });
  std::uint64_t seen = 0;
  while (seen < 2 * kPerThread) {
    const auto read = log.WaitAndRead(seen, 500, std::chrono::seconds(30));
    REQUIRE_FALSE(read.resync);
    for (const auto& record : read.events) REQUIRE(record->seq == ++seen);
  }
  a.join();
  b.join();
  CHECK(log.LastSeq() == 2 * kPerThread);
}

}  // namespace
}  // namespace picket::api
