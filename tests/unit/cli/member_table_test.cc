#include "agent/cli/member_table.h"

#include <catch2/catch.hpp>

#include "agent/cli/sse_parser.h"

namespace picket::cli {
namespace {

TEST_CASE("the members table aligns columns and shows null phi as -", "[cli]") {
  const auto table = FormatMemberTable(R"({"members":[
    {"name":"alpha","address":"127.0.0.1:9746","state":"alive","incarnation":3,"tags":{},
     "service":{"status":"critical","output":"x","since":"y"},"phi":0.4242,"reported_phi":1.5,"state_since":"x","state_age_s":305.2},
    {"name":"b","address":"127.0.0.2:9746","state":"suspect","incarnation":12,"tags":{},
     "phi":null,"reported_phi":null,"state_since":"x","state_age_s":7.9}],"last_seq":4})");
  REQUIRE(table.has_value());
  CHECK(*table ==
        "NAME   ADDRESS         STATE    SERVICE   INCARNATION  PHI   REPORTED_PHI  AGE\n"
        "alpha  127.0.0.1:9746  alive    critical  3            0.42  1.50          5m05s\n"
        "b      127.0.0.2:9746  suspect  -         12           -     -             7s\n");
  CHECK_FALSE(FormatMemberTable("not json").has_value());
  CHECK_FALSE(FormatMemberTable(R"({"error":{}})").has_value());
}

TEST_CASE("ages and phi values format compactly", "[cli]") {
  CHECK(FormatAge(-1) == "0s");
  CHECK(FormatAge(59.9) == "59s");
  CHECK(FormatAge(3599) == "59m59s");
  CHECK(FormatAge(7500) == "2h05m");
  CHECK(FormatAge(2 * 86400 + 3600) == "2d01h");
  CHECK(FormatPhi(std::nullopt) == "-");
  CHECK(FormatPhi(8) == "8.00");
  CHECK(FormatPhi(1.7976931348623157e308) == "1.8e+308");
}

TEST_CASE("event lines summarise type, member and quorum", "[cli]") {
  const auto line = FormatEventLine(R"({"seq":9,"type":"member.failed","time":"T",
    "member":{"name":"n3","address":"a:1","state":"failed","incarnation":2,"phi":12.5,
    "reported_phi":null},"quorum":{"alive":2,"members":5,"has_majority":false}})");
  REQUIRE(line.has_value());
  CHECK(line->find("member.failed") != std::string::npos);
  CHECK(line->find("n3  a:1  state=failed service=- inc=2 phi=12.50 reported_phi=-") !=
        std::string::npos);
  CHECK(line->find("quorum=2/5 MINORITY") != std::string::npos);
}

TEST_CASE("the SSE parser splits frames across chunks and line endings", "[cli]") {
  SseParser parser;
  std::vector<SseEvent> events;
  auto collect = [&](const SseEvent& e) { events.push_back(e); };
  parser.Feed("retry: 2000\n: comment\n\nid: 1\nevent: member.joined\nda", collect);
  CHECK(events.empty());
  parser.Feed("ta: {\"seq\":1}\n\nid: 2\r\nevent: member.left\r\ndata: a\r\ndata: b\r", collect);
  parser.Feed("\n\r\n", collect);
  REQUIRE(events.size() == 2);
  CHECK(events[0].id == "1");
  CHECK(events[0].event == "member.joined");
  CHECK(events[0].data == "{\"seq\":1}");
  CHECK(events[1].id == "2");
  CHECK(events[1].event == "member.left");
  CHECK(events[1].data == "a\nb");
  CHECK(parser.last_event_id() == "2");
}

}  // namespace
}  // namespace picket::cli
