#include "delivery/hook_spec.h"

#include <catch2/catch.hpp>

namespace picket::delivery {
namespace {

HookSpec Parse(std::string_view text) {
  auto parsed = ParseHookSpec(text);
  INFO(text);
  REQUIRE(std::holds_alternative<HookSpec>(parsed));
  return std::get<HookSpec>(std::move(parsed));
}

std::string Error(std::string_view text) {
  auto parsed = ParseHookSpec(text);
  INFO(text);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

TEST_CASE("EVENTS=COMMAND selects event types", "[delivery][hook_spec]") {
  const HookSpec spec = Parse("member.failed, member.left=/usr/local/bin/promote.sh --now");
  CHECK_FALSE(spec.all_events);
  CHECK(spec.events == std::vector<std::string>{"member.failed", "member.left"});
  CHECK(spec.command == "/usr/local/bin/promote.sh --now");
  CHECK(spec.Matches("member.failed"));
  CHECK(spec.Matches("member.left"));
  CHECK_FALSE(spec.Matches("member.joined"));
  CHECK_FALSE(spec.Matches("picket.resync"));

  // Only the first '=' separates: the command may contain more.
  const HookSpec all = Parse("*=env X=1 logger \"$PICKET_EVENT\"");
  CHECK(all.all_events);
  CHECK(all.command == "env X=1 logger \"$PICKET_EVENT\"");
  CHECK(all.Matches("member.updated"));
  CHECK(all.Matches("picket.resync"));

  CHECK(Parse("picket.resync,cluster.quorum_lost=true").Matches("cluster.quorum_lost"));
}

TEST_CASE("bad hook settings say what is wrong", "[delivery][hook_spec]") {
  CHECK_THAT(Error("/bin/true"), Catch::Contains("EVENTS=COMMAND"));
  CHECK_THAT(Error("member.failed="), Catch::Contains("empty"));
  CHECK_THAT(Error("member.failed=   "), Catch::Contains("empty"));
  CHECK_THAT(Error("member.fail=/bin/true"), Catch::Contains("unknown event type 'member.fail'"));
  CHECK_THAT(Error("member.failed,,member.left=/bin/true"), Catch::Contains("empty event type"));
  CHECK_THAT(Error("=/bin/true"), Catch::Contains("empty event type"));
}

TEST_CASE("hooks are named after their command, uniquely and label-safe", "[delivery][hook_spec]") {
  std::vector<HookSpec> hooks = {Parse("*=/usr/local/bin/promote.sh a"),
                                 Parse("*=promote.sh b"), Parse("*=  'my hook'\"x\" y"),
                                 Parse("*=/usr/local/bin/promote.sh c")};
  NameHooks(hooks);
  CHECK(hooks[0].name == "promote.sh");
  CHECK(hooks[1].name == "promote.sh-2");
  CHECK(hooks[2].name == "_my");
  CHECK(hooks[3].name == "promote.sh-3");
}

}  // namespace
}  // namespace picket::delivery
