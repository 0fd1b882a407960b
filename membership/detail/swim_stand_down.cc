// A member with a broken link stands down: suspected while its own probe
// rounds hear nobody, it declares itself failed instead of refuting, and
// comes back once its rounds are answered directly for a while (longer each
// time it stood down lately).

#include <algorithm>
#include <string>

#include "membership/detail/swim_core.h"
#include "membership/tuning.h"

namespace picket::membership::detail {

Duration SwimCore::RoundScaled(Duration d) const {
  return standing_down_ ? d : awareness_.Scale(d);
}

Duration SwimCore::RoundInterval() const {
  // Standing down, our rounds are the test of our link: twice the pace, so
  // that we are back soon after it heals. While they hear nobody, keep their
  // base pace (our accusations are withheld meanwhile).
  if (standing_down_) return config_.probe_interval / 2;
  return link_health_.Poor() ? config_.probe_interval : RoundScaled(config_.probe_interval);
}

void SwimCore::RecordRound(LinkHealth::Round round, TimePoint started, TimePoint now) {
  // A round from before we stood down ran at the slowed pace and timeout.
  if (standing_down_ && started < stood_down_at_) return;
  const bool was_poor = link_health_.Poor();
  link_health_.Record(round, now);
  if (link_health_.Poor() && !was_poor) {
    ScheduleProbeRound(now + RoundInterval());  // the next one was at the slowed pace
  }
  if (standing_down_ && !leaving_ && link_health_.direct_streak() >= stand_up_rounds_) StandUp(now);
}

bool SwimCore::StandDownInsteadOfRefuting(std::string_view sender, TimePoint now) {
  if (standing_down_) return true;
  if (leaving_) return false;
  // The second claim against us lately (one refuted already, or we stood
  // down before): a first one may be the heal of a clean cut (a partition),
  // which a refutation settles. And our latest round heard nobody.
  const bool claimed_before =
      !stand_downs_.empty() ||
      (last_refutation_ &&
       now - *last_refutation_ < config_.probe_interval * tuning::kStandDownRefutationIntervals);
  if (!claimed_before || !(link_health_.LastSilent() || link_health_.Poor())) return false;
  StandDown(sender, now);
  return true;
}

void SwimCore::StandDownIfDeaf(TimePoint now) {
  // In a small cluster the others may all have died at once (a zone lost):
  // silence is not proof that we are the one cut off.
  const std::optional<Duration> deaf = DeafFor(now);
  if (standing_down_ || leaving_ || !joined_ || ClusterSize() < tuning::kDeafStandDownMinMembers ||
      !deaf || *deaf < config_.probe_interval * tuning::kDeafStandDownIntervals) {
    deaf_check_sent_.reset();  // any answer ends a check
    return;
  }
  if (!deaf_check_sent_) {
    deaf_check_sent_ = now;
    for (const MemberIndex m : RandomLiveMembers(tuning::kDeafCheckPings, kNoMember)) {
      Send(std::string(table_.AddressOf(m)),
           Message{PingMsg{NextSeq(), table_.Name(m), table_.Incarnation(m)}});
    }
    return;
  }
  if (now - *deaf_check_sent_ < config_.probe_timeout) return;
  deaf_check_sent_.reset();
  StandDown({}, now);
}

void SwimCore::StandDown(std::string_view sender, TimePoint now) {
  const auto memory = config_.probe_interval * tuning::kStandDownMemoryIntervals;
  while (!stand_downs_.empty() && now - stand_downs_.front() >= memory) stand_downs_.pop_front();
  stand_downs_.push_back(now);
  stand_up_rounds_ = tuning::kStandUpRounds;
  for (std::size_t i = 1; i < stand_downs_.size() && stand_up_rounds_ < tuning::kMaxStandUpRounds;
       ++i) {
    stand_up_rounds_ *= tuning::kStandUpRoundsGrowth;
  }
  stand_up_rounds_ = std::min(stand_up_rounds_, tuning::kMaxStandUpRounds);
  standing_down_ = true;
  stood_down_at_ = now;
  ++counters_.stand_downs;
  ScheduleProbeRound(now + RoundInterval());  // the next one was at the slowed pace
  // Our own word: everyone believes it (ApplyFailed), as they believe a leave.
  table_.SetState(self_, MemberState::kFailed, self_incarnation(), now);
  BroadcastFailed(self_, self_name_);
  const Message verdict{FailedMsg{self_name_, self_incarnation(), self_name_}};
  // Whoever told us holds us suspect or failed already: it hears it first.
  MemberIndex accuser = sender.empty() ? kNoMember : table_.Find(sender);
  if (accuser == self_) accuser = kNoMember;
  if (accuser != kNoMember) Send(std::string(table_.AddressOf(accuser)), verdict);
  SendToRandomMembers(verdict, tuning::kOwnVerdictDirectFanout, accuser);
  Log(LogLevel::kWarn,
      std::string("standing down: ") + (sender.empty() ? "deaf" : "suspected again") +
          " at incarnation " + std::to_string(self_incarnation()) +
          ", our own probes answered by nobody; back after " +
          std::to_string(stand_up_rounds_) + " probe rounds in a row answered directly");
  Emit(EventType::kFailed, self_, now);
  CheckQuorum(now);
}

void SwimCore::StandUp(TimePoint now) {
  standing_down_ = false;
  table_.SetState(self_, MemberState::kAlive, self_incarnation() + 1, now);
  BroadcastAlive(self_);
  SendToRandomMembers(Message{AliveOf(self_)}, tuning::kOwnVerdictDirectFanout, kNoMember);
  // The rounds that brought us back were answered: our link is fine now.
  awareness_.Apply(-config_.awareness_max_score);
  Log(LogLevel::kInfo, "back after standing down: " + std::to_string(stand_up_rounds_) +
                           " probe rounds answered directly; now incarnation " +
                           std::to_string(self_incarnation()));
  Emit(EventType::kJoined, self_, now);
  CheckQuorum(now);
}

}  // namespace picket::membership::detail
