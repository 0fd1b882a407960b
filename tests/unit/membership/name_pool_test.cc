#include "membership/name_pool.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "membership/detail/hash.h"
#include "membership/detail/member_table.h"
#include "membership/detail/random.h"

namespace picket::membership {
namespace {
using namespace std::chrono_literals;
const TimePoint kT = TimePoint{} + 10s;
}  // namespace

TEST_CASE("name pool: acquire, find, release, reuse", "[name_pool]") {
  NamePool pool;
  CHECK(pool.Find("alpha") == NamePool::kNoId);
  const NamePool::Id a = pool.Acquire("alpha");
  CHECK(pool.Acquire("alpha") == a);  // two references
  const NamePool::Id b = pool.Acquire("beta");
  CHECK(a != b);
  CHECK(pool.Find("alpha") == a);
  CHECK(pool.Text(b) == "beta");
  CHECK(pool.Hash(a) == detail::NameHash("alpha"));
  CHECK(pool.size() == 2);
  pool.Release(a);
  CHECK(pool.Find("alpha") == a);  // one reference left
  pool.Release(a);
  CHECK(pool.Find("alpha") == NamePool::kNoId);
  CHECK(pool.size() == 1);
  const NamePool::Id c = pool.Acquire("gamma");
  CHECK(c == a);  // the freed id is reused
  CHECK(pool.Text(c) == "gamma");
  CHECK(pool.Find("beta") == b);
}

TEST_CASE("name pool: agrees with a map under random churn", "[name_pool]") {
  NamePool pool;
  std::map<std::string, std::pair<NamePool::Id, int>> model;
  detail::Random random(42);
  for (int step = 0; step < 20000; ++step) {
    const std::string text = "n" + std::to_string(random.Uniform(500));
    auto it = model.find(text);
    if (random.Uniform(2) == 0 || it == model.end()) {
      const NamePool::Id id = pool.Acquire(text);
      if (it == model.end()) {
        model[text] = {id, 1};
      } else {
        REQUIRE(id == it->second.first);
        ++it->second.second;
      }
    } else {
      pool.Release(it->second.first);
      if (--it->second.second == 0) model.erase(it);
    }
  }
  REQUIRE(pool.size() == model.size());
  for (const auto& [text, entry] : model) {
    CHECK(pool.Find(text) == entry.first);
    CHECK(pool.Text(entry.first) == text);
  }
  CHECK(pool.Find("absent") == NamePool::kNoId);
}

TEST_CASE("name pool: shared by tables, released when a table goes", "[name_pool]") {
  auto pool = std::make_shared<NamePool>();
  {
    detail::MemberTable one(pool);
    detail::MemberTable two(pool);
    one.Insert("alpha", "10.0.0.1:9746", 0, MemberState::kAlive, {}, kT);
    const auto m = two.Insert("alpha", "10.0.0.1:9746", 0, MemberState::kAlive, {}, kT);
    two.Insert("beta", "10.0.0.2:9746", 0, MemberState::kAlive, {}, kT);
    CHECK(pool->size() == 4);
    CHECK(one.Find("beta") == detail::kNoMember);  // in the pool, not in this table
    two.SetAddress(m, "10.0.0.9:9746");
    CHECK(pool->size() == 5);  // alpha's old address is still one's
    CHECK(one.AddressOf(one.Find("alpha")) == "10.0.0.1:9746");
  }
  CHECK(pool->size() == 0);
}

}  // namespace picket::membership
