#include "sim/link_model.h"

#include <catch2/catch.hpp>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

TEST_CASE("LinkModel: partitions by group and by link", "[sim][link]") {
  LinkModel links(LinkConfig{});
  CHECK(links.Connected(0, 1));
  links.SetPartition({0, 0, 1, 1});
  CHECK(links.Connected(0, 1));
  CHECK(links.Connected(2, 3));
  CHECK_FALSE(links.Connected(1, 2));
  CHECK_FALSE(links.Connected(3, 0));
  CHECK(links.Connected(0, 7));  // beyond the vector: group 0
  links.ClearPartition();
  CHECK(links.Connected(1, 2));
  links.SetLinkUp(4, 5, false);
  CHECK_FALSE(links.Connected(5, 4));
  CHECK(links.Connected(4, 6));
  links.SetLinkUp(5, 4, true);
  CHECK(links.Connected(4, 5));
}

TEST_CASE("LinkModel: delay is latency plus jitter plus per-link extra", "[sim][link]") {
  LinkConfig config;
  config.latency = 10ms;
  config.jitter = 5ms;
  LinkModel links(config);
  links.SetLinkDelay(0, 1, 100ms);
  Rng rng(1);
  Duration lo = Duration::max(), hi = Duration::zero();
  for (int i = 0; i < 10000; ++i) {
    const Duration d = links.OneWayDelay(2, 3, rng);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo >= 10ms);
  CHECK(hi <= 15ms);
  CHECK(hi - lo > 4ms);
  const Duration slow = links.OneWayDelay(1, 0, rng);
  CHECK(slow >= 110ms);
  CHECK(slow <= 115ms);
}

TEST_CASE("LinkModel: datagram loss rate matches", "[sim][link]") {
  LinkConfig config;
  config.loss = 0.3;
  LinkModel links(config);
  Rng rng(2);
  int lost = 0;
  for (int i = 0; i < 100000; ++i) lost += links.DatagramDelay(0, 1, rng) ? 0 : 1;
  CHECK(lost > 29000);
  CHECK(lost < 31000);
}

TEST_CASE("LinkModel: stream loss costs retransmission time, never the exchange", "[sim][link]") {
  LinkConfig config;
  config.latency = 1ms;
  config.loss = 0.5;
  LinkModel lossless_streams(config);
  Rng rng(3);
  CHECK(lossless_streams.StreamDelay(0, 1, 2, 1, rng) == 3ms);
  config.stream_loss = true;
  LinkModel lossy(config);
  Duration longest = Duration::zero();
  for (int i = 0; i < 1000; ++i) {
    const Duration d = lossy.StreamDelay(0, 1, 2, 1, rng);
    REQUIRE(d >= 3ms);
    longest = std::max(longest, d);
  }
  CHECK(longest >= 1s);  // a lost SYN waits syn_rto
}

}  // namespace
}  // namespace picket::sim
