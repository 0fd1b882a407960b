#include "membership/counters.h"

namespace picket::membership {

std::string_view ToString(DropReason reason) {
  switch (reason) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kTruncated:
      return "truncated";
    case DropReason::kOversized:
      return "oversized";
    case DropReason::kWrongCluster:
      return "wrong_cluster";
    case DropReason::kBadVersion:
      return "bad_version";
    case DropReason::kContradictory:
      return "contradictory";
    case DropReason::kUnauthenticated:
      return "unauthenticated";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace picket::membership
