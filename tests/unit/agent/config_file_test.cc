#include "agent/config_file.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

using picket::agent::ApplyConfigFileAsEnvironment;
using picket::agent::EnvNameFor;
using picket::agent::FindConfigPath;

namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/picket-config-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

const std::vector<std::string> kFlags{"--bind", "--join", "--probe-interval", "--log-level",
                                      "--config"};

}  // namespace

TEST_CASE("EnvNameFor maps flags to PICKET_ variables") {
  CHECK(EnvNameFor("--probe-interval") == "PICKET_PROBE_INTERVAL");
  CHECK(EnvNameFor("--join") == "PICKET_JOIN");
}

TEST_CASE("The config file fills only what the environment does not set") {
  unsetenv("PICKET_BIND");
  unsetenv("PICKET_JOIN");
  setenv("PICKET_LOG_LEVEL", "debug", 1);
  const std::string path = WriteTemp(
      "# comment\nbind = \"127.0.0.5:9000\"\njoin = [\"a:1\", \"b:2\"]\nlog-level = \"warn\"\n");
  CHECK(ApplyConfigFileAsEnvironment(path, kFlags).empty());
  CHECK(std::string(std::getenv("PICKET_BIND")) == "127.0.0.5:9000");
  CHECK(std::string(std::getenv("PICKET_JOIN")) == "a:1,b:2");
  CHECK(std::string(std::getenv("PICKET_LOG_LEVEL")) == "debug");
  unsetenv("PICKET_BIND");
  unsetenv("PICKET_JOIN");
  unsetenv("PICKET_LOG_LEVEL");
  std::remove(path.c_str());
}

TEST_CASE("Unknown keys and unreadable files are errors that name them") {
  const std::string path = WriteTemp("bind = \"x:1\"\nprobe-intervall = \"1s\"\n");
  const std::string error = ApplyConfigFileAsEnvironment(path, kFlags);
  CHECK(error.find("probe-intervall") != std::string::npos);
  CHECK(error.find(path) != std::string::npos);
  std::remove(path.c_str());
  unsetenv("PICKET_BIND");
  CHECK(ApplyConfigFileAsEnvironment("/nonexistent.toml", kFlags).find("/nonexistent.toml") !=
        std::string::npos);
}

TEST_CASE("FindConfigPath reads --config in both spellings, then the environment") {
  const char* a[] = {"picket", "agent", "--config", "/x.toml"};
  CHECK(FindConfigPath(4, a) == "/x.toml");
  const char* b[] = {"picket", "agent", "--config=/y.toml"};
  CHECK(FindConfigPath(3, b) == "/y.toml");
  setenv("PICKET_CONFIG", "/z.toml", 1);
  const char* c[] = {"picket", "agent"};
  CHECK(FindConfigPath(2, c) == "/z.toml");
  unsetenv("PICKET_CONFIG");
}
