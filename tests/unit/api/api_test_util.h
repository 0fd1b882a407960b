#pragma once

// Hand-made views, members and events, for the api/ and delivery/ unit tests
// (a real server: test_server.h).

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/cluster_view.h"
#include "membership/types.h"

namespace picket::api::testing {

inline membership::MemberInfo MakeMember(std::string name, membership::MemberState state,
                                         membership::TimePoint since) {
  membership::MemberInfo m;
  m.address = "127.0.0.1:" + std::to_string(9000 + name.size());
  m.name = std::move(name);
  m.state = state;
  m.incarnation = 1;
  m.state_since = since;
  return m;
}

// A joined view of `names` (all alive), self = the first, published now.
inline std::shared_ptr<ClusterView> MakeView(const std::vector<std::string>& names) {
  auto view = std::make_shared<ClusterView>();
  view->published_steady = membership::Clock::now();
  view->published_wall = std::chrono::system_clock::now();
  view->cluster_name = "test";
  view->joined = true;
  for (const auto& name : names) {
    view->members.push_back(MakeMember(name, membership::MemberState::kAlive,
                                       view->published_steady - std::chrono::seconds(5)));
  }
  if (!view->members.empty()) view->self = view->members.front();
  const int n = static_cast<int>(names.size());
  view->quorum = {n, n, n > 0};
  return view;
}

inline membership::MemberEvent MakeEvent(membership::EventType type,
                                         const membership::MemberInfo& member) {
  membership::MemberEvent event;
  event.type = type;
  event.member = member;
  event.quorum = {1, 1, true};
  event.time = membership::Clock::now();
  return event;
}

}  // namespace picket::api::testing
