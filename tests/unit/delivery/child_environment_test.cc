#include "delivery/child_environment.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace picket::delivery {
namespace {

// Sets a variable for one scope and restores the previous value (or its absence).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// NAME -> value; fails the test when a name appears twice.
std::map<std::string, std::string> AsMap(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const std::string& entry : env) {
    const auto eq = entry.find('=');
    REQUIRE(eq != std::string::npos);
    CHECK(out.emplace(entry.substr(0, eq), entry.substr(eq + 1)).second);
  }
  return out;
}

std::vector<std::string> Names(const std::vector<std::string>& env) {
  std::vector<std::string> names;
  for (const std::string& entry : env) names.push_back(entry.substr(0, entry.find('=')));
  return names;
}

TEST_CASE("child_environment: PATH, the listed variables and the fields, never a secret",
          "[delivery][child_environment]") {
  const ScopedEnv path("PATH", "/opt/agent/bin:/usr/bin");
  const ScopedEnv secret("PICKET_WEBHOOK_SECRET", "whsec_child_environment_test");
  const ScopedEnv keys("PICKET_KEYRING_KEYS", "a2V5LWNoaWxkLWVudmlyb25tZW50LXRlc3Q=");
  const ScopedEnv unlisted("CHILD_ENV_TEST_UNLISTED", "db-password");
  const ScopedEnv listed("CHILD_ENV_TEST_LISTED", "passed=on");
  const ScopedEnv also("CHILD_ENV_TEST_ALSO", "");
  const ScopedEnv unset("CHILD_ENV_TEST_UNSET", nullptr);

  const ChildEnvironment env(
      {"CHILD_ENV_TEST_LISTED", "CHILD_ENV_TEST_UNSET", "CHILD_ENV_TEST_ALSO"});
  const std::vector<std::string> built = env.Build({"PICKET_EVENT=member.joined"});
  CHECK(built == std::vector<std::string>{"PATH=/opt/agent/bin:/usr/bin",
                                          "CHILD_ENV_TEST_LISTED=passed=on",
                                          "CHILD_ENV_TEST_ALSO=", "PICKET_EVENT=member.joined"});
  const auto vars = AsMap(built);
  CHECK(vars.count("PICKET_WEBHOOK_SECRET") == 0);
  CHECK(vars.count("PICKET_KEYRING_KEYS") == 0);
  CHECK(vars.count("CHILD_ENV_TEST_UNLISTED") == 0);
  CHECK(vars.count("CHILD_ENV_TEST_UNSET") == 0);  // listed but unset: skipped
}

TEST_CASE("child_environment: the environment is read at construction",
          "[delivery][child_environment]") {
  std::optional<ScopedEnv> listed;
  listed.emplace("CHILD_ENV_TEST_LISTED", "at-start");
  const ChildEnvironment env({"CHILD_ENV_TEST_LISTED", "CHILD_ENV_TEST_LATER"});
  listed.reset();
  const ScopedEnv later("CHILD_ENV_TEST_LATER", "set-after-construction");
  const auto vars = AsMap(env.Build());
  CHECK(vars.at("CHILD_ENV_TEST_LISTED") == "at-start");
  CHECK(vars.count("CHILD_ENV_TEST_LATER") == 0);
}

TEST_CASE("child_environment: without PATH a child gets the default PATH",
          "[delivery][child_environment]") {
  const ScopedEnv path("PATH", nullptr);
  const ChildEnvironment env({"PATH"});
  CHECK(env.Build() == std::vector<std::string>{"PATH=" + std::string(kDefaultChildPath)});
}

TEST_CASE("child_environment: the caller's fields win over same-named ones",
          "[delivery][child_environment]") {
  const ScopedEnv path("PATH", "/usr/bin");
  const ScopedEnv listed("CHILD_ENV_TEST_LISTED", "agent-value");
  const ChildEnvironment env({"CHILD_ENV_TEST_LISTED", "CHILD_ENV_TEST_LISTED"});
  const std::vector<std::string> built =
      env.Build({"CHILD_ENV_TEST_LISTED=field", "PATH=/hook/bin", "PICKET_SEQ=1", "PICKET_SEQ=2"});
  CHECK(Names(built) == std::vector<std::string>{"PATH", "CHILD_ENV_TEST_LISTED", "PICKET_SEQ"});
  const auto vars = AsMap(built);
  CHECK(vars.at("CHILD_ENV_TEST_LISTED") == "field");
  CHECK(vars.at("PATH") == "/hook/bin");
  CHECK(vars.at("PICKET_SEQ") == "2");
  // Build does not change what the next call starts from.
  CHECK(AsMap(env.Build()).at("CHILD_ENV_TEST_LISTED") == "agent-value");
}

TEST_CASE("child_environment: PICKET_* and invalid names are refused and never passed through",
          "[delivery][child_environment]") {
  CHECK(ValidatePassThroughName("HOME"));
  CHECK(ValidatePassThroughName("_private9"));
  CHECK(ValidatePassThroughName("PICKETS"));
  CHECK_THAT(ValidatePassThroughName("").error(), Catch::Contains("empty"));
  CHECK_THAT(ValidatePassThroughName("9LIVES").error(), Catch::Contains("not a variable name"));
  CHECK_THAT(ValidatePassThroughName("A-B").error(), Catch::Contains("not a variable name"));
  CHECK_THAT(ValidatePassThroughName("A=B").error(), Catch::Contains("not a variable name"));
  CHECK_THAT(ValidatePassThroughName("PICKET_WEBHOOK_SECRET").error(), Catch::Contains("PICKET_"));

  const ScopedEnv secret("PICKET_WEBHOOK_SECRET", "whsec_child_environment_test");
  const ScopedEnv odd("A-B", "odd");
  const ChildEnvironment env({"PICKET_WEBHOOK_SECRET", "A-B", ""});
  CHECK(Names(env.Build()) == std::vector<std::string>{"PATH"});
}

}  // namespace
}  // namespace picket::delivery
