#include "sim/network.h"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

namespace picket::sim {
namespace {

using namespace std::chrono_literals;

TimePoint At(Duration d) { return TimePoint{} + d; }

std::string Text(std::span<const std::uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }
std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Records every input in order; wakes up at the times queued in `wakeups`.
class FakeEndpoint : public Endpoint {
 public:
  void OnDatagram(const Address& from, std::span<const std::uint8_t> bytes,
                  TimePoint now) override {
    log.push_back("dgram " + from + " " + Text(bytes) + " @" + Ms(now));
    if (echo) net->SendDatagram(id, from, bytes);
  }
  std::vector<std::uint8_t> OnStreamRequest(const Address& from,
                                            std::span<const std::uint8_t> request,
                                            TimePoint now) override {
    log.push_back("request " + from + " " + Text(request) + " @" + Ms(now));
    return Bytes(reply);
  }
  void OnStreamResult(StreamId stream, const membership::StreamResult& result,
                      TimePoint now) override {
    using Kind = membership::StreamResult::Kind;
    log.push_back("response " + std::to_string(stream) + " " +
                  (result.kind == Kind::kAnswered  ? Text(result.response)
                   : result.kind == Kind::kRefused ? std::string("<refused>")
                                                   : std::string("<none>")) +
                  " @" + Ms(now));
  }
  void OnTick(TimePoint now) override {
    log.push_back("tick @" + Ms(now));
    while (!wakeups.empty() && wakeups.front() <= now) wakeups.pop_front();
  }
  TimePoint NextWakeup() const override {
    return wakeups.empty() ? TimePoint::max() : wakeups.front();
  }
  static std::string Ms(TimePoint t) {
    return std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch())
                   .count()) +
           "ms";
  }

  Network* net = nullptr;
  HostId id = 0;
  bool echo = false;
  std::string reply = "pong";
  std::deque<TimePoint> wakeups;
  std::vector<std::string> log;
};

struct World {
  explicit World(LinkConfig config = LinkConfig{}, int hosts = 3) : net(scheduler, config, 9) {
    endpoints.resize(static_cast<std::size_t>(hosts));
    for (int i = 0; i < hosts; ++i) {
      const HostId h = net.AddHost("n" + std::to_string(i) + ":9746");
      endpoints[h].net = &net;
      endpoints[h].id = h;
    }
  }
  void Attach(HostId h) { net.Attach(h, &endpoints[h]); }
  void Run(Duration until) {
    while (auto e = scheduler.PopUntil(At(until))) net.HandleEvent(*e);
  }
  Scheduler scheduler;
  Network net;
  std::vector<FakeEndpoint> endpoints;
};

LinkConfig Latency(Duration d) {
  LinkConfig c;
  c.latency = d;
  return c;
}

TEST_CASE("Network: a datagram arrives after the latency, with the sender's address",
          "[sim][network]") {
  World w(Latency(10ms));
  w.Attach(0);
  w.Attach(1);
  w.net.SendDatagram(0, "n1:9746", Bytes("hi"));
  w.Run(9ms);
  CHECK(w.endpoints[1].log.empty());
  w.Run(10ms);
  CHECK(w.endpoints[1].log == std::vector<std::string>{"dgram n0:9746 hi @10ms"});
  CHECK(w.net.TrafficOf(0).datagrams == 1);
  CHECK(w.net.TrafficOf(0).datagram_bytes == 2);
}

TEST_CASE("Network: Lookup finds any address, whatever number it holds", "[sim][network]") {
  // The fast path guesses the host from the first number of the address; a
  // wrong guess must fall back to the full lookup.
  Scheduler scheduler;
  Network net(scheduler, LinkConfig{}, 9);
  const HostId a = net.AddHost("n1:9746");  // host 0 named like host 1
  const HostId b = net.AddHost("n0:9746");  // and the other way round
  const HostId c = net.AddHost("db:5432");  // no leading index
  const HostId d = net.AddHost("n2");       // no port
  const HostId e = net.AddHost("10.0.0.7:9746");
  CHECK(net.Lookup("n1:9746") == a);
  CHECK(net.Lookup("n0:9746") == b);
  CHECK(net.Lookup("db:5432") == c);
  CHECK(net.Lookup("n2") == d);
  CHECK(net.Lookup("10.0.0.7:9746") == e);
  CHECK_FALSE(net.Lookup("n3:9746"));
  CHECK_FALSE(net.Lookup("n0:9747"));
  CHECK_FALSE(net.Lookup("n99999999999999999999:1"));
  CHECK_FALSE(net.Lookup(""));
}

TEST_CASE("Network: unknown addresses, crashed hosts and partitions drop datagrams",
          "[sim][network]") {
  World w(Latency(10ms));
  w.Attach(0);
  w.Attach(1);
  w.Attach(2);
  w.net.SendDatagram(0, "n9:9746", Bytes("x"));
  CHECK(w.net.stats().dropped_unknown_address == 1);

  w.net.SendDatagram(0, "n1:9746", Bytes("in-flight"));
  w.Run(5ms);
  w.net.links().SetPartition({0, 1, 0});  // cut while in flight: dropped on arrival
  w.net.SendDatagram(0, "n1:9746", Bytes("at-send"));
  w.net.SendDatagram(0, "n2:9746", Bytes("same-side"));
  w.Run(20ms);
  CHECK(w.endpoints[1].log.empty());
  CHECK(w.endpoints[2].log.size() == 1);
  CHECK(w.net.stats().dropped_partition == 2);

  w.net.links().ClearPartition();
  w.net.Crash(1);
  w.net.SendDatagram(0, "n1:9746", Bytes("to-dead"));
  w.Run(40ms);
  CHECK(w.endpoints[1].log.empty());
  CHECK(w.net.stats().dropped_down == 1);
}

TEST_CASE("Network: ticks fire at NextWakeup and move when it moves", "[sim][network]") {
  World w;
  w.endpoints[0].wakeups = {At(100ms), At(250ms)};
  w.Attach(0);
  w.Run(300ms);
  CHECK(w.endpoints[0].log == std::vector<std::string>{"tick @100ms", "tick @250ms"});
  // An input that brings the wake-up earlier reschedules the tick.
  w.endpoints[0].wakeups = {At(1000ms)};
  w.net.Poke(0);
  w.endpoints[0].wakeups = {At(400ms)};
  w.net.Poke(0);
  w.Run(2000ms);
  CHECK(w.endpoints[0].log.back() == "tick @400ms");
  CHECK(w.endpoints[0].log.size() == 3);  // the superseded 1000 ms tick is discarded
}

TEST_CASE("Network: a paused host queues its inputs and runs the late tick first",
          "[sim][network]") {
  World w(Latency(10ms));
  w.endpoints[1].wakeups = {At(50ms)};
  w.Attach(0);
  w.Attach(1);
  w.net.Pause(1);
  w.net.SendDatagram(0, "n1:9746", Bytes("a"));
  w.net.StartStream(0, 7, "n1:9746", Bytes("req"), 1s);
  w.net.SendDatagram(0, "n1:9746", Bytes("b"));
  w.Run(400ms);
  CHECK(w.endpoints[1].log.empty());
  w.net.Resume(1);
  CHECK(w.endpoints[1].log == std::vector<std::string>{"tick @400ms", "dgram n0:9746 a @400ms",
                                                       "dgram n0:9746 b @400ms",
                                                       "request n0:9746 req @400ms"});
  w.Run(500ms);
  CHECK(w.endpoints[0].log == std::vector<std::string>{"response 7 pong @410ms"});
}

TEST_CASE("Network: a paused host's backlog is bounded for datagrams", "[sim][network]") {
  World w(Latency(1ms));
  w.Attach(0);
  w.Attach(1);
  w.net.set_backlog_limit(2);
  w.net.Pause(1);
  for (int i = 0; i < 5; ++i) w.net.SendDatagram(0, "n1:9746", Bytes(std::to_string(i)));
  w.Run(10ms);
  w.net.Resume(1);
  CHECK(w.endpoints[1].log.size() == 2);
  CHECK(w.net.stats().dropped_backlog_full == 3);
}

TEST_CASE("Network: a crash discards the backlog", "[sim][network]") {
  World w(Latency(1ms));
  w.Attach(0);
  w.Attach(1);
  w.net.Pause(1);
  w.net.SendDatagram(0, "n1:9746", Bytes("x"));
  w.Run(10ms);
  w.net.Crash(1);
  w.Attach(1);
  w.Run(20ms);
  CHECK(w.endpoints[1].log.empty());
}

TEST_CASE("Network: stream exchange round trip takes four one-way delays", "[sim][network]") {
  World w(Latency(10ms));
  w.Attach(0);
  w.Attach(1);
  w.endpoints[1].reply = "state";
  w.net.StartStream(0, 1, "n1:9746", Bytes("push"), 5s);
  w.Run(10s);
  CHECK(w.endpoints[1].log == std::vector<std::string>{"request n0:9746 push @30ms"});
  CHECK(w.endpoints[0].log == std::vector<std::string>{"response 1 state @40ms"});
  CHECK(w.net.stats().streams_answered == 1);
  CHECK(w.net.TrafficOf(0).stream_bytes == 4);
  CHECK(w.net.TrafficOf(1).stream_bytes == 5);
}

TEST_CASE("Network: streams fail at their timeout when the target is gone or cut off",
          "[sim][network]") {
  // With down_refuses_streams, a crashed host's machine stays up and resets
  // the connection one round trip later; a cut link still times out.
  const bool refuses = GENERATE(false, true);
  LinkConfig config = Latency(10ms);
  config.down_refuses_streams = refuses;
  World w(config);
  w.Attach(0);
  w.Attach(1);
  w.Attach(2);
  w.net.Crash(1);
  w.net.StartStream(0, 1, "n1:9746", Bytes("a"), 2s);
  w.net.links().SetPartition({0, 0, 1});
  w.net.StartStream(0, 2, "n2:9746", Bytes("b"), 3s);
  w.net.StartStream(0, 3, "nowhere:1", Bytes("c"), 3s);
  w.Run(10s);
  const std::vector<std::string> expected =
      refuses ? std::vector<std::string>{"response 3 <none> @0ms", "response 1 <refused> @20ms",
                                         "response 2 <none> @3000ms"}
              : std::vector<std::string>{"response 3 <none> @0ms", "response 1 <none> @2000ms",
                                         "response 2 <none> @3000ms"};
  CHECK(w.endpoints[0].log == expected);
  CHECK(w.endpoints[2].log.empty());
  CHECK(w.net.stats().streams_failed == 3);
}

TEST_CASE("Network: an empty reply closes the stream, a slow one times out", "[sim][network]") {
  World w(Latency(10ms));
  w.Attach(0);
  w.Attach(1);
  w.endpoints[1].reply = "";
  w.net.StartStream(0, 1, "n1:9746", Bytes("a"), 5s);
  w.Run(1s);
  CHECK(w.endpoints[0].log == std::vector<std::string>{"response 1 <none> @40ms"});
  w.endpoints[0].log.clear();
  w.endpoints[1].reply = "late";
  w.net.Pause(1);
  w.net.StartStream(0, 2, "n1:9746", Bytes("b"), 500ms);
  w.Run(2s);
  w.net.Resume(1);  // processes the request now; the requester gave up long ago
  w.Run(3s);
  CHECK(w.endpoints[0].log == std::vector<std::string>{"response 2 <none> @1500ms"});
}

TEST_CASE("Network: a restarted process never gets its predecessor's stream outcome",
          "[sim][network]") {
  World w(Latency(10ms));
  w.Attach(0);
  w.Attach(1);
  w.net.StartStream(0, 1, "n1:9746", Bytes("a"), 5s);
  w.Run(20ms);
  w.net.Crash(0);
  w.Attach(0);
  w.Run(10s);
  CHECK(w.endpoints[0].log.empty());
}

TEST_CASE("Network: endpoints may send from inside deliveries (echo)", "[sim][network]") {
  World w(Latency(5ms));
  w.Attach(0);
  w.Attach(1);
  w.endpoints[1].echo = true;
  for (int i = 0; i < 50; ++i) w.net.SendDatagram(0, "n1:9746", Bytes("m" + std::to_string(i)));
  w.Run(1s);
  CHECK(w.endpoints[1].log.size() == 50);
  CHECK(w.endpoints[0].log.size() == 50);
  CHECK(w.endpoints[0].log.front() == "dgram n1:9746 m0 @10ms");
}

}  // namespace
}  // namespace picket::sim
