#pragma once

// The simulated network and hosts: delivers datagrams and stream exchanges
// between endpoints through the LinkModel, and models host faults.
//
// Hosts: each has an address ("n17:9746"), at most one attached Endpoint (the
// running process) and a state:
//  - up: inputs are delivered as they arrive, ticks fire on time;
//  - paused (SIGSTOP): nothing runs; datagrams, stream requests, responses and
//    timeouts queue in a backlog (datagrams beyond backlog_limit are dropped,
//    as a full socket buffer would), and a due tick is remembered. On Resume
//    the late tick runs first (the process notices its timers fired late),
//    then the backlog in arrival order, all at the resume instant;
//  - down (crashed, or nothing attached): everything addressed to it is
//    dropped; streams to it time out (a host that vanished answers nothing).
// Crash bumps the host's epoch: outcomes of exchanges started by the old
// process are never delivered to a new one.
//
// Streams model a TCP connection: the request arrives after three one-way
// segments (SYN, SYN-ACK, data), the response after one more; with stream
// loss each segment can be retransmitted (LinkModel). The requester gets its
// response, or nullopt at its timeout, whichever comes first. Partitions are
// checked when a message is sent and again when it arrives.
//
// Thread safety: none; the simulation loop owns it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "membership/runtime.h"
#include "sim/endpoint.h"
#include "sim/link_model.h"
#include "sim/random.h"
#include "sim/scheduler.h"

namespace picket::sim {

enum class HostState : std::uint8_t { kDown, kUp, kPaused };

// Scheduler event kinds owned by the Network (others use kFirstUserEventKind and up).
enum NetEventKind : std::uint32_t {
  kDatagramArrives = 1,
  kTickDue = 2,
  kStreamRequestArrives = 3,
  kStreamResponseArrives = 4,
  kStreamTimeout = 5,
  kFirstUserEventKind = 64,
};

// Traffic of one host, counted when sent (lost messages included).
struct HostTraffic {
  std::uint64_t datagrams = 0;
  std::uint64_t datagram_bytes = 0;
  std::uint64_t stream_messages = 0;  // requests + responses sent
  std::uint64_t stream_bytes = 0;
};

struct NetworkStats {
  std::uint64_t datagrams_delivered = 0;
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t dropped_down = 0;
  std::uint64_t dropped_unknown_address = 0;
  std::uint64_t dropped_oversized = 0;
  std::uint64_t dropped_backlog_full = 0;
  std::uint64_t dropped_frozen = 0;  // datagrams to frozen hosts (staged bootstrap)
  std::uint64_t streams_started = 0;
  std::uint64_t streams_answered = 0;  // a response was delivered
  std::uint64_t streams_failed = 0;    // nullopt was delivered
  std::uint64_t backlog_processed = 0;
  std::uint64_t max_backlog = 0;
  std::uint64_t tick_spins = 0;  // NextWakeup() <= now right after a tick
  std::uint64_t largest_datagram = 0;
};

class Network {
 public:
  // REQUIRES: `scheduler` outlives the Network.
  Network(Scheduler& scheduler, LinkConfig config, std::uint64_t seed);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Adds a host (down, nothing attached) reachable at `address`; returns its id
  // (0, 1, 2, ... in order). REQUIRES: address not used yet.
  HostId AddHost(const Address& address);
  [[nodiscard]] std::size_t host_count() const { return hosts_.size(); }
  [[nodiscard]] const Address& AddressOf(HostId h) const { return hosts_[h].address; }
  [[nodiscard]] std::optional<HostId> Lookup(const Address& address) const;

  // Starts a process on a down host: `endpoint` (not owned; must stay valid
  // until Crash) receives its inputs from now on; its first tick is scheduled.
  void Attach(HostId h, Endpoint* endpoint);
  // Stops the process at once (SIGKILL); drops its backlog. The caller may
  // destroy the endpoint afterwards.
  void Crash(HostId h);
  // SIGSTOP / SIGCONT. Pause of a host that is not up, and Resume of a host
  // that is not paused, do nothing.
  void Pause(HostId h);
  void Resume(HostId h);
  [[nodiscard]] HostState StateOf(HostId h) const { return hosts_[h].state; }

  // Re-reads the endpoint's NextWakeup() after an outside call into it (a
  // command such as join or leave) and reschedules its tick if earlier.
  void Poke(HostId h);

  // Bootstrap only (--bootstrap staged): a frozen host answers and completes
  // stream exchanges, but datagrams to it are dropped and its ticks wait
  // until it thaws (then the late tick runs at once).
  void Freeze(HostId h) { hosts_[h].frozen = true; }
  void Thaw(HostId h);

  // --- Called by endpoints (from inside their callbacks or commands) ---
  void SendDatagram(HostId from, const Address& to, std::span<const std::uint8_t> bytes);
  void StartStream(HostId from, StreamId id, const Address& to, std::vector<std::uint8_t> request,
                   Duration timeout);

  // Runs one scheduler event of a NetEventKind.
  void HandleEvent(const Event& event);
  [[nodiscard]] static bool Owns(const Event& event) { return event.kind < kFirstUserEventKind; }

  LinkModel& links() { return links_; }
  [[nodiscard]] const LinkModel& links() const { return links_; }
  [[nodiscard]] const NetworkStats& stats() const { return stats_; }
  [[nodiscard]] const HostTraffic& TrafficOf(HostId h) const { return hosts_[h].traffic; }
  // Queued backlog items of a paused host (datagrams beyond this are dropped).
  void set_backlog_limit(std::size_t limit) { backlog_limit_ = limit; }

 private:
  struct BacklogItem {
    NetEventKind kind;
    std::uint64_t arg;
  };
  struct Host {
    Address address;
    HostState state = HostState::kDown;
    Endpoint* endpoint = nullptr;
    std::uint32_t epoch = 0;
    std::uint64_t tick_generation = 0;
    TimePoint tick_at{};
    bool tick_scheduled = false;
    bool tick_missed = false;  // a tick came due while paused or frozen
    bool frozen = false;
    std::vector<BacklogItem> backlog;
    std::size_t backlog_datagrams = 0;
    HostTraffic traffic;
  };
  struct Datagram {
    HostId from = 0;
    HostId to = 0;
    std::vector<std::uint8_t> bytes;
  };
  struct Exchange {
    HostId requester = 0;
    std::uint32_t requester_epoch = 0;
    StreamId id = 0;
    HostId target = 0;
    std::vector<std::uint8_t> request;
    std::vector<std::uint8_t> response;
    bool response_ok = false;  // false: the target closed without answering
    bool refused = false;      // the target's host refused the connection
    bool answered = false;     // the requester got its outcome
    int events_pending = 0;    // scheduled events still referring to it
  };

  void ScheduleTick(HostId h);
  void RunTick(HostId h);
  void DeliverDatagram(std::uint32_t slot);
  void DeliverStreamRequest(std::uint64_t exchange_id);
  void DeliverStreamResponse(std::uint64_t exchange_id, bool timed_out);
  void Answer(Exchange& ex, bool timed_out);
  void ScheduleExchangeEvent(TimePoint when, NetEventKind kind, std::uint64_t exchange_id);
  void ReleaseExchangeEvent(std::uint64_t exchange_id);
  std::uint32_t AllocateDatagram();
  void FreeDatagram(std::uint32_t slot);
  // Queues an input for a paused host; false if the backlog is full.
  bool Enqueue(Host& host, NetEventKind kind, std::uint64_t arg);

  Scheduler& scheduler_;
  LinkModel links_;
  Rng rng_;
  std::vector<Host> hosts_;
  // Open addressing of host ids by address hash (linear probing, power-of-two
  // size, load <= 1/2): every datagram sent looks up its destination, and a
  // node-based map's pointer chase was a visible cost at 10,000 hosts.
  std::vector<HostId> by_address_;
  std::vector<std::size_t> address_hashes_;  // per host
  // The by_address_ slot of `address` (hash `hash`), or the empty slot.
  [[nodiscard]] std::size_t AddressSlot(const Address& address, std::size_t hash) const;
  std::vector<Datagram> datagrams_;
  std::vector<std::uint32_t> free_datagrams_;
  std::unordered_map<std::uint64_t, Exchange> exchanges_;
  std::uint64_t next_exchange_ = 1;
  std::size_t backlog_limit_ = 10000;
  NetworkStats stats_;
};

}  // namespace picket::sim
