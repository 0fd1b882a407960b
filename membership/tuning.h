#pragma once

// Internal constants of the membership core that are not worth a Config
// field: wire limits, and small protocol margins. Changing one changes
// behaviour for every preset; the value next to each says why it is what it is.

#include <cstddef>
#include <cstdint>

namespace picket::membership::tuning {

// --- Wire ---
// The protocol version this build speaks and the oldest it accepts. Bump
// kProtocolVersion for a change old agents cannot ignore (see membership.proto).
inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::uint32_t kMinProtocolVersion = 1;
// First byte of every frame; anything else is not ours. A stream frame has a
// length prefix after it; a datagram frame does not (the datagram ends where
// the envelope does), and its own magic keeps the two from being confused.
inline constexpr std::uint8_t kStreamFrameMagic = 0xB7;
inline constexpr std::uint8_t kDatagramFrameMagic = 0xB8;
// Largest datagram accepted: the largest UDP payload over IPv4.
inline constexpr std::size_t kMaxDatagramBytes = 65507;
// Largest stream message accepted (a push-pull of ~100,000 members).
inline constexpr std::size_t kMaxStreamBytes = 32u << 20;
// Messages in one datagram envelope; far above what 64 KB of real updates needs.
inline constexpr std::size_t kMaxMessagesPerDatagram = 1024;
// Members in one push-pull.
inline constexpr std::size_t kMaxPushPullMembers = 200000;
// Delta sync (membership.proto, PushPull): the most buckets a table is split
// into, the table size from which a summary request asks for bucket digests,
// and the members per bucket aimed at (the digests cost about 1 byte per
// member against about 35 for the member itself).
inline constexpr std::size_t kMaxSyncBuckets = 1024;
inline constexpr int kDeltaSyncMinMembers = 64;
inline constexpr int kSyncMembersPerBucket = 8;
// Field limits, checked on every decode (and on our own identity and tags).
inline constexpr std::size_t kMaxNameBytes = 128;
inline constexpr std::size_t kMaxAddressBytes = 255;
inline constexpr std::size_t kMaxClusterNameBytes = 64;
// Tags of one member, keys plus values (Serf's limit on node meta).
inline constexpr std::size_t kMaxTagsBytes = 512;
// The output text of a member's service status (longer check output is cut
// by the agent before it reaches the core).
inline constexpr std::size_t kMaxServiceOutputBytes = 256;

// --- Timing margins ---
// A call arriving this fraction of heartbeat_interval (and at least
// kMinLocalPause) after NextWakeup() means this process was paused.
inline constexpr double kLocalPauseFraction = 0.5;
inline constexpr std::int64_t kMinLocalPauseMs = 100;
// Health score added when a local pause is detected (Lifeguard: an agent that
// falls behind its own timers trusts its own verdicts less).
inline constexpr int kLocalPausePenalty = 2;
// Heartbeats arriving closer than this fraction of heartbeat_interval after
// the previous one are bursts (a backlog drained after a pause, duplicates)
// and carry no timing information; they are not fed to the detector.
inline constexpr double kMinHeartbeatGapFraction = 0.25;
// After a verification probe answered, phi is checked again no sooner than
// this many heartbeat intervals later (the subject is alive; only its
// heartbeats to us are lost).
inline constexpr int kPhiRecheckIntervals = 2;
// A subject that answered a phi-triggered check but sent no heartbeat for
// this many heartbeat intervals more does not send us any (its observers are
// not who we think): its history is forgotten. Lost heartbeats rarely last
// this long (10 in a row at 20% loss: 1e-7).
inline constexpr int kVerifiedSilenceIntervals = 10;

// An unconfirmed suspicion (one accuser) fails only after this many
// consecutive final verification probes (each probe_timeout long) got no
// answer: a member that answers is given time to refute instead.
inline constexpr int kFinalChecks = 2;
// A final check waits probe_timeout scaled by our health score, but at most
// this many times probe_timeout (unless we stand down). A doubtful agent
// checks because of that score: at a heal the small side's score is at its
// top (9x) and each final check of a crash on the other side took 4.5 s.
inline constexpr int kFinalCheckMaxScale = 3;
// A `failed` heard by gossip from an accuser that was itself out of reach
// (suspect, failed or unknown here), or has been alive here for less than
// this many probe intervals (it came back, it joined, or we joined and have
// no history of it), is taken as a suspicion only: the accuser was cut off
// from the member, not necessarily the rest of us. Covers the accuser's
// stale accusations still in flight after it rejoins (retransmitted about
// mult * log(N+1) times), unconfirmed suspicions of its that expire just
// after a heal, and a joiner that arrives at the heal.
inline constexpr int kDistrustAfterComebackIntervals = 20;

// A deaf agent (one that has heard no datagram from anyone for a heartbeat
// interval, though two or more members it observes were sending it heartbeats) withholds its own
// accusations: its probes fail because it hears nothing, not because the
// others are gone, and the others still trust it for a moment (a member that
// loses all incoming traffic, consul#916). After this many probe intervals of
// silence it accuses again: by then the others hold it suspect and check such
// claims instead of believing them (AccuserWasCutOff), and an agent cut off
// for good must lose its quorum.
inline constexpr int kDeafWithholdIntervals = 5;

// A member that is suspected again while its own probe rounds hear nobody
// stands down (declares itself failed) instead of refuting, and comes back after
// this many probe rounds in a row answered directly by their targets (two
// rounds per probe interval while it stands down). Each earlier stand-down
// within kStandDownMemoryIntervals multiplies that run by
// kStandUpRoundsGrowth, up to kMaxStandUpRounds: a member whose link keeps
// breaking stays out longer each time instead of flapping (Rapid's
// stability, decided in one place: by the member itself, so every view sees
// one failure and one return).
inline constexpr int kStandUpRounds = 3;
inline constexpr int kStandUpRoundsGrowth = 4;
inline constexpr int kMaxStandUpRounds = 48;
inline constexpr int kStandDownMemoryIntervals = 1800;
// "Again": a member that refuted a claim within this many probe intervals (or
// stood down within kStandDownMemoryIntervals) stands down at the next claim
// if its latest round heard nobody. A first claim may be a partition's heal.
inline constexpr int kStandDownRefutationIntervals = 60;
// A deaf member (see kDeafWithholdIntervals) stands down after this many
// probe intervals of deafness: its incoming traffic is cut, and its own word
// reaches everyone sooner than their suspicions time out one by one.
inline constexpr int kDeafStandDownIntervals = 2;
// ... and only in a cluster of at least this many members (alive, suspect or
// failed, self included): in a
// smaller cluster every other member may have died at once.
inline constexpr int kDeafStandDownMinMembers = 8;
// Before a deaf member stands down it pings this many random live members at
// once and waits a probe_timeout: on the small side of a partition of a large
// cluster the few members in reach send little (a member of the 100 cut off
// from 900 heard nothing for 2 s now and then, and stood down: a false
// failure on its own side). One answer from any of them ends the deafness.
// With 10% of the table in reach, all 64 miss it with probability 0.1%.
inline constexpr int kDeafCheckPings = 64;
// A verification asks its helpers for nacks when its timeout exceeds
// probe_timeout (when helpers nack) by at least probe_timeout / this: the
// margin for the nack's trip back.
inline constexpr int kNackMarginDivisor = 10;
// Helpers of indirect probes come first from this many members that acked
// our latest probe rounds directly.
inline constexpr std::size_t kResponsiveHelpers = 8;

// An agent exchanges full state after a cut-off (see SyncAfterCutOff) at most
// once per this many probe intervals.
inline constexpr int kSyncAfterCutOffIntervals = 5;
// Stream syncs started at once in answer to push-pull summaries received by
// datagram (see OnPushPullSummary); a bound on what forged or replayed
// summaries can make an agent do.
inline constexpr std::size_t kMaxSummarySyncs = 4;
// Claim checks (a suspect or failed claim verified before it is believed, see
// SwimCore::QueueClaimCheck) running at once. At a heal a whole side's claims
// arrive together, one check per member it holds down; beyond this many they
// wait, one per member, and a claim the member refuted meanwhile costs nothing.
inline constexpr std::size_t kMaxClaimChecks = 8;
// A claim check whose verdict we withheld (our own link looked poor, or we
// were deaf: WithholdAccusations) is run again a probe interval later, up to
// this many times. At a heal the small side's link looks poor for a moment
// (its last rounds went across the cut): dropping the check there left a
// crash of the other side, whose failed gossip had ended, up in its view.
// Enough to outlast the withholding (kDeafWithholdIntervals).
inline constexpr int kClaimRechecks = kDeafWithholdIntervals + 1;
// Members, across the cluster, that sync with a member back from failed.
inline constexpr double kComebackSyncs = 3.0;
// Members held failed that are told so at every reconnect_interval (see
// NoticeFailed): a bound on datagrams sent to addresses that may be dead.
inline constexpr std::size_t kFailedNoticesPerReconnect = 8;
// After a member comes back from failed (a heal), the members still held
// failed are told so (NoticeFailed) every probe interval for this many
// intervals: in the burst of a heal a refutation's gossip misses a few
// members, which would otherwise wait for the next reconnect_interval
// (0.5x-1.5x of 10 s) to learn it.
inline constexpr int kHealNoticeIntervals = 10;

// A verification whose stream probe was refused (nothing listens at the
// member's address) gives its verdict at this fraction of its timeout.
inline constexpr double kRefusedVerdictFraction = 0.25;

// --- Gossip ---
// Broadcast-queue entries examined per packet before giving up on filling it
// (bounds the cost of packing when many entries are too big or already sent).
inline constexpr std::size_t kMaxBroadcastScan = 64;
// Join news (the Alive of a member new to us) queued at most, within
// --gossip-queue-limit: past it the most-sent, oldest join news goes. A member
// sends about this many updates' worth of retransmissions in a few seconds;
// join news queued beyond that went out after everyone knew it. Cold start of
// 2,000 (simulator, start bytes per member per s): 4,096 (no bound of its own)
// 18,020, 512 11,973, 256 9,475, 128 8,333; converged 8.6 / 9.2 / 9.6 / 9.7 s.
inline constexpr std::size_t kNewMemberQueueLimit = 128;
// Phi reports: at most this many queued, each sent ceil(log10(N+1)) times
// (informational, so they ride only in space left by membership updates).
inline constexpr std::size_t kPhiReportQueueLimit = 256;
// ... and, all datagrams of one probe round together, at most this fraction
// of one datagram's budget: their bytes stay flat in N (a report of every
// observer's phi crossing would reach every member; N members, N crossings).
inline constexpr double kPhiReportBudgetFraction = 0.1;
inline constexpr int kPhiReportRetransmitMultiplier = 1;
// A received phi report is passed on only if it moved by at least this much
// since the last one from the same observer (or crossed the report threshold).
inline constexpr double kPhiReportStep = 1.0;
// An observer reports a subject again no sooner than this many heartbeat
// intervals after its last report, unless phi rose by kPhiReportStep.
inline constexpr int kPhiReportMinIntervals = 2;
// A received phi report counts for this many heartbeat intervals.
inline constexpr int kPhiReportTtlIntervals = 6;
// A phi report travels at most ceil(log2(N + 1)) + this many hops.
inline constexpr std::uint32_t kPhiReportExtraHops = 2;
// Members told directly that we hold them failed or left (so they refute or
// stop), at most once per probe_interval each; members whose stale
// accusation of us we answer, at most once per phi_probe_timeout each.
inline constexpr std::size_t kMaxDeadNotices = 1024;
// A graceful leave sends `left` directly to this many random members besides
// its observers, then lets gossip carry it.
inline constexpr int kLeaveDirectFanout = 3;
// Our own stand-down and return (our own word) go at once to every live
// member, up to this many: every view changes within a round trip.
inline constexpr int kOwnVerdictDirectFanout = 1024;
// Push-pull interval grows with N above this size (memberlist pushPullScale):
// interval * (ceil(log2(N) - log2(32)) + 1).
inline constexpr int kPushPullScaleThreshold = 32;
// Catching up after a join (or after being joined through, a seed): every
// this long (0.5x to 1.5x) a push-pull summary to a random member by stream,
// the tables exchanged if they differ. In a join storm the seed's table is
// incomplete, and a member's news may finish spreading before others know
// this member (gossip reaches only members already known). It ends after
// kCatchUpQuietAnswers peers in a row had our table, or kMaxCatchUps tries.
inline constexpr std::int64_t kCatchUpIntervalMs = 3000;
inline constexpr int kCatchUpQuietAnswers = 2;
inline constexpr int kMaxCatchUps = 10;
// Seeds contacted per join attempt.
inline constexpr std::size_t kMaxSeedsPerAttempt = 5;

// --- Probing ---
// Pending indirect-probe relays we serve for others at once; more are refused
// (bounds the work one peer can ask of us).
inline constexpr std::size_t kMaxPendingRelays = 1024;
// Random picks tried when looking for a live member among the table (then a
// linear scan).
inline constexpr int kRandomPickAttempts = 16;

}  // namespace picket::membership::tuning
