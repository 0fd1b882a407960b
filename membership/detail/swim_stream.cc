// The stream (TCP) side: join through seeds with backoff, periodic push-pull
// anti-entropy, and answering stream requests (push-pull, fallback ping).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "membership/detail/precedence.h"
#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {

// ---------------------------------------------------------------- join

namespace {

std::string JoinedBy(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out.append(separator);
    out.append(part);
  }
  return out;
}

std::string Seconds(Duration d) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", std::chrono::duration<double>(d).count());
  return buffer;
}

// Why one seed of a join attempt did not let us in.
std::string JoinError(const Address& seed, const StreamResult& result, bool answered) {
  if (answered) {
    return seed +
           ": answered, but the answer was dropped (another cluster name or protocol "
           "version? see picket_dropped_packets_total)";
  }
  if (!result.error.empty()) return std::string(result.error);
  switch (result.kind) {
    case StreamResult::Kind::kRefused:
      return seed + ": connection refused";
    case StreamResult::Kind::kOnlySelf:
      return seed + ": this member's own address";
    default:
      return seed + ": no answer";
  }
}

}  // namespace

void SwimCore::Join(std::vector<Address> seeds, TimePoint now) {
  const InputScope input(*this, now);
  if (!leaving_) {
    seeds.erase(std::remove(seeds.begin(), seeds.end(), self_address_), seeds.end());
    std::sort(seeds.begin(), seeds.end());
    seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
    join_.seeds = std::move(seeds);
    join_.started = now;
    join_.backoff = config_.join_retry_initial;
    join_.attempts = 0;
    join_failed_ = false;
    if (join_.seeds.empty()) {
      // No one to join: this member starts the cluster.
      join_.active = false;
      Log(LogLevel::kInfo, "every seed is this member's own address: starting a new cluster");
      MarkJoined({});
      StartCatchUps(now);
    } else {
      join_.active = true;
      StartJoinRound(now);
    }
  }
}

void SwimCore::StartJoinRound(TimePoint now) {
  (void)now;
  ++join_.round;
  ++join_.attempts;
  join_.errors.clear();
  join_.all_only_self = true;
  std::vector<Address> order = join_.seeds;
  random_.Shuffle(order);
  if (order.size() > tuning::kMaxSeedsPerAttempt) order.resize(tuning::kMaxSeedsPerAttempt);
  join_.outstanding = static_cast<int>(order.size());
  join_.table_join_failed = false;
  join_.let_in.clear();
  // One seed sends its table; the others only let us in and answer with
  // their summary (the other seeds' tables were a quarter of a cold start's
  // stream bytes at 3,000 members). The catch-ups after joining bring what
  // that seed did not know; if it fails, a seed that let us in sends its table.
  for (std::size_t i = 0; i < order.size(); ++i) {
    StartPushPull(order[i], i == 0 ? StreamPurpose::kJoin : StreamPurpose::kJoinAnnounce,
                  join_.round);
  }
}

void SwimCore::MarkJoined(std::string_view how) {
  if (joined_) return;
  joined_ = true;
  if (how.empty()) return;
  const Quorum quorum = GetQuorum();
  Log(LogLevel::kInfo, "joined the cluster " + std::string(how) + ": " +
                           std::to_string(quorum.alive) + " of " + std::to_string(quorum.members) +
                           " members alive");
}

void SwimCore::JoinAttemptDone(const PendingStream& stream, const StreamResult& result,
                               bool answered, bool ok, TimePoint now) {
  const bool announce = stream.purpose == StreamPurpose::kJoinAnnounce;
  if (ok && !announce) {
    if (join_.active) {
      MarkJoined("through seed " + stream.peer + " after " + std::to_string(join_.attempts) +
                 " attempt(s)");
      StartCatchUps(now);
    }
    MarkJoined({});
    join_.active = false;
    return;
  }
  if (!join_.active || stream.join_round != join_.round) return;
  if (ok) {
    // An announce let us in; its seed sends the table if the join that
    // asked for one failed.
    --join_.outstanding;
    join_.let_in.push_back(stream.peer);
    if (join_.table_join_failed) AskSeedForTable();
    return;
  }
  join_.all_only_self = join_.all_only_self && result.kind == StreamResult::Kind::kOnlySelf;
  join_.errors.push_back(JoinError(stream.peer, result, answered));
  if (!announce) {
    join_.table_join_failed = true;
    if (!join_.let_in.empty()) AskSeedForTable();
  }
  if (--join_.outstanding > 0) return;
  if (joined_) {  // someone joined us meanwhile
    join_.active = false;
    return;
  }
  if (join_.all_only_self) {
    // A headless Service that so far lists only this pod: we are the first.
    // join_.seeds stay: OnPushPullTimer retries them while we are alone.
    join_.active = false;
    Log(LogLevel::kInfo, "every seed resolves to this agent (" + JoinedBy(join_.errors, "; ") +
                             "): starting a new cluster as its first member; the seeds are "
                             "retried while it stays alone");
    MarkJoined({});
    StartCatchUps(now);
    return;
  }
  Log(LogLevel::kWarn,
      "join attempt " + std::to_string(join_.attempts) + " failed, seeds [" +
          JoinedBy(join_.seeds, ", ") + "]: " + JoinedBy(join_.errors, "; ") +
          "; retrying with backoff" +
          (config_.join_timeout > Duration::zero()
               ? " until --join-timeout " + Seconds(config_.join_timeout) + " has passed"
               : std::string(" (no --join-timeout: forever)")));
  // Every seed of this attempt failed: back off (with 0-20% jitter so that a
  // fleet restarted together does not retry in lockstep).
  const auto jitter =
      std::chrono::duration_cast<Duration>(join_.backoff * 0.2 * random_.UniformReal());
  TimePoint at = now + join_.backoff + jitter;
  join_.backoff = std::min(join_.backoff * 2, config_.join_retry_max);
  if (config_.join_timeout > Duration::zero()) {
    at = std::min(at, join_.started + config_.join_timeout);
  }
  timers_.Push(at, JoinRetryTimer{join_.round});
}

void SwimCore::AskSeedForTable() {
  const Address seed = join_.let_in.back();
  join_.let_in.pop_back();
  join_.table_join_failed = false;
  ++join_.outstanding;
  StartPushPull(seed, StreamPurpose::kJoin, join_.round);
}

void SwimCore::OnJoinRetryTimer(const JoinRetryTimer& t, TimePoint now) {
  if (!join_.active || t.round != join_.round) return;
  if (joined_) {
    join_.active = false;
    return;
  }
  if (config_.join_timeout > Duration::zero() && now - join_.started >= config_.join_timeout) {
    join_.active = false;
    join_failed_ = true;
    Log(LogLevel::kError, "could not join the cluster through [" + JoinedBy(join_.seeds, ", ") +
                              "] within --join-timeout " + Seconds(config_.join_timeout) + " (" +
                              std::to_string(join_.attempts) + " attempts); last errors: " +
                              (join_.errors.empty() ? "none" : JoinedBy(join_.errors, "; ")));
    return;
  }
  StartJoinRound(now);
}

// ---------------------------------------------------------------- push-pull

Duration SwimCore::PushPullInterval() const {
  // memberlist pushPullScale: fewer full exchanges per member in big
  // clusters, so their total cost grows like N log N rather than N^2.
  const int n = ClusterSize();
  Duration interval = config_.push_pull_interval;
  if (n > tuning::kPushPullScaleThreshold) {
    const double multiplier =
        std::ceil(std::log2(static_cast<double>(n)) -
                  std::log2(static_cast<double>(tuning::kPushPullScaleThreshold))) +
        1.0;
    interval = std::chrono::duration_cast<Duration>(interval * multiplier);
  }
  return std::chrono::duration_cast<Duration>(interval * push_pull_factor_);
}

void SwimCore::SchedulePushPull(TimePoint now) {
  if (config_.push_pull_interval <= Duration::zero()) return;
  // Each period is 0.5x to 1.5x the interval, so agents started together
  // spread out; the cluster size is read again when the period ends, so a
  // member that joined a large cluster does not push-pull at the small-cluster
  // rate it started with.
  push_pull_period_start_ = now;
  push_pull_factor_ = 0.5 + random_.UniformReal();
  timers_.Push(now + PushPullInterval(), PushPullTimer{++push_pull_generation_});
}

void SwimCore::OnPushPullTimer(TimePoint now) {
  const TimePoint due = push_pull_period_start_ + PushPullInterval();
  if (now < due) {
    timers_.Push(due, PushPullTimer{++push_pull_generation_});
    return;
  }
  SchedulePushPull(now);
  table_.ExpireTombstones(now);
  if (leaving_) return;
  const auto peers = RandomLiveMembers(1, kNoMember);
  if (!peers.empty()) {
    // The summary alone, by datagram: tables are nearly always equal, and a
    // stream would cost a connection (about ten packets) to say so.
    SendDatagram(std::string(table_.AddressOf(peers.front())),
                 encoder_.EncodeMessage(StateSummary(false)));
  } else if (!join_.seeds.empty()) {
    // Alone: maybe the seeds came up after we gave up, or we started a
    // cluster of one beside theirs. Try one again so the two can merge.
    const Address& seed = join_.seeds[random_.Uniform(join_.seeds.size())];
    StartPushPull(seed, StreamPurpose::kPushPull, 0);
  }
}

void SwimCore::StartCatchUps(TimePoint now) {
  // Catch up on whatever the seed did not know yet (see kCatchUpIntervalMs);
  // a seed (the cluster's founder included) catches up with those that
  // joined through it.
  if (catch_ups_started_ || config_.push_pull_interval <= Duration::zero()) return;
  catch_ups_started_ = true;
  catch_ups_left_ = tuning::kMaxCatchUps;
  catch_up_quiet_ = 0;
  ScheduleCatchUp(now);
}

void SwimCore::ScheduleCatchUp(TimePoint now) {
  // 0.5x to 1.5x the interval: members that joined together spread out.
  const auto delay = std::chrono::duration_cast<Duration>(
      std::chrono::milliseconds(tuning::kCatchUpIntervalMs) * (0.5 + random_.UniformReal()));
  timers_.Push(now + delay, CatchUpTimer{});
}

void SwimCore::OnCatchUpTimer(TimePoint now) {
  // Our summary to a random member by stream, started by us: a summary by
  // datagram could be ignored by a peer busy with other syncs. A peer whose
  // table differs answers with it, and we send ours back (kSync).
  if (leaving_ || catch_ups_left_ <= 0) return;
  --catch_ups_left_;
  const auto peers = RandomLiveMembers(1, kNoMember);
  if (peers.empty()) {
    ScheduleCatchUp(now);  // alone so far: others may join us
    return;
  }
  StartPushPull(std::string(table_.AddressOf(peers.front())), StreamPurpose::kCatchUp, 0);
}

void SwimCore::ScheduleReconnect(TimePoint now) {
  if (config_.reconnect_interval <= Duration::zero()) return;
  // 0.5x to 1.5x the interval: agents started together spread out.
  const auto delay = std::chrono::duration_cast<Duration>(config_.reconnect_interval *
                                                          (0.5 + random_.UniformReal()));
  timers_.Push(now + delay, ReconnectTimer{});
}

void SwimCore::OnReconnectTimer(TimePoint now) {
  ScheduleReconnect(now);
  const int failed = table_.Count(MemberState::kFailed);
  const int alive = LiveCount();
  if (leaving_ || failed == 0 || alive < 1) return;
  NoticeFailed(now);
  // About one attempt per interval across the whole cluster.
  if (random_.UniformReal() * alive >= 1.0) return;
  std::vector<MemberIndex> candidates;
  for (MemberIndex m = 0; m < table_.end(); ++m) {
    if (table_.Contains(m) && table_.State(m) == MemberState::kFailed) candidates.push_back(m);
  }
  const MemberIndex target = candidates[random_.Uniform(candidates.size())];
  StartPushPull(std::string(table_.AddressOf(target)), StreamPurpose::kSync, 0);
}

void SwimCore::NoticeFailed(TimePoint now) {
  // Every failed (or left) member waits in the reap queue (with entries of
  // members that came back since: their state changed after `since`).
  std::vector<MemberIndex> failed;
  for (const auto& [deadline, m, since] : reap_queue_) {
    if (table_.Contains(m) && table_.State(m) == MemberState::kFailed &&
        table_.StateSince(m) == since) {
      failed.push_back(m);
    }
  }
  random_.Shuffle(failed);
  if (failed.size() > tuning::kFailedNoticesPerReconnect) {
    failed.resize(tuning::kFailedNoticesPerReconnect);
  }
  for (const MemberIndex m : failed) {
    MaybeSendDeadNotice(table_.Name(m), std::string(table_.AddressOf(m)), now);
  }
}

namespace {

// Buckets for a delta-sync request from a table of `size` members: about
// kSyncMembersPerBucket members each, a power of two within the limits.
std::size_t SyncBucketCount(int size) {
  const auto wanted = static_cast<std::size_t>(std::max(size, 1)) /
                      static_cast<std::size_t>(tuning::kSyncMembersPerBucket);
  return std::clamp<std::size_t>(std::bit_ceil(std::max<std::size_t>(wanted, 1)), 2,
                                 tuning::kMaxSyncBuckets);
}

}  // namespace

void SwimCore::StartPushPull(const Address& to, StreamPurpose purpose, std::uint64_t join_round,
                             const SyncBuckets& only) {
  const StreamId id = NextStreamId();
  streams_[id] = PendingStream{purpose, join_round, 0, to};
  std::string envelope = encoder_.header();
  PushPullMsg state = StateSummary(IsJoin(purpose));
  state.summary_only = purpose == StreamPurpose::kJoinAnnounce;
  if (AsksForDifferences(purpose)) {
    // In a large table, ask for bucket digests rather than the peer's table:
    // tables a few members apart then cost a few buckets, not ~35 B a member.
    if (table_.size() >= tuning::kDeltaSyncMinMembers) {
      state.bucket_count = static_cast<std::uint32_t>(SyncBucketCount(table_.size()));
    }
  } else {
    AddMembers(state, only, {});
    state.bucket_count = only.count;
    state.buckets = only.buckets;
  }
  envelope.append(encoder_.EncodeMessage(state));
  std::vector<std::uint8_t> request;
  Encoder::Frame(Channel::kStream, envelope, request);
  ++counters_.streams_out;
  counters_.bytes_out += request.size();
  runtime_.StartStream(id, to, std::move(request), config_.stream_timeout);
}

void SwimCore::OnPushPullSummary(const PushPullMsg& summary, const Address& from,
                                 std::string_view sender) {
  ++counters_.push_pulls;
  if (leaving_) return;
  if (InSync(summary)) return;
  // The address it gossips under, if we know it (the source address may be
  // translated); a stranger's source address otherwise.
  const MemberIndex m = table_.Find(sender);
  const Address peer = m != kNoMember ? std::string(table_.AddressOf(m)) : from;
  std::size_t syncs = 0;
  for (const auto& [id, pending] : streams_) {
    if (pending.purpose != StreamPurpose::kSync) continue;
    if (pending.peer == peer) return;  // one is on its way already
    ++syncs;
  }
  if (syncs >= tuning::kMaxSummarySyncs) return;
  StartPushPull(peer, StreamPurpose::kSync, 0);
}

bool SwimCore::InSync(const PushPullMsg& state) const {
  return table_.Digest() == state.digest &&
         static_cast<std::uint32_t>(table_.size()) == state.count;
}

SwimCore::SyncBuckets SwimCore::DifferingBuckets(const std::vector<std::uint64_t>& theirs) const {
  SyncBuckets out;
  out.count = static_cast<std::uint32_t>(theirs.size());
  const std::vector<std::uint64_t> ours = table_.BucketDigests(theirs.size());
  for (std::uint32_t b = 0; b < out.count; ++b) {
    if (ours[b] != theirs[b]) out.buckets.push_back(b);
  }
  return out;
}

PushPullMsg SwimCore::StateSummary(bool join) const {
  PushPullMsg state;
  state.join = join;
  state.digest = table_.Digest();
  state.count = static_cast<std::uint32_t>(table_.size());
  return state;
}

void SwimCore::AddMembers(PushPullMsg& state, const SyncBuckets& only,
                          const std::vector<bool>& known) const {
  std::vector<bool> wanted;  // empty: every bucket
  if (only.count > 0) {
    wanted.assign(only.count, false);
    for (const std::uint32_t b : only.buckets) wanted[b] = true;
  }
  state.members.reserve(static_cast<std::size_t>(table_.size()) + 1);
  for (MemberIndex m = 0; m < table_.end(); ++m) {
    if (!table_.Contains(m) || (m < known.size() && known[m])) continue;
    if (!wanted.empty() && !wanted[MemberTable::SyncBucket(table_.RingHash(m), only.count)]) {
      continue;
    }
    AliveMsg alive = AliveOf(m);
    state.members.push_back(MemberSnapshotMsg{alive.name, alive.address, alive.incarnation,
                                              table_.State(m), std::move(alive.tags),
                                              alive.service});
  }
}

PushPullMsg SwimCore::AnswerState(const PushPullMsg& request, std::string_view requester,
                                  const Address& requester_address) const {
  PushPullMsg state = StateSummary(false);
  // Equal summaries: say so in a few bytes instead of sending the table.
  if (InSync(request) || request.summary_only) return state;
  if (request.members.empty() && request.buckets.empty()) {
    // A summary. A delta-sync request gets our bucket digests (it sends back
    // the buckets that differ); an older agent's gets our whole table.
    if (request.bucket_count > 0) {
      state.bucket_digests = table_.BucketDigests(request.bucket_count);
      return state;
    }
    AddMembers(state, {}, {});
  } else {
    // A table, or some buckets of one (merged already): what it lacks of
    // those buckets, or holds older than we do.
    std::vector<bool> known(table_.end(), false);
    for (const MemberSnapshotMsg& s : request.members) {
      const MemberIndex m = table_.Find(s.name);
      if (m != kNoMember && table_.Incarnation(m) == s.incarnation && table_.State(m) == s.state) {
        known[m] = true;
      }
    }
    AddMembers(state, SyncBuckets{request.bucket_count, request.buckets}, known);
  }
  // A requester we reaped is told how it ended, so that it refutes (a
  // restart) instead of being ignored as old news.
  if (table_.Find(requester) == kNoMember) {
    if (const Tombstone* t = table_.FindTombstone(requester)) {
      state.members.push_back(MemberSnapshotMsg{
          requester, requester_address, t->incarnation, t->state, {}, std::nullopt});
    }
  }
  return state;
}

void SwimCore::MergeState(const PushPullMsg& state, std::string_view sender, TimePoint now) {
  merging_ = true;
  for (const MemberSnapshotMsg& s : state.members) {
    switch (s.state) {
      case MemberState::kAlive:
        ApplyAlive(s.name, s.address, s.incarnation, s.tags, s.service, Source::kPushPull, sender,
                   now);
        break;
      case MemberState::kSuspect:
        // Unknown members enter as alive first, then the suspicion applies.
        ApplyAlive(s.name, s.address, s.incarnation, s.tags, s.service, Source::kPushPull, sender,
                   now);
        ApplySuspect(s.name, s.incarnation, sender, Source::kPushPull, sender, now);
        break;
      case MemberState::kFailed:
        ApplyFailed(s.name, s.incarnation, sender, Source::kPushPull, sender, s.address, now);
        break;
      case MemberState::kLeft:
        ApplyLeft(s.name, s.incarnation, Source::kPushPull, sender, s.address, now);
        break;
    }
  }
  merging_ = false;
  CheckQuorum(now);
}

// ---------------------------------------------------------------- streams in

std::vector<std::uint8_t> SwimCore::HandleStreamRequest(const Address& from,
                                                        std::span<const std::uint8_t> request,
                                                        TimePoint now) {
  const InputScope input(*this, now);
  ++counters_.streams_in;
  counters_.bytes_in += request.size();
  std::vector<std::uint8_t> response;
  const DecodeResult result = stream_decoder_.Decode(request);
  if (!result.ok()) {
    CountDrop(result.reason);
    stream_decoder_.Release();
    return response;
  }
  const Envelope& envelope = *result.envelope;
  const std::string sender(envelope.sender);
  if (sender != self_name_) last_heard_ = now;
  std::string out = encoder_.header();
  bool answer = false;
  if (sender == self_name_) {
    // A seed list that includes ourselves: close, the joiner counts a failure.
  } else if (const auto* pp = std::get_if<PushPullMsg>(&envelope.messages.front())) {
    ++counters_.push_pulls;
    if (!pp->members.empty()) MergeState(*pp, sender, now);
    if (pp->join) {
      MarkJoined(join_.active ? "(a member joined through us)" : "");
      StartCatchUps(now);
    }
    out.append(encoder_.EncodeMessage(AnswerState(*pp, sender, from)));
    answer = true;
  } else if (const auto* ping = std::get_if<PingMsg>(&envelope.messages.front())) {
    if (ping->target.empty() || ping->target == self_name_) {
      // One message per stream answer (the decoder's rule): no Alive beside
      // it, the datagram probes carry that.
      encoder_.AppendMessage(AckMsg{ping->seq}, out);
      answer = true;
    } else {
      CountDrop(DropReason::kContradictory);
    }
  } else {
    CountDrop(DropReason::kContradictory);
  }
  if (answer) {
    Encoder::Frame(Channel::kStream, out, response);
    counters_.bytes_out += response.size();
  }
  stream_decoder_.Release();
  return response;
}

void SwimCore::HandleStreamResult(StreamId id, const StreamResult& result, TimePoint now) {
  const InputScope input(*this, now);
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  const PendingStream pending = it->second;
  streams_.erase(it);
  const bool answered = result.kind == StreamResult::Kind::kAnswered;
  bool ok = false;
  if (result.kind == StreamResult::Kind::kRefused && pending.purpose == StreamPurpose::kProbe) {
    OnStreamProbeRefused(pending.probe_seq, now);
  }
  if (answered) {
    counters_.bytes_in += result.response.size();
    const DecodeResult decoded = stream_decoder_.Decode(result.response);
    if (!decoded.ok()) {
      CountDrop(decoded.reason);
    } else if (decoded.envelope->sender != self_name_) {
      const Envelope& envelope = *decoded.envelope;
      const std::string sender(envelope.sender);
      last_heard_ = now;
      const Message& message = envelope.messages.front();
      if (pending.purpose == StreamPurpose::kProbe) {
        const auto* ack = std::get_if<AckMsg>(&message);
        if (ack != nullptr && ack->seq == pending.probe_seq) {
          ok = true;
          ProbeSucceeded(ack->seq, now);
        } else {
          CountDrop(DropReason::kContradictory);
        }
      } else if (const auto* pp = std::get_if<PushPullMsg>(&message)) {
        ok = true;
        ++counters_.push_pulls;
        if (!IsJoin(pending.purpose)) MarkJoined({});
        const bool asked = AsksForDifferences(pending.purpose);
        bool differed = !pp->members.empty();
        if (differed) MergeState(*pp, sender, now);
        if (!pp->bucket_digests.empty()) {
          // Delta sync: send our members of the buckets that differ; the
          // answer brings what we lack of them.
          SyncBuckets differing = DifferingBuckets(pp->bucket_digests);
          differed = differed || !differing.buckets.empty();
          if (asked && !differing.buckets.empty()) {
            StartPushPull(pending.peer, StreamPurpose::kSync, 0, differing);
          }
        } else if (asked && differed) {
          // Our summary differed from the peer's (an agent without delta
          // sync): it has not seen our table yet. Send it (once; the answer
          // to that is only a summary).
          StartPushPull(pending.peer, StreamPurpose::kSync, 0);
        }
        if (pending.purpose == StreamPurpose::kCatchUp) {
          // Done after kCatchUpQuietAnswers peers in a row had our table: a
          // single one may have missed the same news as we did.
          catch_up_quiet_ = differed ? 0 : catch_up_quiet_ + 1;
          if (catch_up_quiet_ < tuning::kCatchUpQuietAnswers) ScheduleCatchUp(now);
        }
      } else {
        CountDrop(DropReason::kContradictory);
      }
    }
  }
  stream_decoder_.Release();
  if (IsJoin(pending.purpose)) JoinAttemptDone(pending, result, answered, ok, now);
  // A catch-up that failed (the peer died or was busy): try another peer.
  if (pending.purpose == StreamPurpose::kCatchUp && !ok) ScheduleCatchUp(now);
}

}  // namespace picket::membership::detail
