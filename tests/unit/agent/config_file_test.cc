#include "agent/config_file.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

using picket::agent::ReadConfigFile;
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

TEST_CASE("The config file fills only what neither flags nor the environment set") {
  unsetenv("PICKET_BIND");
  unsetenv("PICKET_JOIN");
  unsetenv("PICKET_PROBE_INTERVAL");
  setenv("PICKET_LOG_LEVEL", "debug", 1);
  const std::string path = WriteTemp(
      "# comment\nbind = \"127.0.0.5:9000\"\njoin = [\"a:1\", \"b:2\"]\nlog-level = \"warn\"\n"
      "probe-interval = \"2s\"\n");
  const auto file = ReadConfigFile(path, kFlags, {"--probe-interval=500ms", "--name", "x"});
  CHECK(file.error.empty());
  CHECK(file.arguments ==
        std::vector<std::string>{"--bind=127.0.0.5:9000", "--join=a:1", "--join=b:2"});
  // Nothing reaches the process environment (children would inherit it).
  CHECK(std::getenv("PICKET_BIND") == nullptr);
  CHECK(std::getenv("PICKET_JOIN") == nullptr);
  CHECK(ReadConfigFile(path, kFlags, {"--bind", "127.0.0.9:1"}).arguments.front() == "--join=a:1");
  unsetenv("PICKET_LOG_LEVEL");
  std::remove(path.c_str());
}

TEST_CASE("Unknown keys and unreadable files are errors that name them") {
  const std::string path = WriteTemp("bind = \"x:1\"\nprobe-intervall = \"1s\"\n");
  const std::string error = ReadConfigFile(path, kFlags, {}).error;
  CHECK(error.find("probe-intervall") != std::string::npos);
  CHECK(error.find(path) != std::string::npos);
  std::remove(path.c_str());
  CHECK(ReadConfigFile("/nonexistent.toml", kFlags, {}).error.find("/nonexistent.toml") !=
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
