#include "sim/network.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <utility>

namespace picket::sim {

namespace {
constexpr HostId kNoHost = std::numeric_limits<HostId>::max();
}  // namespace

Network::Network(Scheduler& scheduler, LinkConfig config, std::uint64_t seed)
    : scheduler_(scheduler), links_(config), rng_(seed), by_address_(16, kNoHost) {}

std::size_t Network::AddressSlot(const Address& address, std::size_t hash) const {
  const std::size_t mask = by_address_.size() - 1;
  for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const HostId h = by_address_[slot];
    if (h == kNoHost || (address_hashes_[h] == hash && hosts_[h].address == address)) return slot;
  }
}

HostId Network::AddHost(const Address& address) {
  const auto id = static_cast<HostId>(hosts_.size());
  hosts_.push_back(Host{});
  hosts_.back().address = address;
  address_hashes_.push_back(std::hash<Address>{}(address));
  if (hosts_.size() * 2 > by_address_.size()) {
    by_address_.assign(by_address_.size() * 2, kNoHost);
    for (HostId h = 0; h < id; ++h) {
      by_address_[AddressSlot(hosts_[h].address, address_hashes_[h])] = h;
    }
  }
  by_address_[AddressSlot(address, address_hashes_[id])] = id;
  return id;
}

std::optional<HostId> Network::Lookup(const Address& address) const {
  // Fast path: the cluster names host h "n<h>:<port>", so the first digits
  // of an address are usually its host's index; if that host has exactly
  // this address, it is the one (addresses are unique). This skips hashing
  // the address and probing the table (cache misses at scale).
  const auto digits =
      std::find_if(address.begin(), address.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits != address.end() && digits - address.begin() <= 8) {
    HostId guess = 0;
    const char* first = address.data() + (digits - address.begin());
    const auto [ptr, ec] = std::from_chars(first, address.data() + address.size(), guess);
    if (ec == std::errc() && guess < hosts_.size() && hosts_[guess].address == address) {
      return guess;
    }
  }
  const HostId h = by_address_[AddressSlot(address, std::hash<Address>{}(address))];
  if (h == kNoHost) return std::nullopt;
  return h;
}

void Network::Attach(HostId h, Endpoint* endpoint) {
  Host& host = hosts_[h];
  host.state = HostState::kUp;
  host.endpoint = endpoint;
  host.tick_scheduled = false;
  host.tick_missed = false;
  ++host.tick_generation;
  ScheduleTick(h);
}

void Network::Crash(HostId h) {
  Host& host = hosts_[h];
  if (host.state == HostState::kDown) return;
  host.state = HostState::kDown;
  host.endpoint = nullptr;
  ++host.epoch;
  ++host.tick_generation;
  host.tick_scheduled = false;
  host.tick_missed = false;
  host.frozen = false;
  std::vector<BacklogItem> backlog = std::move(host.backlog);
  host.backlog.clear();
  host.backlog_datagrams = 0;
  for (const BacklogItem& item : backlog) {
    if (item.kind == kDatagramArrives) {
      ++stats_.dropped_down;
      FreeDatagram(static_cast<std::uint32_t>(item.arg));
    } else {
      ReleaseExchangeEvent(item.arg);
    }
  }
}

void Network::Pause(HostId h) {
  if (hosts_[h].state == HostState::kUp) hosts_[h].state = HostState::kPaused;
}

void Network::Resume(HostId h) {
  Host& host = hosts_[h];
  if (host.state != HostState::kPaused) return;
  host.state = HostState::kUp;
  stats_.max_backlog = std::max<std::uint64_t>(stats_.max_backlog, host.backlog.size());
  // The timer fires late first, so the process can see that it was paused
  // before it reads what queued up meanwhile.
  if (host.tick_missed) {
    host.tick_missed = false;
    RunTick(h);
  }
  std::vector<BacklogItem> backlog = std::move(hosts_[h].backlog);
  hosts_[h].backlog.clear();
  hosts_[h].backlog_datagrams = 0;
  for (const BacklogItem& item : backlog) {
    ++stats_.backlog_processed;
    switch (item.kind) {
      case kDatagramArrives:
        DeliverDatagram(static_cast<std::uint32_t>(item.arg));
        break;
      case kStreamRequestArrives:
        DeliverStreamRequest(item.arg);
        break;
      case kStreamResponseArrives:
        DeliverStreamResponse(item.arg, false);
        break;
      case kStreamTimeout:
        DeliverStreamResponse(item.arg, true);
        break;
      default:
        break;
    }
  }
  ScheduleTick(h);
}

void Network::Poke(HostId h) { ScheduleTick(h); }

void Network::Thaw(HostId h) {
  Host& host = hosts_[h];
  if (!host.frozen) return;
  host.frozen = false;
  if (host.state == HostState::kUp && host.tick_missed) {
    host.tick_missed = false;
    RunTick(h);
  } else {
    ScheduleTick(h);
  }
}

void Network::ScheduleTick(HostId h) {
  Host& host = hosts_[h];
  if (host.state != HostState::kUp || host.endpoint == nullptr) return;
  TimePoint when = host.endpoint->NextWakeup();
  if (when == TimePoint::max()) return;
  when = std::max(when, scheduler_.now());
  if (host.tick_scheduled && host.tick_at <= when) return;
  host.tick_at = when;
  host.tick_scheduled = true;
  ++host.tick_generation;
  scheduler_.ScheduleAt(when, Event{kTickDue, h, host.tick_generation});
}

void Network::RunTick(HostId h) {
  const TimePoint now = scheduler_.now();
  hosts_[h].endpoint->OnTick(now);
  Host& host = hosts_[h];
  if (host.endpoint->NextWakeup() <= now) {
    // A core that wants another tick at the same instant would spin forever;
    // count it (a finding) and move on a millisecond.
    ++stats_.tick_spins;
    host.tick_at = now + std::chrono::milliseconds(1);
    host.tick_scheduled = true;
    ++host.tick_generation;
    scheduler_.ScheduleAt(host.tick_at, Event{kTickDue, h, host.tick_generation});
    return;
  }
  ScheduleTick(h);
}

void Network::HandleEvent(const Event& event) {
  switch (event.kind) {
    case kDatagramArrives:
      DeliverDatagram(static_cast<std::uint32_t>(event.arg));
      break;
    case kTickDue: {
      Host& host = hosts_[event.target];
      if (host.state == HostState::kDown || event.arg != host.tick_generation) return;
      host.tick_scheduled = false;
      if (host.state == HostState::kPaused || host.frozen) {
        host.tick_missed = true;
        return;
      }
      RunTick(event.target);
      break;
    }
    case kStreamRequestArrives:
      DeliverStreamRequest(event.arg);
      break;
    case kStreamResponseArrives:
      DeliverStreamResponse(event.arg, false);
      break;
    case kStreamTimeout:
      DeliverStreamResponse(event.arg, true);
      break;
    default:
      break;
  }
}

bool Network::Enqueue(Host& host, NetEventKind kind, std::uint64_t arg) {
  if (kind == kDatagramArrives) {
    if (host.backlog_datagrams >= backlog_limit_) return false;
    ++host.backlog_datagrams;
  }
  host.backlog.push_back(BacklogItem{kind, arg});
  return true;
}

std::uint32_t Network::AllocateDatagram() {
  if (!free_datagrams_.empty()) {
    const std::uint32_t slot = free_datagrams_.back();
    free_datagrams_.pop_back();
    return slot;
  }
  datagrams_.emplace_back();
  return static_cast<std::uint32_t>(datagrams_.size() - 1);
}

void Network::FreeDatagram(std::uint32_t slot) {
  datagrams_[slot].bytes.clear();
  free_datagrams_.push_back(slot);
}

void Network::SendDatagram(HostId from, const Address& to, std::span<const std::uint8_t> bytes) {
  HostTraffic& traffic = hosts_[from].traffic;
  ++traffic.datagrams;
  traffic.datagram_bytes += bytes.size();
  stats_.largest_datagram = std::max<std::uint64_t>(stats_.largest_datagram, bytes.size());
  if (bytes.size() > links_.config().max_datagram_bytes) {
    ++stats_.dropped_oversized;
    return;
  }
  const std::optional<HostId> target = Lookup(to);
  if (!target) {
    ++stats_.dropped_unknown_address;
    return;
  }
  if (!links_.Connected(from, *target)) {
    ++stats_.dropped_partition;
    return;
  }
  const std::optional<Duration> delay = links_.DatagramDelay(from, *target, rng_);
  if (!delay) {
    ++stats_.dropped_loss;
    return;
  }
  const std::uint32_t slot = AllocateDatagram();
  Datagram& datagram = datagrams_[slot];
  datagram.from = from;
  datagram.to = *target;
  datagram.bytes.assign(bytes.begin(), bytes.end());
  scheduler_.ScheduleAfter(*delay, Event{kDatagramArrives, *target, slot});
}

void Network::DeliverDatagram(std::uint32_t slot) {
  const HostId from = datagrams_[slot].from;
  const HostId to = datagrams_[slot].to;
  Host& host = hosts_[to];
  if (host.state == HostState::kDown) {
    ++stats_.dropped_down;
    FreeDatagram(slot);
    return;
  }
  if (!links_.Connected(from, to)) {
    ++stats_.dropped_partition;
    FreeDatagram(slot);
    return;
  }
  if (host.frozen) {
    ++stats_.dropped_frozen;
    FreeDatagram(slot);
    return;
  }
  if (host.state == HostState::kPaused) {
    if (!Enqueue(host, kDatagramArrives, slot)) {
      ++stats_.dropped_backlog_full;
      FreeDatagram(slot);
    }
    return;
  }
  // Take the bytes out of the pool while the endpoint runs: it may send, and
  // sending can grow (reallocate) the pool.
  std::vector<std::uint8_t> bytes = std::move(datagrams_[slot].bytes);
  ++stats_.datagrams_delivered;
  host.endpoint->OnDatagram(hosts_[from].address, bytes, scheduler_.now());
  datagrams_[slot].bytes = std::move(bytes);
  FreeDatagram(slot);
  ScheduleTick(to);
}

void Network::StartStream(HostId from, StreamId id, const Address& to,
                          std::vector<std::uint8_t> request, Duration timeout) {
  HostTraffic& traffic = hosts_[from].traffic;
  ++traffic.stream_messages;
  traffic.stream_bytes += request.size();
  ++stats_.streams_started;

  const std::uint64_t exchange_id = next_exchange_++;
  Exchange& ex = exchanges_[exchange_id];
  ex.requester = from;
  ex.requester_epoch = hosts_[from].epoch;
  ex.id = id;
  const TimePoint now = scheduler_.now();
  ScheduleExchangeEvent(now + timeout, kStreamTimeout, exchange_id);

  const std::optional<HostId> target = Lookup(to);
  if (!target) {
    // Name resolution failed: the connection fails at once.
    ++stats_.dropped_unknown_address;
    ex.target = from;
    ScheduleExchangeEvent(now, kStreamResponseArrives, exchange_id);
    return;
  }
  ex.target = *target;
  if (links_.StreamConnected(from, *target) && hosts_[*target].state == HostState::kDown &&
      links_.config().down_refuses_streams) {
    // Its machine answers the SYN with a reset one round trip later.
    ++stats_.dropped_down;
    ex.refused = true;
    ScheduleExchangeEvent(now + links_.StreamDelay(from, *target, 2, 0, rng_),
                          kStreamResponseArrives, exchange_id);
    return;
  }
  if (!links_.StreamConnected(from, *target) || hosts_[*target].state == HostState::kDown) {
    // The SYN goes nowhere: only the timeout will answer.
    ++(links_.StreamConnected(from, *target) ? stats_.dropped_down : stats_.dropped_partition);
    return;
  }
  ex.request = std::move(request);
  ScheduleExchangeEvent(now + links_.StreamDelay(from, *target, 2, 1, rng_), kStreamRequestArrives,
                        exchange_id);
}

void Network::ScheduleExchangeEvent(TimePoint when, NetEventKind kind, std::uint64_t exchange_id) {
  ++exchanges_[exchange_id].events_pending;
  scheduler_.ScheduleAt(when, Event{kind, 0, exchange_id});
}

void Network::ReleaseExchangeEvent(std::uint64_t exchange_id) {
  auto it = exchanges_.find(exchange_id);
  if (it != exchanges_.end() && --it->second.events_pending <= 0) exchanges_.erase(it);
}

void Network::DeliverStreamRequest(std::uint64_t exchange_id) {
  auto it = exchanges_.find(exchange_id);
  if (it == exchanges_.end()) return;
  Exchange& ex = it->second;
  const HostId target = ex.target;
  const HostId requester = ex.requester;
  Host& host = hosts_[target];
  if (host.state == HostState::kDown) {
    ++stats_.dropped_down;
    ReleaseExchangeEvent(exchange_id);
    return;
  }
  if (!links_.StreamConnected(requester, target)) {
    ++stats_.dropped_partition;
    ReleaseExchangeEvent(exchange_id);
    return;
  }
  if (host.state == HostState::kPaused) {
    Enqueue(host, kStreamRequestArrives, exchange_id);  // streams always queue
    return;
  }
  std::vector<std::uint8_t> request = std::move(ex.request);
  std::vector<std::uint8_t> response =
      host.endpoint->OnStreamRequest(hosts_[requester].address, request, scheduler_.now());
  // Unordered_map references survive insertions made by the endpoint.
  ex.response_ok = !response.empty();
  const TimePoint now = scheduler_.now();
  if (ex.response_ok) {
    HostTraffic& traffic = hosts_[target].traffic;
    ++traffic.stream_messages;
    traffic.stream_bytes += response.size();
    ex.response = std::move(response);
    ScheduleExchangeEvent(now + links_.StreamDelay(target, requester, 0, 1, rng_),
                          kStreamResponseArrives, exchange_id);
  } else {
    // Closed without an answer: the requester sees the FIN one trip later.
    ScheduleExchangeEvent(now + links_.OneWayDelay(target, requester, rng_), kStreamResponseArrives,
                          exchange_id);
  }
  ScheduleTick(target);
  ReleaseExchangeEvent(exchange_id);
}

void Network::DeliverStreamResponse(std::uint64_t exchange_id, bool timed_out) {
  auto it = exchanges_.find(exchange_id);
  if (it == exchanges_.end()) return;
  Exchange& ex = it->second;
  Host& host = hosts_[ex.requester];
  if (ex.answered || host.epoch != ex.requester_epoch || host.state == HostState::kDown) {
    ex.answered = true;
    ReleaseExchangeEvent(exchange_id);
    return;
  }
  if (!timed_out && !links_.StreamConnected(ex.target, ex.requester)) {
    ++stats_.dropped_partition;  // the timeout will answer
    ReleaseExchangeEvent(exchange_id);
    return;
  }
  if (host.state == HostState::kPaused) {
    Enqueue(host, timed_out ? kStreamTimeout : kStreamResponseArrives, exchange_id);
    return;
  }
  Answer(ex, timed_out);
  ReleaseExchangeEvent(exchange_id);
}

void Network::Answer(Exchange& ex, bool timed_out) {
  using Kind = membership::StreamResult::Kind;
  ex.answered = true;
  const HostId requester = ex.requester;
  const TimePoint now = scheduler_.now();
  Endpoint& endpoint = *hosts_[requester].endpoint;
  if (!timed_out && ex.refused) {
    ++stats_.streams_failed;
    endpoint.OnStreamResult(ex.id, membership::StreamResult::NotAnswered(Kind::kRefused), now);
  } else if (timed_out || !ex.response_ok) {
    ++stats_.streams_failed;
    endpoint.OnStreamResult(ex.id, membership::StreamResult::NotAnswered(Kind::kFailed), now);
  } else {
    ++stats_.streams_answered;
    endpoint.OnStreamResult(ex.id, membership::StreamResult::Answered(ex.response), now);
  }
  ScheduleTick(requester);
}

}  // namespace picket::sim
