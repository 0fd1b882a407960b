#include "delivery/webhook_queue.h"

#include <catch2/catch.hpp>
#include <vector>

namespace picket::delivery {
namespace {

api::EventRecordPtr Record(std::uint64_t seq) {
  auto record = std::make_shared<api::EventRecord>();
  record->seq = seq;
  return record;
}

// "e<seq>" for events, "r<seq>" for resync markers, front first.
std::vector<std::string> Contents(WebhookQueue queue) {
  std::vector<std::string> out;
  while (!queue.empty()) {
    out.push_back((queue.front().resync() ? "r" : "e") + std::to_string(queue.front().seq));
    queue.pop_front();
  }
  return out;
}

TEST_CASE("queue keeps order below its capacity", "[delivery][webhook]") {
  WebhookQueue queue(4);
  for (std::uint64_t seq = 1; seq <= 4; ++seq) CHECK(queue.Push(Record(seq)) == 0);
  CHECK(Contents(queue) == std::vector<std::string>{"e1", "e2", "e3", "e4"});
}

TEST_CASE("overflow drops the oldest and puts a resync marker in front", "[delivery][webhook]") {
  WebhookQueue queue(4);
  for (std::uint64_t seq = 1; seq <= 4; ++seq) CHECK(queue.Push(Record(seq)) == 0);
  // Full: e1 becomes the marker, e2 is absorbed by it, e5 goes in.
  CHECK(queue.Push(Record(5)) == 2);
  CHECK(Contents(queue) == std::vector<std::string>{"r2", "e3", "e4", "e5"});
  CHECK(queue.size() == 4);
  // Further overflows extend the same marker, one event each.
  CHECK(queue.Push(Record(6)) == 1);
  CHECK(queue.Push(Record(7)) == 1);
  CHECK(Contents(queue) == std::vector<std::string>{"r4", "e5", "e6", "e7"});
  // Delivered marker, then the rest in order; the queue works normally again.
  queue.pop_front();
  CHECK(queue.Push(Record(8)) == 0);
  CHECK(Contents(queue) == std::vector<std::string>{"e5", "e6", "e7", "e8"});
}

TEST_CASE("a thousand events into a small queue: marker, then the newest, in order",
          "[delivery][webhook]") {
  WebhookQueue queue(16);
  std::size_t dropped = 0;
  for (std::uint64_t seq = 1; seq <= 1000; ++seq) dropped += queue.Push(Record(seq));
  CHECK(queue.size() == 16);
  CHECK(dropped == 1000 - 15);
  const auto contents = Contents(queue);
  CHECK(contents.front() == "r985");
  for (std::size_t i = 1; i < contents.size(); ++i) {
    CHECK(contents[i] == "e" + std::to_string(985 + i));
  }
}

TEST_CASE("upstream loss appends or extends a marker", "[delivery][webhook]") {
  WebhookQueue queue(4);
  CHECK(queue.Push(Record(1)) == 0);
  CHECK(queue.PushResync(10) == 0);
  CHECK(queue.PushResync(12) == 0);  // extends the marker at the back
  CHECK(queue.Push(Record(13)) == 0);
  CHECK(Contents(queue) == std::vector<std::string>{"e1", "r12", "e13"});
}

TEST_CASE("capacity below 2 is raised to 2", "[delivery][webhook]") {
  WebhookQueue queue(0);
  CHECK(queue.capacity() == 2);
  queue.Push(Record(1));
  queue.Push(Record(2));
  queue.Push(Record(3));
  CHECK(Contents(queue) == std::vector<std::string>{"r2", "e3"});
}

}  // namespace
}  // namespace picket::delivery
