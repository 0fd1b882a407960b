#include "membership/detail/broadcast_queue.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "membership/tuning.h"

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
  using Kind = BroadcastKind;
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

// The queue's documented order written the plainest way (a list sorted on
// every call), to check the bucketed one against under random use.
class ReferenceQueue {
 public:
  ReferenceQueue(std::size_t limit, std::size_t new_member_limit)
      : limit_(limit), new_member_limit_(new_member_limit) {}

  void Push(const std::string& key, const std::string& bytes, BroadcastKind kind) {
    entries_.erase(key);
    entries_[key] = Entry{bytes, next_id_++, 0, 0, kind};
    while (entries_.size() > limit_ && EvictOne(std::nullopt)) {
    }
    while (NewMembers() > new_member_limit_ && EvictOne(BroadcastKind::kNewMember)) {
    }
  }

  std::string Fill(std::size_t budget, int transmit_limit, int slot) {
    const std::uint32_t bit = slot >= 0 ? (1u << slot) : 0u;
    std::string out;
    std::size_t scanned = 0;
    for (const std::string& key : SendOrder()) {
      if (scanned >= tuning::kMaxBroadcastScan || out.size() >= budget) break;
      ++scanned;
      Entry& e = entries_.at(key);
      if ((e.slots_sent & bit) != 0 || out.size() + e.bytes.size() > budget) continue;
      out += e.bytes;
      e.slots_sent |= bit;
      if (++e.transmits >= transmit_limit) {
        if (watch_ == key) watch_done_ = true;
        entries_.erase(key);
      }
    }
    return out;
  }

  void ClearSlot(int slot) {
    for (auto& [key, e] : entries_) e.slots_sent &= ~(1u << slot);
  }
  void Remove(const std::string& key) { entries_.erase(key); }
  void Watch(const std::string& key) {
    watch_ = key;
    watch_done_ = false;
  }
  [[nodiscard]] bool WatchDone() const { return watch_done_; }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t NewMembers() const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](auto& kv) {
      return kv.second.kind == BroadcastKind::kNewMember;
    }));
  }
  [[nodiscard]] std::optional<int> Transmits(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second.transmits;
  }

 private:
  struct Entry {
    std::string bytes;
    std::uint64_t id;
    int transmits;
    std::uint32_t slots_sent;
    BroadcastKind kind;
  };
  // Least-sent first, newest first among equals.
  std::vector<std::string> SendOrder() const {
    std::vector<std::string> keys;
    for (const auto& [key, e] : entries_) keys.push_back(key);
    std::sort(keys.begin(), keys.end(), [this](const std::string& a, const std::string& b) {
      const Entry& x = entries_.at(a);
      const Entry& y = entries_.at(b);
      return x.transmits != y.transmits ? x.transmits < y.transmits : x.id > y.id;
    });
    return keys;
  }
  bool EvictOne(std::optional<BroadcastKind> kind) {
    std::vector<std::string> order = SendOrder();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if (kind && entries_.at(*it).kind != *kind) continue;
      if (watch_ == *it) continue;
      entries_.erase(*it);
      return true;
    }
    return false;
  }

  std::size_t limit_;
  std::size_t new_member_limit_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, Entry> entries_;
  std::optional<std::string> watch_;
  bool watch_done_ = false;
};

template <typename Key>
Key KeyOf(int k) {
  if constexpr (std::is_same_v<Key, std::string>) {
    return "m" + std::to_string(k);
  } else {
    return static_cast<Key>(k);
  }
}

TEMPLATE_TEST_CASE("broadcast queue: random use sends what the plain send order says",
                   "[dissemination]", std::string, std::uint32_t) {
  using Kind = BroadcastKind;
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    auto below = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::size_t limit = 8 + static_cast<std::size_t>(below(40));
    const std::size_t new_member_limit = 2 + static_cast<std::size_t>(below(10));
    BroadcastQueue<TestType> q(limit, new_member_limit);
    ReferenceQueue ref(limit, new_member_limit);
    int version = 0;
    for (int step = 0; step < 3000; ++step) {
      const int k = below(60);
      const TestType key = KeyOf<TestType>(k);
      const std::string name = "m" + std::to_string(k);
      const int op = below(100);
      if (op < 55) {
        const Kind kind = below(2) == 0 ? Kind::kStateChange : Kind::kNewMember;
        // Bytes that name the entry, so that a difference in order shows.
        std::string bytes = "<" + name + ":" + std::to_string(++version) + ">";
        bytes.resize(bytes.size() + static_cast<std::size_t>(below(30)), '.');
        q.Push(key, bytes, kind);
        ref.Push(name, bytes, kind);
      } else if (op < 90) {
        const auto budget = static_cast<std::size_t>(20 + below(400));
        const int transmit_limit = 1 + below(8);
        const int slot = below(6) - 1;
        std::string out;
        q.Fill(out, budget, transmit_limit, slot);
        REQUIRE(out == ref.Fill(budget, transmit_limit, slot));
      } else if (op < 94) {
        const int slot = below(5);
        q.ClearSlot(slot);
        ref.ClearSlot(slot);
      } else if (op < 98) {
        q.Remove(key);
        ref.Remove(name);
      } else {
        q.Watch(key);
        ref.Watch(name);
      }
      REQUIRE(q.size() == ref.size());
      REQUIRE(q.new_members() == ref.NewMembers());
      REQUIRE(q.Transmits(key) == ref.Transmits(name));
      REQUIRE(q.WatchDone() == ref.WatchDone());
    }
  }
}

}  // namespace picket::membership::detail
