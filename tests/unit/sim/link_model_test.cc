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

TEST_CASE("LinkModel: an impaired host loses its own traffic, in, out or both", "[sim][link]") {
  LinkModel links(LinkConfig{});
  Rng rng(4);
  const auto lost = [&](HostId a, HostId b) {
    int n = 0;
    for (int i = 0; i < 20000; ++i) n += links.DatagramDelay(a, b, rng) ? 0 : 1;
    return n;
  };
  links.SetHostLoss(1, /*in=*/0.8, /*out=*/0.0);
  CHECK(lost(0, 1) > 15500);  // 80% of what 1 receives
  CHECK(lost(0, 1) < 16500);
  CHECK(lost(1, 0) == 0);  // what it sends arrives
  CHECK(lost(0, 2) == 0);  // others are untouched
  links.SetHostLoss(1, 0.5, 0.5);
  CHECK(lost(1, 2) > 9500);
  CHECK(lost(1, 2) < 10500);
  links.SetHostLoss(2, 0.5, 0.0);
  CHECK(lost(1, 2) > 14500);  // 1 - 0.5 * 0.5
  CHECK(lost(1, 2) < 15500);
  // At 1.0 that direction is cut, streams too (TCP needs both directions);
  // a lossy impaired host's stream segments are retransmitted.
  links.SetHostLoss(1, 1.0, 0.0);
  CHECK_FALSE(links.Connected(0, 1));
  CHECK(links.Connected(1, 0));
  CHECK_FALSE(links.StreamConnected(1, 0));
  links.SetHostLoss(1, 0.5, 0.0);
  Duration longest = Duration::zero();
  for (int i = 0; i < 200; ++i) longest = std::max(longest, links.StreamDelay(0, 1, 2, 1, rng));
  CHECK(longest >= 1s);
  links.SetHostLoss(1, 0, 0);
  links.SetHostLoss(2, 0, 0);
  CHECK(lost(0, 1) == 0);
  CHECK(links.StreamDelay(0, 1, 2, 1, rng) == 3ms);
}

TEST_CASE("LinkModel: a one-way cut drops one direction only", "[sim][link]") {
  LinkModel links(LinkConfig{});
  links.SetOneWayCut(3, 4, true);  // 4 does not hear 3
  CHECK_FALSE(links.Connected(3, 4));
  CHECK(links.Connected(4, 3));
  CHECK_FALSE(links.StreamConnected(4, 3));
  links.SetOneWayCut(3, 4, false);
  CHECK(links.Connected(3, 4));
  CHECK(links.StreamConnected(3, 4));
}

}  // namespace
}  // namespace picket::sim
