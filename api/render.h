#pragma once

// JSON rendering of the public shapes (docs/architecture.md, "Stable contracts"): Member,
// Self, Quorum, Event, and the cached /v1/members body.
//
// Thread safety: the free functions are pure and safe from any thread.
// MembersBodyCache is not thread-safe: one thread (the HTTP server's) owns it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/cluster_view.h"
#include "membership/types.h"

namespace picket::api {

using WallTime = std::chrono::system_clock::time_point;

// Maps steady-clock TimePoints to wall time using one pair of readings taken
// at the same moment: wall(t) = wall - (steady - t).
struct WallClockMapping {
  membership::TimePoint steady{};
  WallTime wall{};

  WallTime ToWall(membership::TimePoint t) const {
    return wall - std::chrono::duration_cast<WallTime::duration>(steady - t);
  }
  static WallClockMapping Of(const ClusterView& view) {
    return {view.published_steady, view.published_wall};
  }
};

// Seconds from `since` to `now`, never negative.
double AgeSeconds(membership::TimePoint since, membership::TimePoint now);

// Appends a Member object: {"name","address","state","incarnation","tags",
// "service","phi","reported_phi","expected_interval_s","suspect_after_s",
// "suspect_at","state_since","state_age_s"}. state_since is shown as
// wall time through `clock`; state_age_s = age_reference - state_since.
// A member's "service" value: {"status", "output", "since"} or null.
void AppendService(std::string& out, const std::optional<membership::ServiceStatus>& service);

void AppendMember(std::string& out, const membership::MemberInfo& member,
                  const WallClockMapping& clock, membership::TimePoint age_reference);

// Appends everything of a Member object up to and including `"state_age_s":`;
// the caller appends the age and the closing '}'. Lets the members cache
// reuse the static part and insert fresh ages per request.
void AppendMemberHead(std::string& out, const membership::MemberInfo& member,
                      const WallClockMapping& clock);

// Appends {"alive":int,"members":int,"has_majority":bool}.
void AppendQuorum(std::string& out, const membership::Quorum& quorum);

// The /v1/self body: {"name","address","state","incarnation","health_score",
// "alive","members","has_majority"} plus "cluster", "joined", "leaving",
// "tags", "state_since", "state_age_s".
std::string RenderSelf(const ClusterView& view, membership::TimePoint now);

// The GET /v1/members/{name} body, or an empty string if no member has that name.
std::string RenderMemberByName(const ClusterView& view, std::string_view name,
                               membership::TimePoint now);

// An Event object: {"seq","type","time","member":Member,"quorum":Quorum}.
// The member's state_age_s is its age at the event time.
std::string RenderEvent(std::uint64_t seq, std::string_view type, WallTime time,
                        const membership::MemberInfo& member, const WallClockMapping& clock,
                        membership::TimePoint event_time, const membership::Quorum& quorum);

// The synthesized `picket.resync` marker. `view` may be null (no view
// published yet): member and quorum are then null and zeroes.
std::string RenderResyncEvent(std::uint64_t seq, WallTime now, const ClusterView* view,
                              membership::TimePoint steady_now);

// Renders {"members":[Member...],"last_seq":N} for a view. The static part
// of every member is rendered once per published view; each call only
// inserts fresh ages, so a request at N=1,000 costs one copy plus 1,000 short
// number conversions.
class MembersBodyCache {
 public:
  // Returns the body for `view` at `now`. The reference stays valid until the
  // next call. REQUIRES: view != nullptr.
  const std::string& Render(const ClusterViewPtr& view, membership::TimePoint now,
                            std::uint64_t last_seq);

 private:
  void Rebuild(const ClusterViewPtr& view);

  ClusterViewPtr view_;                       // the view the parts belong to
  std::string parts_;                         // member heads, concatenated
  std::vector<std::size_t> part_ends_;        // end offset of each head in parts_
  std::vector<membership::TimePoint> since_;  // state_since per member
  std::string body_;                          // the last rendered body (reused buffer)
};

}  // namespace picket::api
