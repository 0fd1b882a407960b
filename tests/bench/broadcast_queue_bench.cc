// Google Benchmark for the gossip broadcast queue (membership/detail/
// broadcast_queue.h), the largest single cost of a simulated cold start: every
// member queues join news of every joiner (N^2 pushes in all), most of it
// evicted by newer join news before it is sent. Run: build/broadcast_queue_bench
//
// BM_ColdStartPushes: join news arriving faster than datagrams carry it (a
//   member at N = 5,000 hears of about 2,500 joiners a second and sends 10
//   datagrams): 16 pushes of 40-byte Alive entries per datagram filled.
// BM_HealBurst: a heal at N = 1,000 (50/50): 500 refutations queued as state
//   changes, then datagrams filled until the queue drains.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "membership/detail/broadcast_queue.h"

namespace {

using picket::membership::detail::BroadcastKind;
using picket::membership::detail::BroadcastQueue;

constexpr std::size_t kQueueLimit = 4096;  // --gossip-queue-limit default
constexpr std::size_t kNewMemberLimit = 128;
constexpr std::size_t kBudget = 1200;  // bytes of a datagram left for gossip
constexpr int kTransmitLimit = 12;     // retransmit multiplier 3 x ceil(log10(N + 1))

// Member names (the phi reports' kind of key) or member indexes (membership
// updates' keys).
template <typename Key>
std::vector<Key> Keys(std::size_t n) {
  std::vector<Key> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<Key, std::string>) {
      keys.push_back("n" + std::to_string(i));
    } else {
      keys.push_back(static_cast<Key>(i));
    }
  }
  return keys;
}

template <typename Key>
void BM_ColdStartPushes(benchmark::State& state) {
  const auto pushes_per_fill = static_cast<std::size_t>(state.range(0));
  const std::vector<Key> keys = Keys<Key>(10000);
  BroadcastQueue<Key> queue(kQueueLimit, kNewMemberLimit);
  const std::string alive(40, 'a');
  std::size_t next = 0;
  int slot = -1;
  std::string datagram;
  for (auto _ : state) {
    for (std::size_t i = 0; i < pushes_per_fill; ++i) {
      queue.Push(keys[next], alive, BroadcastKind::kNewMember);
      next = (next + 1) % keys.size();
    }
    datagram.clear();
    benchmark::DoNotOptimize(queue.Fill(datagram, kBudget, kTransmitLimit, slot));
    slot = slot == 4 ? -1 : slot + 1;  // heartbeats to 5 observers, then a probe
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pushes_per_fill));
}
BENCHMARK(BM_ColdStartPushes<std::uint32_t>)->Arg(16)->Arg(1);
BENCHMARK(BM_ColdStartPushes<std::string>)->Arg(16)->Arg(1);

template <typename Key>
void BM_HealBurst(benchmark::State& state) {
  const auto refutations = static_cast<std::size_t>(state.range(0));
  const std::vector<Key> keys = Keys<Key>(refutations);
  const std::string alive(40, 'r');
  std::string datagram;
  for (auto _ : state) {
    BroadcastQueue<Key> queue(kQueueLimit, kNewMemberLimit);
    for (const Key& key : keys) queue.Push(key, alive);
    int slot = -1;
    while (!queue.empty()) {
      datagram.clear();
      queue.Fill(datagram, kBudget, kTransmitLimit, slot);
      slot = slot == 4 ? -1 : slot + 1;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(refutations));
}
BENCHMARK(BM_HealBurst<std::uint32_t>)->Arg(500);
BENCHMARK(BM_HealBurst<std::string>)->Arg(500);

}  // namespace

BENCHMARK_MAIN();
