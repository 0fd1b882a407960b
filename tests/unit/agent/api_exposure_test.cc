#include "agent/api_exposure.h"

#include <catch2/catch.hpp>
#include <string>

using picket::agent::IsLoopbackHost;
using picket::agent::MutationRefusal;

TEST_CASE("IsLoopbackHost: 127.0.0.0/8, ::1 and localhost only, not the wildcards") {
  for (const char* host : {"127.0.0.1", "127.0.0.0", "127.255.255.255", "127.42.0.3", "::1",
                           "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost"}) {
    INFO(host);
    CHECK(IsLoopbackHost(host));
  }
  for (const char* host : {"0.0.0.0", "::", "10.0.0.7", "192.168.1.2", "128.0.0.1", "126.0.0.1",
                           "::2", "fe80::1", "::ffff:10.0.0.1", "::127.0.0.1", "fd00::7",
                           "picket.default.svc", "", "127.0.0", "localhost.", "[::1]"}) {
    INFO(host);
    CHECK_FALSE(IsLoopbackHost(host));
  }
}

TEST_CASE("MutationRefusal: only a non-loopback API without token or override refuses") {
  CHECK(MutationRefusal("127.0.0.1", false, false).empty());
  CHECK(MutationRefusal("::1", false, false).empty());
  CHECK(MutationRefusal("10.0.0.7", true, false).empty());
  CHECK(MutationRefusal("10.0.0.7", false, true).empty());
  CHECK(MutationRefusal("0.0.0.0", true, true).empty());
  for (const char* host : {"10.0.0.7", "0.0.0.0", "::"}) {
    INFO(host);
    const std::string message = MutationRefusal(host, false, false);
    // It says why and which flags change it.
    CHECK(message.find(host) != std::string::npos);
    CHECK(message.find("not a loopback address") != std::string::npos);
    CHECK(message.find("--api-token-file") != std::string::npos);
    CHECK(message.find("--api-insecure-allow-mutations") != std::string::npos);
  }
}
