#include "sim/cluster.h"

#include <charconv>
#include <cstdio>
#include <utility>

#include "sim/random.h"

namespace picket::sim {

void CoreTotals::Add(const membership::Counters& c) {
  probes += c.probes;
  indirect_probes += c.indirect_probes;
  stream_probes += c.stream_probes;
  claim_checks += c.claim_checks;
  claim_checks_waited += c.claim_checks_waited;
  phi_checks += c.phi_checks;
  phi_checks_answered += c.phi_checks_answered;
  heartbeats_out += c.heartbeats_out;
  heartbeats_in += c.heartbeats_in;
  suspicions += c.suspicions;
  refutations += c.refutations;
  failures += c.failures;
  stand_downs += c.stand_downs;
  for (const std::uint64_t d : c.dropped) dropped += d;
}

CoreTotals CoreTotals::operator-(const CoreTotals& o) const {
  CoreTotals r;
  r.probes = probes - o.probes;
  r.indirect_probes = indirect_probes - o.indirect_probes;
  r.stream_probes = stream_probes - o.stream_probes;
  r.claim_checks = claim_checks - o.claim_checks;
  r.claim_checks_waited = claim_checks_waited - o.claim_checks_waited;
  r.phi_checks = phi_checks - o.phi_checks;
  r.phi_checks_answered = phi_checks_answered - o.phi_checks_answered;
  r.heartbeats_out = heartbeats_out - o.heartbeats_out;
  r.heartbeats_in = heartbeats_in - o.heartbeats_in;
  r.suspicions = suspicions - o.suspicions;
  r.refutations = refutations - o.refutations;
  r.failures = failures - o.failures;
  r.stand_downs = stand_downs - o.stand_downs;
  r.dropped = dropped - o.dropped;
  return r;
}

Cluster::Cluster(ClusterOptions options)
    : options_(std::move(options)),
      network_(scheduler_, options_.link, DeriveSeed(options_.seed, 1)),
      truth_(options_.grace),
      views_(options_.capacity),
      detection_(truth_, options_.measure_start, options_.max_examples),
      invariants_(options_.max_examples) {
  network_.set_backlog_limit(options_.backlog_limit);
  scheduler_.ScheduleAfter(options_.sample_interval, Event{kSample, 0, 0});
  // Every name, then every address, gets its pool id now (the pool keeps
  // them all anyway): names are ids 0..capacity-1, so each table's index of
  // members by name id has `capacity` entries, not twice that, and a table
  // acquiring the members in host order hits NamePool's in-order fast path.
  // Ids are internal to the pool: nothing observable depends on them.
  for (std::size_t h = 0; h < options_.capacity; ++h) {
    name_pool_->Acquire("n" + std::to_string(h));
  }
  for (std::size_t h = 0; h < options_.capacity; ++h) {
    name_pool_->Acquire("n" + std::to_string(h) + ":" + std::to_string(options_.port));
  }
}

Cluster::~Cluster() = default;

HostId Cluster::AddHost() {
  const HostId h =
      network_.AddHost("n" + std::to_string(names_.size()) + ":" + std::to_string(options_.port));
  names_.push_back("n" + std::to_string(h));
  hosts_.emplace_back();
  launches_.push_back(0);
  leave_deadline_.push_back(TimePoint::max());
  truth_.AddHost();
  return h;
}

std::optional<HostId> Cluster::HostOfName(const std::string& name) const {
  // Names are "n<id>": parse instead of hashing (this runs for every event).
  if (name.size() < 2 || name[0] != 'n') return std::nullopt;
  HostId id = 0;
  const char* end = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(name.data() + 1, end, id);
  if (ec != std::errc() || ptr != end || id >= names_.size() || names_[id] != name) {
    return std::nullopt;
  }
  return id;
}

void Cluster::Launch(HostId h, const std::vector<membership::Address>& seeds, bool after_fault,
                     const std::vector<HostId>* warm_members) {
  if (hosts_[h]) return;
  const TimePoint now = scheduler_.now();
  IntegrateMemberSeconds();
  truth_.OnStart(h, now, after_fault);
  views_.OnStart(h);
  views_dirty_ = true;
  const std::uint64_t seed =
      DeriveSeed(options_.seed, (std::uint64_t{h} << 16U) + 2 + launches_[h]++);
  membership::Identity identity{names_[h], network_.AddressOf(h), {}};
  HostObserver& observer = *this;
  hosts_[h] = std::make_unique<SwimHost>(h, network_, observer, options_.protocol,
                                         std::move(identity), seed, now, name_pool_);
  if (warm_members != nullptr) {
    if (warm_identities_.size() != warm_members->size()) {
      warm_identities_.clear();
      for (HostId m : *warm_members) {
        warm_identities_.push_back(membership::Identity{names_[m], network_.AddressOf(m), {}});
      }
    }
    hosts_[h]->swim().WarmStart(warm_identities_, now);
    for (HostId m : *warm_members) views_.Set(h, m, true);
  }
  network_.Attach(h, hosts_[h].get());
  if (!seeds.empty()) hosts_[h]->swim().Join(seeds, now);
  network_.Poke(h);
}

void Cluster::StartWarm(HostId h, const std::vector<HostId>& members) {
  Launch(h, {}, false, &members);
}

void Cluster::Start(HostId h, const std::vector<membership::Address>& seeds) {
  Launch(h, seeds, false);
}

void Cluster::Restart(HostId h, const std::vector<membership::Address>& seeds) {
  if (hosts_[h]) return;
  detection_.OnRestart(h, scheduler_.now());
  Launch(h, seeds, true);
  rejoins_.push_back(RejoinRecord{h, scheduler_.now(), std::nullopt});
}

void Cluster::Stop(HostId h) {
  network_.Crash(h);
  IntegrateMemberSeconds();
  retired_counters_.Add(hosts_[h]->swim().counters());
  const TimePoint now = scheduler_.now();
  for (HostId s : views_.OnStop(h)) detection_.OnNobodySeesUp(s, now);
  views_dirty_ = true;
  hosts_[h].reset();
}

void Cluster::Crash(HostId h) {
  if (!hosts_[h]) return;
  const TimePoint now = scheduler_.now();
  truth_.OnCrash(h, now);
  detection_.OnCrash(h, now);
  Stop(h);
  if (views_.UpCount(h) == 0) detection_.OnNobodySeesUp(h, now);
}

void Cluster::Pause(HostId h) {
  if (!hosts_[h] || network_.StateOf(h) != HostState::kUp) return;
  truth_.OnPause(h, scheduler_.now());
  network_.Pause(h);
}

void Cluster::Resume(HostId h) {
  if (!hosts_[h] || network_.StateOf(h) != HostState::kPaused) return;
  truth_.OnResume(h, scheduler_.now());
  network_.Resume(h);
}

void Cluster::Join(HostId h, const std::vector<membership::Address>& seeds) {
  if (!hosts_[h]) return;
  hosts_[h]->swim().Join(seeds, scheduler_.now());
  network_.Poke(h);
}

void Cluster::Leave(HostId h) {
  if (!hosts_[h] || network_.StateOf(h) != HostState::kUp) return;
  const TimePoint now = scheduler_.now();
  truth_.OnLeaving(h, now);
  views_dirty_ = true;
  hosts_[h]->swim().Leave(now);
  network_.Poke(h);
  leave_deadline_[h] = now + options_.protocol.leave_propagate_timeout + 1s;
  scheduler_.ScheduleAfter(100ms, Event{kLeavePoll, h, 0});
}

void Cluster::Exit(HostId h) {
  if (!hosts_[h]) return;
  truth_.OnExit(h, scheduler_.now());
  leave_deadline_[h] = TimePoint::max();
  Stop(h);
}

void Cluster::Partition(std::vector<std::uint32_t> group_of_host) {
  truth_.OnPartition(group_of_host, scheduler_.now());
  network_.links().SetPartition(std::move(group_of_host));
  views_dirty_ = true;
}

void Cluster::GrayStart(HostId h) { truth_.OnGrayStart(h, scheduler_.now()); }

void Cluster::GrayEnd(HostId h) { truth_.OnGrayEnd(h, scheduler_.now()); }

void Cluster::SetHostLoss(HostId h, double in, double out) {
  network_.links().SetHostLoss(h, in, out);
}

void Cluster::SetOneWayCut(HostId from, HostId to, bool cut) {
  network_.links().SetOneWayCut(from, to, cut);
}

void Cluster::Heal() {
  truth_.OnHeal(scheduler_.now());
  network_.links().ClearPartition();
  views_dirty_ = true;
}

void Cluster::At(TimePoint when, std::function<void()> action) {
  std::uint32_t slot = 0;
  if (!free_callbacks_.empty()) {
    slot = free_callbacks_.back();
    free_callbacks_.pop_back();
    callbacks_[slot] = std::move(action);
  } else {
    slot = static_cast<std::uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(action));
  }
  scheduler_.ScheduleAt(when, Event{kCallback, 0, slot});
}

void Cluster::RunUntil(TimePoint until) {
  while (std::optional<Event> event = scheduler_.PopUntil(until)) {
    if (Network::Owns(*event)) {
      network_.HandleEvent(*event);
      continue;
    }
    switch (event->kind) {
      case kCallback: {
        const auto slot = static_cast<std::uint32_t>(event->arg);
        std::function<void()> action = std::move(callbacks_[slot]);
        callbacks_[slot] = nullptr;
        free_callbacks_.push_back(slot);
        action();
        break;
      }
      case kSample:
        Sample();
        scheduler_.ScheduleAfter(options_.sample_interval, Event{kSample, 0, 0});
        break;
      case kLeavePoll: {
        const HostId h = event->target;
        if (!hosts_[h]) break;
        if (hosts_[h]->swim().LeaveComplete() || scheduler_.now() >= leave_deadline_[h]) {
          Exit(h);
        } else {
          scheduler_.ScheduleAfter(100ms, Event{kLeavePoll, h, 0});
        }
        break;
      }
      default:
        break;
    }
  }
}

void Cluster::Sample() {
  const TimePoint now = scheduler_.now();
  for (RejoinRecord& r : rejoins_) {
    if (!r.rejoined_at && truth_.Running(r.host) &&
        views_.UpCount(r.host) == truth_.running_count()) {
      r.rejoined_at = now;
    }
  }
  SampleReplacements(now);
  if (next_agreement_sample_ && now >= *next_agreement_sample_) {
    gray_.SampleAgreement(views_, truth_);
    gray_.SampleReturns(views_, truth_, now);
    *next_agreement_sample_ += agreement_every_;
  }
  if (!views_dirty_) return;
  views_dirty_ = false;
  views_.SampleViewSizes(truth_);
  if (views_.Converged(truth_)) {
    if (!converged_since_) converged_since_ = now;
  } else {
    converged_since_.reset();
  }
}

void Cluster::WatchImpaired(const std::vector<HostId>& impaired, TimePoint end) {
  gray_.Watch(impaired, end);
}

void Cluster::StartAgreementSamples(TimePoint from, Duration every) {
  next_agreement_sample_ = from;
  agreement_every_ = every;
}

void Cluster::TrackReplacement(HostId gone, HostId joined) {
  replacements_.push_back(ReplacementRecord{gone, joined, scheduler_.now(), std::nullopt});
}

bool Cluster::Settled(const ReplacementRecord& r) const {
  for (HostId o = 0; o < host_count(); ++o) {
    if (!truth_.ExpectedUp(o)) continue;
    if (o != r.joined && truth_.ExpectedUp(r.joined) && !views_.Sees(o, r.joined)) return false;
    if (o != r.gone && views_.Sees(o, r.gone)) return false;
  }
  return true;
}

void Cluster::SampleReplacements(TimePoint now) {
  for (std::size_t i = first_unsettled_; i < replacements_.size(); ++i) {
    ReplacementRecord& r = replacements_[i];
    if (!r.settled_at && Settled(r)) r.settled_at = now;
  }
  while (first_unsettled_ < replacements_.size() && replacements_[first_unsettled_].settled_at) {
    ++first_unsettled_;
  }
}

void Cluster::OnMemberEvent(HostId observer, const membership::MemberEvent& event) {
  const TimePoint now = scheduler_.now();
  const std::optional<HostId> subject = HostOfName(event.member.name);
  invariants_.CheckEvent(names_[observer], event, now, subject.has_value());
  if (event.type == membership::EventType::kQuorumLost) {
    ++quorum_lost_events_;
    return;
  }
  if (event.type == membership::EventType::kQuorumRegained) {
    ++quorum_regained_events_;
    return;
  }
  if (options_.trace &&
      (event.member.name == options_.trace_member || names_[observer] == options_.trace_member)) {
    Trace(names_[observer] + ": " + std::string(membership::ToString(event.type)) + " " +
          event.member.name + " state=" + std::string(membership::ToString(event.member.state)) +
          " inc=" + std::to_string(event.member.incarnation));
  }
  if (!subject || *subject == observer) return;
  if (truth_.EverGray(*subject) && !truth_.EverGray(observer)) {
    gray_.OnEvent(observer, *subject, event.type, now,
                  truth_.running_count() - truth_.ever_gray_count());
  }
  if (const std::optional<bool> up = ViewCollector::UpAfter(event)) {
    switch (views_.Set(observer, *subject, *up)) {
      case ViewCollector::Change::kLastDown:
        detection_.OnNobodySeesUp(*subject, now);
        break;
      case ViewCollector::Change::kFirstUp:
        detection_.OnSomeoneSeesUp(*subject);
        break;
      case ViewCollector::Change::kNone:
        break;
    }
    views_dirty_ = true;
  }
  detection_.OnDeclaration(observer, *subject, event.type, now);
}

void Cluster::OnDatagramSent(HostId sender, std::size_t bytes) {
  invariants_.CheckDatagram(names_[sender], bytes, options_.protocol.packet_budget,
                            scheduler_.now());
}

void Cluster::Trace(std::string_view text) const {
  char when[32];
  std::snprintf(when, sizeof when, "t=%.6fs ",
                std::chrono::duration<double>(scheduler_.now().time_since_epoch()).count());
  options_.trace(when + std::string(text));
}

void Cluster::OnCoreLog(HostId host, membership::LogLevel level, std::string_view message) {
  if (level == membership::LogLevel::kWarn) ++core_warnings_;
  if (options_.trace && names_[host] == options_.trace_member &&
      level >= membership::LogLevel::kInfo) {
    Trace(names_[host] + " logs: " + std::string(message));
  }
  if (level != membership::LogLevel::kError) return;
  ++core_errors_;
  if (core_error_examples_.size() < options_.max_examples) {
    core_error_examples_.push_back(names_[host] + ": " + std::string(message));
  }
}

void Cluster::IntegrateMemberSeconds() {
  if (measure_ended_) return;
  const TimePoint now = scheduler_.now();
  member_seconds_ += std::chrono::duration<double>(now - member_seconds_mark_).count() *
                     static_cast<double>(truth_.running_count());
  member_seconds_mark_ = now;
}

HostTraffic Cluster::TotalTraffic() const {
  HostTraffic total;
  for (HostId h = 0; h < network_.host_count(); ++h) {
    const HostTraffic& t = network_.TrafficOf(h);
    total.datagrams += t.datagrams;
    total.datagram_bytes += t.datagram_bytes;
    total.stream_messages += t.stream_messages;
    total.stream_bytes += t.stream_bytes;
  }
  return total;
}

CoreTotals Cluster::TotalCoreCounters() const {
  CoreTotals total = retired_counters_;
  for (const auto& host : hosts_) {
    if (host) total.Add(host->swim().counters());
  }
  return total;
}

void Cluster::MarkMeasureStart() {
  IntegrateMemberSeconds();
  warmup_member_seconds_ = member_seconds_;
  member_seconds_ = 0;
  traffic_at_start_ = TotalTraffic();
  counters_at_start_ = TotalCoreCounters();
}

void Cluster::MarkMeasureEnd() {
  IntegrateMemberSeconds();
  measure_ended_ = true;
}

HostTraffic Cluster::MeasuredTraffic() const {
  HostTraffic total = TotalTraffic();
  total.datagrams -= traffic_at_start_.datagrams;
  total.datagram_bytes -= traffic_at_start_.datagram_bytes;
  total.stream_messages -= traffic_at_start_.stream_messages;
  total.stream_bytes -= traffic_at_start_.stream_bytes;
  return total;
}

CoreTotals Cluster::MeasuredCoreTotals() const { return TotalCoreCounters() - counters_at_start_; }

}  // namespace picket::sim
