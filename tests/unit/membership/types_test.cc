#include "membership/types.h"

#include <catch2/catch.hpp>

#include "membership/counters.h"

namespace picket::membership {

TEST_CASE("types: names used by the API and events", "[types]") {
  CHECK(ToString(MemberState::kAlive) == "alive");
  CHECK(ToString(MemberState::kSuspect) == "suspect");
  CHECK(ToString(MemberState::kFailed) == "failed");
  CHECK(ToString(MemberState::kLeft) == "left");
  CHECK(ToString(EventType::kJoined) == "member.joined");
  CHECK(ToString(EventType::kSuspect) == "member.suspect");
  CHECK(ToString(EventType::kAlive) == "member.alive");
  CHECK(ToString(EventType::kFailed) == "member.failed");
  CHECK(ToString(EventType::kLeft) == "member.left");
  CHECK(ToString(EventType::kUpdated) == "member.updated");
  CHECK(ToString(EventType::kQuorumLost) == "cluster.quorum_lost");
  CHECK(ToString(EventType::kQuorumRegained) == "cluster.quorum_regained");
}

TEST_CASE("types: drop reasons have metric-friendly names", "[types]") {
  CHECK(ToString(DropReason::kMalformed) == "malformed");
  CHECK(ToString(DropReason::kTruncated) == "truncated");
  CHECK(ToString(DropReason::kOversized) == "oversized");
  CHECK(ToString(DropReason::kWrongCluster) == "wrong_cluster");
  CHECK(ToString(DropReason::kBadVersion) == "bad_version");
  CHECK(ToString(DropReason::kContradictory) == "contradictory");
  CHECK(ToString(DropReason::kUnauthenticated) == "unauthenticated");
}

}  // namespace picket::membership
