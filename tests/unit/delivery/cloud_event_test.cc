#include "delivery/cloud_event.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace picket::delivery {
namespace {

TEST_CASE("CloudEvents 1.0 structured JSON envelope", "[delivery][webhook]") {
  const std::string data = R"({"seq":7,"type":"member.failed","member":{"name":"db-1"}})";
  CloudEventFields fields;
  fields.id = "msg_abc-7";
  fields.source = "picket://node-1";
  fields.type = "member.failed";
  fields.subject = "db-\"1\"";
  fields.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  fields.data = data;
  const auto json = nlohmann::json::parse(RenderCloudEvent(fields));
  CHECK(json["specversion"] == "1.0");
  CHECK(json["id"] == "msg_abc-7");
  CHECK(json["source"] == "picket://node-1");
  CHECK(json["type"] == "member.failed");
  CHECK(json["subject"] == "db-\"1\"");
  CHECK(json["time"] == "2023-11-14T22:13:20.123Z");
  CHECK(json["datacontenttype"] == "application/json");
  CHECK(json["data"] == nlohmann::json::parse(data));
  CHECK(json.size() == 8);

  fields.subject = "";
  CHECK_FALSE(nlohmann::json::parse(RenderCloudEvent(fields)).contains("subject"));
}

TEST_CASE("CloudEvents source is picket://<name>, percent-encoded", "[delivery][webhook]") {
  CHECK(CloudEventSource("node-1.a_b~") == "picket://node-1.a_b~");
  CHECK(CloudEventSource("db 1/x") == "picket://db%201%2Fx");
  CHECK(CloudEventSource("\xC3\xA9") == "picket://%C3%A9");
}

}  // namespace
}  // namespace picket::delivery
