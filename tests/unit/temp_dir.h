#pragma once

// A scratch directory under /tmp for unit tests that write files, removed
// (with everything in it) when the test ends.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace picket::testing {

struct TempDir {
  explicit TempDir(const std::string& prefix = "picket-test") {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path path;
};

}  // namespace picket::testing
