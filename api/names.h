#pragma once

// The names the API adds to membership's (membership/types.h holds the
// names of member states, event types and service statuses, header-only, so
// that api/ does not link the core for them).

#include <string_view>

namespace picket::api {

// The marker event the API synthesizes when a reader missed events (never
// stored in the log, never produced by the core).
inline constexpr std::string_view kResyncEventName = "picket.resync";

}  // namespace picket::api
