#pragma once

// The state machine behind membership::Swim. Split over several .cc files by
// concern: swim_core.cc (construction, commands, queries, timer dispatch,
// local pauses), swim_state.cc (applying claims, transitions, events, quorum,
// suspicion, reaping), swim_receive.cc (datagram handling), swim_probe.cc
// (probe rounds, verification probes, relays, heartbeats and phi),
// swim_send.cc (building datagrams, piggybacking, gossip rounds),
// swim_stream.cc (push-pull, join, stream probes).
//
// Thread safety: none; see swim.h.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "membership/config.h"
#include "membership/counters.h"
#include "membership/detail/awareness.h"
#include "membership/detail/broadcast_queue.h"
#include "membership/detail/codec.h"
#include "membership/detail/heartbeat_monitor.h"
#include "membership/detail/link_health.h"
#include "membership/detail/member_table.h"
#include "membership/detail/messages.h"
#include "membership/detail/observer_ring.h"
#include "membership/detail/phi_reports.h"
#include "membership/detail/probe_order.h"
#include "membership/detail/random.h"
#include "membership/detail/suspicion.h"
#include "membership/detail/timer_queue.h"
#include "membership/name_pool.h"
#include "membership/runtime.h"
#include "membership/swim.h"
#include "membership/types.h"

namespace picket::membership::detail {

// Where a claim about a member came from: decides whether it is re-gossiped
// and how a remote "failed" is trusted.
enum class Source : std::uint8_t {
  kGossip,    // piggybacked or gossiped update
  kPushPull,  // a peer's full state (its "failed" only counts as suspect)
  kLocal,     // this agent's own conclusion
};

class SwimCore {
 public:
  // `names`: the pool of the member table (nullptr: a private one).
  SwimCore(Config config, Identity self, std::uint64_t seed, Runtime& runtime, TimePoint now,
           std::shared_ptr<NamePool> names = nullptr);

  // --- The Swim interface (see swim.h) ---
  void WarmStart(const std::vector<Identity>& members, TimePoint now);
  void Join(std::vector<Address> seeds, TimePoint now);
  void Leave(TimePoint now);
  Status SetTags(Tags tags, TimePoint now);
  Status SetService(std::optional<ServiceStatus> service, TimePoint now);
  void HandleDatagram(const Address& from, std::span<const std::uint8_t> bytes, TimePoint now);
  std::vector<std::uint8_t> HandleStreamRequest(const Address& from,
                                                std::span<const std::uint8_t> request,
                                                TimePoint now);
  void HandleStreamResult(StreamId id, const StreamResult& result, TimePoint now);
  void Tick(TimePoint now);
  [[nodiscard]] TimePoint NextWakeup() const;
  [[nodiscard]] std::vector<MemberInfo> Members(TimePoint now) const;
  [[nodiscard]] std::optional<MemberInfo> Member(const std::string& name, TimePoint now) const;
  [[nodiscard]] MemberInfo Self() const;
  [[nodiscard]] Quorum GetQuorum() const;
  [[nodiscard]] int HealthScore() const { return awareness_.score(); }
  [[nodiscard]] bool Joined() const { return joined_; }
  [[nodiscard]] bool JoinFailed() const { return join_failed_; }
  [[nodiscard]] bool LeaveComplete() const;
  [[nodiscard]] const Counters& counters() const;
  [[nodiscard]] const Config& config() const { return config_; }

  // --- For tests and the fuzzer: invariants of the member table ---
  // An empty string if every invariant holds, else the first violation.
  [[nodiscard]] std::string CheckInvariants() const;

 private:
  // ---------------------------------------------------------------- probes
  enum class ProbeKind : std::uint8_t { kRound, kVerify };
  // Why a verification probe runs: phi crossed the threshold, a SWIM round
  // got no answer, an unconfirmed suspicion is about to fail, or someone we
  // do not take at its word claims that a member we hold alive is suspect or
  // failed.
  enum class VerifyReason : std::uint8_t { kPhi, kFailedRound, kFinalCheck, kClaim };
  struct Probe {
    ProbeKind kind = ProbeKind::kRound;
    VerifyReason reason = VerifyReason::kPhi;
    MemberIndex target = kNoMember;
    std::string target_name;  // guards against index reuse
    std::uint64_t target_incarnation = 0;
    TimePoint started{};
    TimePoint deadline{};
    std::uint8_t stage = 0;  // the ProbeTimer stage it waits for
    std::uint64_t timer_generation = 0;
    int expected_nacks = 0;
    int nacks = 0;
    // The helpers' nacks can arrive before the deadline (NacksInTime).
    bool nacks_in_time = false;
    // Someone holds the target failed (see VerifyClaimedFailure): no answer
    // means failed, not suspect.
    bool claimed_failed = false;
    // Times the claim this check decides was checked before: a claim check
    // (VerifyReason::kClaim), or a failed claim riding on another check.
    int claim_rechecks = 0;
  };
  struct Relay {
    Address requester;
    std::uint32_t requester_seq = 0;
    bool want_nack = false;
  };
  // kPushPull sends only the table's summary (to a seed while alone; the
  // periodic summary to a member goes by datagram, see OnPushPullSummary);
  // kSync (after the summaries differed, or a reconnect) and kJoin send the
  // whole table.
  // kCatchUp: a summary by stream after joining, like kPushPull (see
  // OnCatchUpTimer). kJoinAnnounce: a join that asks only for the seed's
  // summary (every seed of an attempt but one, see StartJoinRound).
  enum class StreamPurpose : std::uint8_t {
    kJoin,
    kPushPull,
    kSync,
    kProbe,
    kCatchUp,
    kJoinAnnounce
  };
  // Both kinds of join stream (a table join and an announce).
  static bool IsJoin(StreamPurpose purpose) {
    return purpose == StreamPurpose::kJoin || purpose == StreamPurpose::kJoinAnnounce;
  }
  // Both kinds of table exchange we start (a push-pull and a catch-up): they
  // ask for what differs and follow up with a kSync of it.
  static bool AsksForDifferences(StreamPurpose purpose) {
    return purpose == StreamPurpose::kPushPull || purpose == StreamPurpose::kCatchUp;
  }
  // Some buckets of the table split `count` ways (delta sync); count 0: all.
  struct SyncBuckets {
    std::uint32_t count = 0;
    std::vector<std::uint32_t> buckets;
  };
  struct PendingStream {
    StreamPurpose purpose = StreamPurpose::kPushPull;
    std::uint64_t join_round = 0;
    std::uint32_t probe_seq = 0;
    Address peer;
  };
  struct JoinState {
    std::vector<Address> seeds;
    bool active = false;
    TimePoint started{};
    Duration backoff{};
    std::uint64_t round = 0;  // a generation for timers and late results
    int attempts = 0;         // since Join
    int outstanding = 0;      // streams of this attempt still running
    // This attempt so far: each failed seed's reason, and whether every one
    // was this member's own address.
    std::vector<std::string> errors;
    bool all_only_self = true;
    // The join asking for a table failed; the next seed to let us in is
    // asked for its table instead.
    bool table_join_failed = false;
    std::vector<Address> let_in;  // seeds that answered an announce
  };

  // swim_core.cc
  // One public input: NoticeInput on entry (a call far past the expected
  // wake-up means this process was paused), FinishInput on every way out
  // (gossip due, the next expected wake-up). Every entry point holds one.
  class InputScope {
   public:
    InputScope(SwimCore& core, TimePoint now) : core_(core), now_(now) { core_.NoticeInput(now); }
    ~InputScope() { core_.FinishInput(now_); }
    InputScope(const InputScope&) = delete;
    InputScope& operator=(const InputScope&) = delete;

   private:
    SwimCore& core_;
    TimePoint now_;
  };
  void NoticeInput(TimePoint now);
  void FinishInput(TimePoint now);
  void OnLocalPause(TimePoint now);
  void Dispatch(const Timer& timer, TimePoint now);
  void ScheduleProbeRound(TimePoint at);
  void ScheduleHeartbeat(TimePoint at);
  void SchedulePushPull(TimePoint now);
  [[nodiscard]] Duration PushPullInterval() const;
  [[nodiscard]] Duration LocalPauseThreshold() const;
  [[nodiscard]] MemberInfo BuildInfo(MemberIndex m, TimePoint now) const;
  void Log(LogLevel level, std::string_view message);

  // swim_state.cc
  bool ApplyAlive(std::string_view name, std::string_view address, std::uint64_t incarnation,
                  const std::vector<TagView>& tags, const std::optional<ServiceView>& service,
                  Source source, std::string_view sender, TimePoint now);
  bool ApplySuspect(std::string_view name, std::uint64_t incarnation, std::string_view from,
                    Source source, std::string_view sender, TimePoint now);
  // `address` is known only from push-pull (empty from gossip): then an
  // unknown member is recorded in its final state, so that a joiner's view
  // matches everyone else's; otherwise only a tombstone is kept.
  bool ApplyFailed(std::string_view name, std::uint64_t incarnation, std::string_view from,
                   Source source, std::string_view sender, std::string_view address, TimePoint now);
  bool ApplyLeft(std::string_view name, std::uint64_t incarnation, Source source,
                 std::string_view sender, std::string_view address, TimePoint now);
  // An unknown member that is already failed or left: recorded without events.
  bool RecordDeparted(std::string_view name, std::string_view address, std::uint64_t incarnation,
                      MemberState state, TimePoint now);
  // A claim that this agent is suspect, failed or left: refute it (unless leaving).
  void RefuteSelf(std::uint64_t accused_incarnation, std::string_view sender, TimePoint now);
  // We and `peer` were cut off from each other (it held us down: the
  // accuser; or we held it failed and it came back): both views are likely
  // stale. Exchange full state with it (at most once per
  // kSyncAfterCutOffIntervals), so that we learn at once what happened
  // meanwhile (joins, failures whose gossip ended while we were out of
  // reach) instead of at the next periodic push-pull. With `fallback` (who
  // told us; may be empty) if `peer` is not live here.
  void SyncAfterCutOff(std::string_view peer, std::string_view fallback, TimePoint now);
  // An accusation older than our incarnation: the sender missed our
  // refutation. Send it our current alive (at most once per probe_interval).
  void ReassertSelf(std::string_view sender, TimePoint now);
  // A suspect/failed/left claim about us: refuted if current (true), or
  // answered with ReassertSelf if older (false).
  bool AnswerClaimAboutSelf(std::uint64_t incarnation, Source source, std::string_view sender,
                            TimePoint now);
  // Lately a member came back from failed (a heal): tell a few of those we
  // still hold failed (NoticeFailed), at most once per probe interval.
  void NoticeFailedAfterHeal(TimePoint now);
  // True if `accuser` is failed or left here, or reaped.
  [[nodiscard]] bool AccuserDeparted(std::string_view accuser) const;
  // True if `accuser` may have been cut off from us lately: not alive here,
  // reaped, or alive here for less than kDistrustAfterComebackIntervals (back
  // from suspect/failed, or newly joined, or we just joined). Its `failed`
  // claims may only reflect its own isolation.
  [[nodiscard]] bool AccuserWasCutOff(std::string_view accuser, TimePoint now) const;
  // `m` is suspect (at its current incarnation) and a suspicion of it from
  // this agent would still count as a confirmation (Suspicions::WouldCount).
  [[nodiscard]] bool OwnConfirmationMissing(MemberIndex m) const;
  // This agent hears nobody lately (see tuning::kDeafWithholdIntervals): its
  // failed probes say nothing of the others, so it accuses nobody.
  // Also while our own probe rounds mostly hear nobody (LinkHealth::poor_since),
  // and for a check that `heard_nobody` (no helper even nacked), for as long.
  [[nodiscard]] bool WithholdAccusations(TimePoint now, bool heard_nobody) const;
  // How long we have heard nothing from anyone though at least two members
  // we observe were sending us heartbeats (deaf, not bereaved); nullopt if
  // that is not the case.
  [[nodiscard]] std::optional<Duration> DeafFor(TimePoint now) const;
  // The final check of suspect `m` gave no verdict (it answered, or we heard
  // nobody): its suspicion is judged again a minimum timeout from now.
  void JudgeSuspicionLater(MemberIndex m, TimePoint now);
  // A check of alive `m`: the verification of `m` already running, or a new
  // one on every path, not scaled by our own health (a cut-off of ours raised
  // it, and it is what we want to check). nullptr while leaving. Not capped:
  // for the few checks of a moved address (CheckMove).
  Probe* CheckClaim(MemberIndex m, TimePoint now);
  // A suspect (`claimed_failed` false) or failed claim about alive `m` that we
  // do not take at its word: checked as CheckClaim does, at most
  // tuning::kMaxClaimChecks at once. Beyond that the claim waits, one per
  // member, in arrival order (see StartWaitingClaimChecks). No answer to a
  // `failed` claim: failed; to a `suspect` claim: suspected, by us.
  // `rechecks`: times the claim was checked before (RecheckClaimLater).
  void QueueClaimCheck(MemberIndex m, bool claimed_failed, TimePoint now, int rechecks = 0);
  // The check `p` of a claim (a claim check, or a check a failed claim rode
  // on) gave no verdict (WithholdAccusations): the claim is checked again a
  // probe interval later, up to tuning::kClaimRechecks times.
  void RecheckClaimLater(const Probe& p, TimePoint now);
  void OnClaimRecheckTimer(const ClaimRecheckTimer& t, TimePoint now);
  // A claim about m (its name's NameHash, the incarnation claimed at) still
  // needs a check: the member is still there, unchanged, and alive here (or
  // suspect, for a failed claim).
  [[nodiscard]] bool ClaimStillOpen(MemberIndex m, std::uint64_t name_hash,
                                    std::uint64_t incarnation, bool claimed_failed) const;
  // Starts waiting claim checks while fewer than kMaxClaimChecks run. A claim
  // whose member moved on meanwhile (refuted, rejoined, failed) is dropped.
  void StartWaitingClaimChecks(TimePoint now);
  // Starts a final check of suspect `m` on every path (unless one is
  // running); see OnSuspicionTimer.
  void StartFinalCheckNow(MemberIndex m, TimePoint now);
  // The suspicion of `m` ran out (or its final check failed): failed.
  void DeclareFailed(MemberIndex m, TimePoint now);
  // Adds a member that is not in the table yet (ring, probe order, events).
  MemberIndex AddMember(std::string_view name, std::string_view address, std::uint64_t incarnation,
                        MemberState state, Tags tags, std::optional<ServiceStatus> service,
                        TimePoint now);
  // Sets state and incarnation and keeps every derived structure in step.
  void Transition(MemberIndex m, MemberState state, std::uint64_t incarnation, TimePoint now);
  void Emit(EventType type, MemberIndex m, TimePoint now);
  void CheckQuorum(TimePoint now);
  // Counts an alive claim for `name` at `claimed_at` while a live `name` is
  // known at `known_at` (two processes, one name), and logs it at most once
  // per probe interval per name.
  void NoteNameConflict(std::string_view name, std::string_view known_at,
                        std::string_view claimed_at, TimePoint now);
  // A newer life of live `m` claimed at another address: a restart elsewhere
  // (a rescheduled pod) or a second process with its name. Keeps the claim
  // and checks the old address on every path (FinishMove decides).
  void CheckMove(MemberIndex m, std::string_view address, std::uint64_t incarnation,
                 const std::vector<TagView>& tags, const std::optional<ServiceView>& service,
                 TimePoint now);
  // The check of `name`'s old address ended: silent, the name moves to the
  // claimed address; it answered, a name conflict. False if none was pending.
  bool FinishMove(std::string_view name, bool old_answered, TimePoint now);
  void StartSuspicion(MemberIndex m, std::uint64_t incarnation, std::string_view originator,
                      TimePoint now);
  void OnSuspicionTimer(const SuspicionTimer& t, TimePoint now);
  void ScheduleReap(MemberIndex m, TimePoint now);
  void OnReapTimer(TimePoint now);
  void RingChanged();
  void BroadcastAlive(MemberIndex m);
  // The Alive of a member new to us (a join): evicted first in a join storm.
  void BroadcastJoin(MemberIndex m);
  void BroadcastSuspect(MemberIndex m, std::string_view from);
  void BroadcastFailed(MemberIndex m, std::string_view from);
  void BroadcastLeft(MemberIndex m);
  [[nodiscard]] Tags ToTags(const std::vector<TagView>& tags) const;
  // What an Alive about `m` says now (views into the table: encode it before
  // the table changes).
  [[nodiscard]] AliveMsg AliveOf(MemberIndex m) const;
  // Emits the service event of `m` if its status differs from `before`.
  void EmitServiceChange(MemberIndex m, const std::optional<ServiceStatus>& before, TimePoint now);
  // Alive and suspect members, self included.
  [[nodiscard]] int LiveCount() const;
  [[nodiscard]] int ClusterSize() const;
  [[nodiscard]] std::uint64_t self_incarnation() const { return table_.Incarnation(self_); }

  // Our own tags or service changed: a new incarnation orders the change,
  // gossiped as our alive (unless we stand down: see StandUp).
  void AnnounceSelf(TimePoint now);

  // swim_stand_down.cc: a member whose own link is broken takes itself out
  // (membership/README.md, "A member with a broken link stands down").
  // Records a finished probe round's outcome; standing down, a long enough
  // run of direct answers brings this member back (StandUp).
  void RecordRound(LinkHealth::Round round, TimePoint started, TimePoint now);
  // A current suspect or failed claim about us arrived: true if, instead of
  // refuting it, we stand down now (our rounds hear nobody) or stay down.
  bool StandDownInsteadOfRefuting(std::string_view sender, TimePoint now);
  // Declares ourselves failed at our incarnation (our own word, believed by
  // everyone) and stops refuting and accusing until our link is clean.
  void StandDown(std::string_view sender, TimePoint now);
  // Deaf for tuning::kDeafStandDownIntervals: our incoming traffic is cut
  // (our outgoing may still work, so our word gets out); stand down rather
  // than wait to be failed one observer at a time, once kDeafCheckPings pings
  // sent at once went unanswered for a probe_timeout.
  void StandDownIfDeaf(TimePoint now);
  // Back at a new incarnation: our rounds were answered directly long enough.
  void StandUp(TimePoint now);
  // Probe rounds keep the base pace while standing down: they are the test of
  // our link, and our health score says nothing the stand-down does not.
  [[nodiscard]] Duration RoundScaled(Duration d) const;
  // The pause before the next probe round.
  [[nodiscard]] Duration RoundInterval() const;

  // swim_receive.cc
  void HandleMessage(const Message& message, const Address& from, std::string_view sender,
                     TimePoint now);
  void OnPing(const PingMsg& m, const Address& from, TimePoint now);
  // Our Alive beside the Ack when the prober's view of us is older.
  void AppendSelfAliveIfStale(const PingMsg& ping, std::string& entries);
  void OnAck(std::uint32_t seq, TimePoint now);
  void OnNack(std::uint32_t seq);
  void OnIndirectPing(const IndirectPingMsg& m, const Address& from, TimePoint now);
  void OnPhiReport(const PhiReportMsg& m, TimePoint now);
  // Tells `sender` (at `from`) that we hold it failed or left, at most once
  // per probe_interval, so that it refutes (or learns it is gone). With
  // `reported_incarnation`, relays that `accuser` holds it failed then (the
  // notice names the accuser: the member syncs with it, see SyncAfterCutOff).
  void MaybeSendDeadNotice(std::string_view sender, const Address& from, TimePoint now,
                           std::optional<std::uint64_t> reported_incarnation = std::nullopt,
                           std::string_view accuser = {});
  void CountDrop(DropReason reason);

  // swim_probe.cc
  void OnProbeRound(TimePoint now);
  void OnProbeTimer(const ProbeTimer& t, TimePoint now);
  Probe& StartVerify(MemberIndex target, VerifyReason reason, Duration timeout, TimePoint now);
  // The verification probe of `target` that is running, or nullptr (O(1):
  // verifications are indexed by target).
  [[nodiscard]] Probe* RunningVerify(MemberIndex target);
  // Removes a probe and its index entry; a finished claim check lets a
  // waiting one start.
  void EraseProbe(std::map<std::uint32_t, Probe>::iterator it, TimePoint now);
  void SendIndirectPings(std::uint32_t seq, MemberIndex target, bool want_nack, Probe& probe);
  // Up to `count` helpers for an indirect probe of `target`: members that
  // acked our probe rounds directly lately first (responsive_), then random
  // live ones.
  std::vector<MemberIndex> PickHelpers(int count, MemberIndex target);
  // `m` acked one of our probe rounds directly (`answered`), or did not
  // answer one of our probes directly.
  void NoteResponsive(MemberIndex m, bool answered);
  void StartStreamProbe(std::uint32_t seq, MemberIndex target, Duration timeout);
  void ProbeSucceeded(std::uint32_t seq, TimePoint now);
  void ProbeFailed(std::uint32_t seq, TimePoint now);
  void OnRelayTimer(const RelayTimer& t);
  void OnHeartbeatTimer(TimePoint now);
  void OnHeartbeat(std::string_view sender, std::uint64_t incarnation, TimePoint now);
  void ArmPhiCheck(HeartbeatMonitor::Watch& watch, TimePoint at);
  // The stream probe of probe `seq` was refused: nothing listens at the
  // target's address. A verification's verdict is brought forward to
  // kRefusedVerdictFraction of its timeout (a datagram answer may still be on
  // its way if only TCP is rejected).
  void OnStreamProbeRefused(std::uint32_t seq, TimePoint now);
  void OnPhiCheckTimer(const PhiCheckTimer& t, TimePoint now);
  void QueuePhiReports(TimePoint now);
  [[nodiscard]] bool ProbeTargetValid(const Probe& p) const;
  // A helper asked now would nack within `wait` (with a margin for the trip).
  [[nodiscard]] bool NacksInTime(Duration wait) const;
  std::uint32_t NextSeq() { return next_seq_++; }

  // swim_send.cc
  // Sends one datagram to `to`: the `primary` entries (already encoded), then
  // piggybacked updates up to the packet budget. observer_slot >= 0 marks the
  // datagram as a heartbeat to that observer (see BroadcastQueue).
  void SendDatagram(const Address& to, const std::string& primary, int observer_slot = -1);
  void Send(const Address& to, const Message& message, int observer_slot = -1);
  void OnGossipTimer(TimePoint now);
  // Sends `message` at once to up to `count` random live members other than `exclude`.
  void SendToRandomMembers(const Message& message, int count, MemberIndex exclude);
  void EnsureGossipScheduled(TimePoint now);
  // `chosen` filled up to `count` distinct live members other than self and
  // `exclude`, adding random ones (`chosen` must hold such members only).
  std::vector<MemberIndex> RandomLiveMembers(int count, MemberIndex exclude,
                                             std::vector<MemberIndex> chosen = {});
  [[nodiscard]] int RetransmitLimit() const;

  // swim_stream.cc
  void StartJoinRound(TimePoint now);
  void OnJoinRetryTimer(const JoinRetryTimer& t, TimePoint now);
  void JoinAttemptDone(const PendingStream& stream, const StreamResult& result, bool answered,
                       bool ok, TimePoint now);
  // Joined() turns true; logged once if this member was asked to join.
  void MarkJoined(std::string_view how);
  // Asks the last seed that let us in (join_.let_in) for its table: the join
  // that asked for one failed.
  void AskSeedForTable();
  void OnPushPullTimer(TimePoint now);
  void StartCatchUps(TimePoint now);
  void ScheduleCatchUp(TimePoint now);
  void OnCatchUpTimer(TimePoint now);
  void ScheduleReconnect(TimePoint now);
  void OnReconnectTimer(TimePoint now);
  // Tells a few random members we hold failed that we do (a datagram each).
  // One alive after all (a heal whose refutation never reached us) refutes,
  // or sends us its current incarnation.
  void NoticeFailed(TimePoint now);
  // A stream request with our summary (kPushPull, kCatchUp), or our table
  // for kJoin and kSync (with `only`, our members of those buckets: the
  // second step of a delta sync, see membership.proto).
  void StartPushPull(const Address& to, StreamPurpose purpose, std::uint64_t join_round,
                     const SyncBuckets& only);
  void StartPushPull(const Address& to, StreamPurpose purpose, std::uint64_t join_round) {
    StartPushPull(to, purpose, join_round, SyncBuckets{});
  }
  // A member's periodic summary, by datagram: equal to ours, nothing to do;
  // otherwise send it our whole table by stream (its answer brings its own).
  // At most one such sync per peer, and kMaxSummarySyncs in all, at a time.
  void OnPushPullSummary(const PushPullMsg& summary, const Address& from, std::string_view sender);
  // The sender's summary equals our table's.
  [[nodiscard]] bool InSync(const PushPullMsg& state) const;
  // The buckets whose digests differ from `theirs` (an answer's, see
  // membership.proto) at theirs.size() buckets.
  [[nodiscard]] SyncBuckets DifferingBuckets(const std::vector<std::uint64_t>& theirs) const;
  // Our table's summary (digest and count).
  [[nodiscard]] PushPullMsg StateSummary(bool join) const;
  // Adds our members to `state`: those of `only` (all if only.count is 0)
  // except the ones marked in `known` (by MemberIndex; the requester holds
  // them as we do).
  void AddMembers(PushPullMsg& state, const SyncBuckets& only,
                  const std::vector<bool>& known) const;
  // Our answer to a PushPull stream request (already merged).
  PushPullMsg AnswerState(const PushPullMsg& request, std::string_view requester,
                          const Address& requester_address) const;
  void MergeState(const PushPullMsg& state, std::string_view sender, TimePoint now);
  StreamId NextStreamId() { return next_stream_id_++; }

  // ---------------------------------------------------------------- state
  Config config_;
  Runtime& runtime_;
  std::string self_name_;
  Address self_address_;
  std::uint64_t self_hash_;
  Random random_;
  Encoder encoder_;
  Decoder datagram_decoder_;
  Decoder stream_decoder_;

  MemberTable table_;
  MemberIndex self_ = kNoMember;
  ObserverRing ring_;
  ProbeOrder probe_order_;
  HeartbeatMonitor monitor_;
  PhiReports phi_reports_;
  Suspicions suspicions_;
  Awareness awareness_;
  BroadcastQueue<MemberIndex> updates_;    // keyed by the member an update is about
  BroadcastQueue<std::string> phi_queue_;  // keyed by observer and subject
  // Bytes of phi reports this agent may still send in the current probe round
  // (refilled each round; see tuning::kPhiReportBudgetFraction).
  std::size_t phi_report_bytes_left_ = 0;
  TimerQueue timers_;

  // Observers heartbeats went to, by slot (to clear slot bits on change).
  std::vector<MemberIndex> observer_slots_;

  std::map<std::uint32_t, Probe> probes_;
  // Running verifications (ProbeKind::kVerify) by target: sequence numbers.
  std::unordered_multimap<MemberIndex, std::uint32_t> verifies_by_target_;
  // Claim checks (VerifyReason::kClaim) running, and the claims waiting for
  // one (see QueueClaimCheck): by member, and in arrival order.
  struct WaitingClaim {
    std::uint64_t name_hash = 0;  // guards against index reuse
    std::uint64_t incarnation = 0;
    bool claimed_failed = false;
    int rechecks = 0;
  };
  std::size_t claim_checks_running_ = 0;
  std::unordered_map<MemberIndex, WaitingClaim> waiting_claims_;
  std::deque<MemberIndex> waiting_claim_order_;
  std::map<std::uint32_t, Relay> relays_;
  std::map<StreamId, PendingStream> streams_;
  std::uint32_t next_seq_ = 1;
  StreamId next_stream_id_ = 1;

  std::uint64_t probe_round_generation_ = 0;
  std::uint64_t heartbeat_generation_ = 0;
  std::uint64_t gossip_generation_ = 0;
  bool gossip_scheduled_ = false;
  std::uint64_t push_pull_generation_ = 0;
  TimePoint push_pull_period_start_{};
  double push_pull_factor_ = 1.0;
  // Catch-up exchanges after a join (or after others first joined through
  // us): started once, how many tries are left.
  bool catch_ups_started_ = false;
  int catch_ups_left_ = 0;
  int catch_up_quiet_ = 0;  // answers in a row that found the tables equal
  std::uint64_t next_watch_token_ = 1;

  JoinState join_;
  // What our probe rounds say of our own link, and the stand-down it drives:
  // whether we are out, when we stood down lately (each one within
  // tuning::kStandDownMemoryIntervals multiplies the direct answers in a row
  // that bring us back), and how many that is now.
  LinkHealth link_health_;
  // The latest members that acked our probe rounds directly, oldest first
  // (at most tuning::kResponsiveHelpers; see PickHelpers).
  std::deque<MemberIndex> responsive_;
  bool standing_down_ = false;
  TimePoint stood_down_at_{};
  // When the pings of the current deafness check went out (StandDownIfDeaf).
  std::optional<TimePoint> deaf_check_sent_;
  std::optional<TimePoint> last_refutation_;
  std::deque<TimePoint> stand_downs_;
  int stand_up_rounds_ = 0;
  // Last datagram or stream from another member (WithholdAccusations).
  std::optional<TimePoint> last_heard_;
  bool joined_ = false;
  bool join_failed_ = false;
  bool leaving_ = false;
  bool leave_deadline_passed_ = false;
  bool has_majority_ = true;
  // While a push-pull is merged, quorum transitions are judged once at the
  // end (the order of the entries must not cause lost/regained flapping).
  bool merging_ = false;

  // (deadline, member, state_since at scheduling) in deadline order.
  std::deque<std::tuple<TimePoint, MemberIndex, TimePoint>> reap_queue_;

  // Last dead notice and name-conflict log per name (rate limits).
  std::unordered_map<std::string, TimePoint> dead_notices_;
  std::unordered_map<std::string, TimePoint> conflict_logs_;
  std::unordered_map<std::string, TimePoint> reassertions_;
  // Newer lives claimed at another address, waiting for the check of the
  // old address (CheckMove); accepting_move_ while FinishMove applies one.
  struct PendingMove {
    Address address;
    std::uint64_t incarnation = 0;
    Tags tags;
    std::optional<ServiceStatus> service;
    TimePoint since{};  // a check that never ended blocks for 2 probe intervals at most
  };
  std::unordered_map<std::string, PendingMove> pending_moves_;
  bool accepting_move_ = false;

  std::optional<TimePoint> last_sync_after_cut_off_;
  std::optional<TimePoint> last_comeback_notices_;
  // Until then, members still held failed are told so every probe interval
  // (a member came back from failed lately: a heal; see NoticeFailedAfterHeal).
  std::optional<TimePoint> heal_notices_until_;

  // The wake-up this core last asked for: an input arriving far past it
  // means the process was paused.
  std::optional<TimePoint> expected_wakeup_;

  mutable Counters counters_;
  // Scratch buffers reused for every datagram.
  std::string envelope_scratch_;
  std::vector<std::uint8_t> frame_scratch_;
};

}  // namespace picket::membership::detail
