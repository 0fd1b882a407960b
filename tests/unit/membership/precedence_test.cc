// SWIM precedence: the pure rule, and a model-based randomized test of the
// whole core's member table against a trivial oracle (leveldb's ModelDB idea).

#include "membership/detail/precedence.h"

#include <catch2/catch.hpp>
#include <map>

#include "swim_harness.h"

namespace picket::membership::testing {
namespace {

using detail::Overrides;
using S = MemberState;

// The oracle: the rules as plainly as they can be written.
class Oracle {
 public:
  struct Entry {
    std::uint64_t incarnation;
    MemberState state;
  };
  void Claim(const std::string& name, MemberState state, std::uint64_t incarnation) {
    auto it = members_.find(name);
    if (it == members_.end()) {
      if (state == S::kAlive) {
        auto t = tombs_.find(name);
        if (t != tombs_.end() && incarnation <= t->second) return;
        tombs_.erase(name);
        members_[name] = {incarnation, S::kAlive};
      } else if (state == S::kFailed || state == S::kLeft) {
        tombs_[name] = std::max(tombs_[name], incarnation);  // gossip: no address, no entry
      }
      return;  // suspect of an unknown member: ignored
    }
    Entry& e = it->second;
    if (incarnation > e.incarnation ||
        (incarnation == e.incarnation && static_cast<int>(state) > static_cast<int>(e.state))) {
      e = {incarnation, state};
    }
  }
  const std::map<std::string, Entry>& members() const { return members_; }

 private:
  std::map<std::string, Entry> members_;
  std::map<std::string, std::uint64_t> tombs_;
};

}  // namespace

TEST_CASE("precedence: the pure rule", "[precedence]") {
  CHECK(Overrides(2, S::kAlive, 1, S::kLeft));     // higher incarnation always wins
  CHECK_FALSE(Overrides(1, S::kLeft, 2, S::kAlive));  // lower never does
  CHECK(Overrides(1, S::kSuspect, 1, S::kAlive));
  CHECK(Overrides(1, S::kFailed, 1, S::kSuspect));
  CHECK(Overrides(1, S::kLeft, 1, S::kFailed));
  CHECK_FALSE(Overrides(1, S::kAlive, 1, S::kAlive));   // the same news is not news
  CHECK_FALSE(Overrides(1, S::kSuspect, 1, S::kFailed));
  CHECK_FALSE(Overrides(1, S::kAlive, 1, S::kSuspect));
  CHECK(detail::IsLive(S::kAlive));
  CHECK(detail::IsLive(S::kSuspect));
  CHECK_FALSE(detail::IsLive(S::kFailed));
  CHECK_FALSE(detail::IsLive(S::kLeft));
}

TEST_CASE("precedence: randomized claims agree with the oracle", "[precedence][model]") {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    INFO("seed " << seed);
    SwimHarness h;
    Oracle oracle;
    detail::Random random(seed);
    for (int step = 0; step < 1500; ++step) {
      const std::string name = "m" + std::to_string(random.Uniform(5));
      const auto state = static_cast<MemberState>(random.Uniform(4));
      const std::uint64_t incarnation = random.Uniform(6);
      const std::string sender = "p" + std::to_string(random.Uniform(3));
      switch (state) {
        case S::kAlive: h.From(sender, detail::AliveMsg{name, name + ":1", incarnation, {}, {}}); break;
        case S::kSuspect: h.From(sender, detail::SuspectMsg{name, incarnation, sender}); break;
        case S::kFailed: h.From(sender, detail::FailedMsg{name, incarnation, sender}); break;
        case S::kLeft: h.From(sender, detail::LeftMsg{name, incarnation}); break;
      }
      oracle.Claim(name, state, incarnation);
      for (int i = 0; i < 5; ++i) {
        const std::string n = "m" + std::to_string(i);
        const auto got = h.swim().Member(n, h.now());
        const auto want = oracle.members().find(n);
        INFO("step " << step << " member " << n);
        REQUIRE(got.has_value() == (want != oracle.members().end()));
        if (got) {
          REQUIRE(got->state == want->second.state);
          REQUIRE(got->incarnation == want->second.incarnation);
        }
      }
      REQUIRE(h.swim().CheckInvariants() == "");
    }
  }
}

}  // namespace picket::membership::testing
