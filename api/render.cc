#include "api/render.h"

#include <algorithm>

#include "api/json_writer.h"
#include "api/names.h"
#include "membership/types.h"

namespace picket::api {
namespace {

void AppendOptionalNumber(std::string& out, const std::optional<double>& value) {
  if (value.has_value()) {
    AppendJsonNumber(out, *value);
  } else {
    out.append("null");
  }
}

void AppendTags(std::string& out, const membership::Tags& tags) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : tags) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out.push_back('}');
}

double Seconds(membership::Duration d) { return std::chrono::duration<double>(d).count(); }

// "expected_interval_s", "suspect_after_s", "suspect_at": this agent's
// detector of the member, or nulls where it does not observe it.
void AppendDetectorEstimate(std::string& out,
                            const std::optional<membership::DetectorEstimate>& estimate,
                            const WallClockMapping& clock) {
  if (!estimate) {
    out.append(",\"expected_interval_s\":null,\"suspect_after_s\":null,\"suspect_at\":null");
    return;
  }
  out.append(",\"expected_interval_s\":");
  AppendFixed3(out, Seconds(estimate->expected_interval));
  out.append(",\"suspect_after_s\":");
  AppendFixed3(out, Seconds(estimate->suspect_after));
  out.append(",\"suspect_at\":\"");
  AppendRfc3339(out, clock.ToWall(estimate->suspect_at));
  out.push_back('"');
}

}  // namespace

void AppendService(std::string& out, const std::optional<membership::ServiceStatus>& service) {
  if (!service) {
    out.append("null");
    return;
  }
  out.append("{\"status\":\"");
  out.append(membership::ToString(service->status));
  out.append("\",\"output\":");
  AppendJsonString(out, service->output);
  out.append(",\"since\":\"");
  AppendRfc3339(out, WallTime(std::chrono::milliseconds(service->since_unix_ms)));
  out.append("\"}");
}

namespace {

const membership::MemberInfo* FindMember(const ClusterView& view, std::string_view name) {
  auto it = std::find_if(view.members.begin(), view.members.end(),
                         [&](const membership::MemberInfo& m) { return m.name == name; });
  return it == view.members.end() ? nullptr : &*it;
}

}  // namespace

double AgeSeconds(membership::TimePoint since, membership::TimePoint now) {
  if (now <= since) return 0.0;
  return std::chrono::duration<double>(now - since).count();
}

void AppendMemberHead(std::string& out, const membership::MemberInfo& member,
                      const WallClockMapping& clock) {
  out.append("{\"name\":");
  AppendJsonString(out, member.name);
  out.append(",\"address\":");
  AppendJsonString(out, member.address);
  out.append(",\"state\":\"");
  out.append(membership::ToString(member.state));
  out.append("\",\"incarnation\":");
  AppendUint(out, member.incarnation);
  out.append(",\"tags\":");
  AppendTags(out, member.tags);
  out.append(",\"service\":");
  AppendService(out, member.service);
  out.append(",\"phi\":");
  AppendOptionalNumber(out, member.phi);
  out.append(",\"reported_phi\":");
  AppendOptionalNumber(out, member.reported_phi);
  AppendDetectorEstimate(out, member.detector, clock);
  out.append(",\"state_since\":\"");
  AppendRfc3339(out, clock.ToWall(member.state_since));
  out.append("\",\"state_age_s\":");
}

void AppendMember(std::string& out, const membership::MemberInfo& member,
                  const WallClockMapping& clock, membership::TimePoint age_reference) {
  AppendMemberHead(out, member, clock);
  AppendFixed3(out, AgeSeconds(member.state_since, age_reference));
  out.push_back('}');
}

void AppendQuorum(std::string& out, const membership::Quorum& quorum) {
  out.append("{\"alive\":");
  AppendInt(out, quorum.alive);
  out.append(",\"members\":");
  AppendInt(out, quorum.members);
  out.append(",\"has_majority\":");
  out.append(quorum.has_majority ? "true" : "false");
  out.push_back('}');
}

std::string RenderSelf(const ClusterView& view, membership::TimePoint now) {
  const auto& self = view.self;
  std::string out;
  out.reserve(512);
  out.append("{\"name\":");
  AppendJsonString(out, self.name);
  out.append(",\"address\":");
  AppendJsonString(out, self.address);
  out.append(",\"state\":\"");
  out.append(membership::ToString(self.state));
  out.append("\",\"incarnation\":");
  AppendUint(out, self.incarnation);
  out.append(",\"health_score\":");
  AppendInt(out, view.health_score);
  out.append(",\"alive\":");
  AppendInt(out, view.quorum.alive);
  out.append(",\"members\":");
  AppendInt(out, view.quorum.members);
  out.append(",\"has_majority\":");
  out.append(view.quorum.has_majority ? "true" : "false");
  out.append(",\"cluster\":");
  AppendJsonString(out, view.cluster_name);
  out.append(",\"joined\":");
  out.append(view.joined ? "true" : "false");
  out.append(",\"leaving\":");
  out.append(view.leaving ? "true" : "false");
  out.append(",\"name_conflicts\":");
  AppendUint(out, view.counters.name_conflicts);
  out.append(",\"tags\":");
  AppendTags(out, self.tags);
  out.append(",\"service\":");
  AppendService(out, self.service);
  out.append(",\"state_since\":\"");
  AppendRfc3339(out, WallClockMapping::Of(view).ToWall(self.state_since));
  out.append("\",\"state_age_s\":");
  AppendFixed3(out, AgeSeconds(self.state_since, now));
  out.push_back('}');
  return out;
}

std::string RenderMemberByName(const ClusterView& view, std::string_view name,
                               membership::TimePoint now) {
  const membership::MemberInfo* member = FindMember(view, name);
  if (member == nullptr) return {};
  std::string out;
  out.reserve(384);
  AppendMember(out, *member, WallClockMapping::Of(view), now);
  return out;
}

std::string RenderEvent(std::uint64_t seq, std::string_view type, WallTime time,
                        const membership::MemberInfo& member, const WallClockMapping& clock,
                        membership::TimePoint event_time, const membership::Quorum& quorum) {
  std::string out;
  out.reserve(512);
  out.append("{\"seq\":");
  AppendUint(out, seq);
  out.append(",\"type\":");
  AppendJsonString(out, type);
  out.append(",\"time\":\"");
  AppendRfc3339(out, time);
  out.append("\",\"member\":");
  AppendMember(out, member, clock, event_time);
  out.append(",\"quorum\":");
  AppendQuorum(out, quorum);
  out.push_back('}');
  return out;
}

std::string RenderResyncEvent(std::uint64_t seq, WallTime now, const ClusterView* view,
                              membership::TimePoint steady_now) {
  std::string out;
  out.reserve(512);
  out.append("{\"seq\":");
  AppendUint(out, seq);
  out.append(",\"type\":");
  AppendJsonString(out, kResyncEventName);
  out.append(",\"time\":\"");
  AppendRfc3339(out, now);
  out.append("\",\"member\":");
  if (view != nullptr) {
    AppendMember(out, view->self, WallClockMapping::Of(*view), steady_now);
    out.append(",\"quorum\":");
    AppendQuorum(out, view->quorum);
  } else {
    out.append("null,\"quorum\":");
    AppendQuorum(out, membership::Quorum{});
  }
  out.push_back('}');
  return out;
}

void MembersBodyCache::Rebuild(const ClusterViewPtr& view) {
  view_ = view;
  parts_.clear();
  part_ends_.clear();
  since_.clear();
  parts_.reserve(view->members.size() * 256);
  part_ends_.reserve(view->members.size());
  since_.reserve(view->members.size());
  const WallClockMapping clock = WallClockMapping::Of(*view);
  for (const auto& member : view->members) {
    AppendMemberHead(parts_, member, clock);
    part_ends_.push_back(parts_.size());
    since_.push_back(member.state_since);
  }
}

const std::string& MembersBodyCache::Render(const ClusterViewPtr& view, membership::TimePoint now,
                                            std::uint64_t last_seq) {
  if (view != view_) Rebuild(view);
  body_.clear();
  body_.reserve(parts_.size() + part_ends_.size() * 16 + 64);
  body_.append("{\"members\":[");
  std::size_t begin = 0;
  for (std::size_t i = 0; i < part_ends_.size(); ++i) {
    if (i != 0) body_.push_back(',');
    body_.append(parts_, begin, part_ends_[i] - begin);
    AppendFixed3(body_, AgeSeconds(since_[i], now));
    body_.push_back('}');
    begin = part_ends_[i];
  }
  body_.append("],\"last_seq\":");
  AppendUint(body_, last_seq);
  body_.push_back('}');
  return body_;
}

}  // namespace picket::api
