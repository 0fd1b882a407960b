#include "membership/detail/broadcast_queue.h"

#include <catch2/catch.hpp>

namespace picket::membership::detail {
namespace {

std::string Item(char c, std::size_t size = 10) { return std::string(size, c); }

}  // namespace

TEST_CASE("broadcast queue: each entry is sent exactly transmit_limit times", "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("a", Item('a'));
  q.Push("b", Item('b'));
  int sent_a = 0, sent_b = 0;
  for (int round = 0; round < 10; ++round) {
    std::string out;
    q.Fill(out, 1000, /*transmit_limit=*/4, -1);
    sent_a += static_cast<int>(std::count(out.begin(), out.end(), 'a')) / 10;
    sent_b += static_cast<int>(std::count(out.begin(), out.end(), 'b')) / 10;
  }
  CHECK(sent_a == 4);
  CHECK(sent_b == 4);
  CHECK(q.empty());
}

TEST_CASE("broadcast queue: least-sent first, newest first among equals", "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("old", Item('o'));
  std::string out;
  q.Fill(out, 1000, 10, -1);  // "old" now sent once
  q.Push("new1", Item('1'));
  q.Push("new2", Item('2'));
  out.clear();
  // Room for two entries only: the two never-sent ones, newest first.
  q.Fill(out, 20, 10, -1);
  CHECK(out == Item('2') + Item('1'));
  out.clear();
  q.Fill(out, 10, 10, -1);
  CHECK(out == Item('2'));  // all sent once now; newest first
}

TEST_CASE("broadcast queue: packing respects the budget and skips what does not fit",
          "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("big", Item('B', 50));
  q.Push("small", Item('s', 10));
  std::string out = "header";
  const int n = q.Fill(out, 30, 10, -1);
  CHECK(n == 1);
  CHECK(out == "header" + Item('s', 10));
  CHECK(q.Transmits("big") == 0);
  CHECK(q.Transmits("small") == 1);
}

TEST_CASE("broadcast queue: a newer update under the same key replaces the older",
          "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("m", Item('x'));
  std::string out;
  q.Fill(out, 100, 10, -1);
  q.Push("m", Item('y'));
  CHECK(q.size() == 1);
  CHECK(q.Transmits("m") == 0);
  out.clear();
  q.Fill(out, 100, 10, -1);
  CHECK(out == Item('y'));
}

TEST_CASE("broadcast queue: bounded, the most-sent oldest entry goes first", "[dissemination]") {
  BroadcastQueue q(3);
  q.Push("a", Item('a'));
  q.Push("b", Item('b'));
  std::string out;
  q.Fill(out, 100, 10, -1);  // a, b sent once
  q.Push("c", Item('c'));
  q.Push("d", Item('d'));  // over the limit: "a" (sent once, oldest) goes
  CHECK(q.size() == 3);
  CHECK_FALSE(q.Transmits("a").has_value());
  CHECK(q.Transmits("b") == 1);
}

TEST_CASE("broadcast queue: join news has a bound of its own, state changes stay",
          "[dissemination]") {
  using Kind = BroadcastQueue::Kind;
  BroadcastQueue q(10, 2);
  q.Push("s", Item('s'));  // a state change
  q.Push("j1", Item('1'), Kind::kNewMember);
  q.Push("j2", Item('2'), Kind::kNewMember);
  std::string out;
  q.Fill(out, 100, 10, -1);                   // every entry sent once: "s" is the most-sent, oldest
  q.Push("j3", Item('3'), Kind::kNewMember);  // the third join news: "j1" goes, not "s"
  CHECK(q.size() == 3);
  CHECK(q.new_members() == 2);
  CHECK(q.Transmits("s") == 1);
  CHECK_FALSE(q.Transmits("j1").has_value());
  CHECK(q.Transmits("j3") == 0);
  q.Push("j2", Item('x'));  // j2 failed meanwhile: a state change now, out of the bound
  CHECK(q.new_members() == 1);
  q.Push("j4", Item('4'), Kind::kNewMember);
  CHECK(q.size() == 4);
  for (int i = 0; i < 10; ++i) {
    out.clear();
    q.Fill(out, 100, 10, -1);
  }
  CHECK(q.empty());
  CHECK(q.new_members() == 0);
}

TEST_CASE("broadcast queue: the watched entry is never the one pruned", "[dissemination]") {
  BroadcastQueue q(2);
  q.Push("self", Item('s'));
  q.Watch("self");
  std::string out;
  q.Fill(out, 100, 5, -1);  // the leave is sent once: the most-sent entry
  q.Push("b", Item('b'));
  q.Push("c", Item('c'));  // over the limit: "b" goes instead of the leave
  CHECK(q.Transmits("self") == 1);
  CHECK_FALSE(q.Transmits("b").has_value());
  CHECK(q.Transmits("c") == 0);
  for (int i = 0; i < 4; ++i) q.Fill(out, 100, 5, -1);
  CHECK(q.WatchDone());
}

TEST_CASE("broadcast queue: an entry reaches each observer slot once", "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("a", Item('a'));
  std::string out;
  CHECK(q.Fill(out, 100, 10, 0) == 1);
  out.clear();
  CHECK(q.Fill(out, 100, 10, 0) == 0);  // already went to observer 0
  CHECK(q.Fill(out, 100, 10, 1) == 1);
  out.clear();
  CHECK(q.Fill(out, 100, 10, -1) == 1);  // non-heartbeat datagrams still carry it
  q.ClearSlot(0);
  out.clear();
  CHECK(q.Fill(out, 100, 10, 0) == 1);  // a new observer in slot 0
}

TEST_CASE("broadcast queue: watch completes after the last transmission", "[dissemination]") {
  BroadcastQueue q(100);
  q.Push("self", Item('s'));
  q.Watch("self");
  std::string out;
  q.Fill(out, 100, 2, -1);
  CHECK_FALSE(q.WatchDone());
  q.Fill(out, 100, 2, -1);
  CHECK(q.WatchDone());
}

}  // namespace picket::membership::detail
