#pragma once

// Rendering of event-log reads for the two readers: the long-poll body of
// GET /v1/events and the Server-Sent Events frames of GET /v1/events/stream.
// A read that reports `resync` starts with a synthesized `picket.resync`
// event whose seq is the resync point (see event_log.h).
//
// Thread safety: pure functions, safe from any thread.

#include <cstdint>
#include <string>

#include "api/cluster_view.h"
#include "api/event_log.h"
#include "api/render.h"

namespace picket::api {

// The `since` a reader should use next after receiving `read` for `since`:
// the seq of the last event returned, else the resync point, else `since`.
std::uint64_t NextSince(const EventLog::ReadResult& read, std::uint64_t since);

// {"events":[Event...],"last_seq":NextSince(read, since)}.
// `view` (may be null) provides the resync marker's member and quorum.
std::string RenderEventsBody(const EventLog::ReadResult& read, std::uint64_t since,
                             const ClusterView* view, membership::TimePoint steady_now,
                             WallTime wall_now);

// One SSE frame per event: "id: SEQ\nevent: TYPE\ndata: EVENT-JSON\n\n".
std::string RenderSseFrames(const EventLog::ReadResult& read, const ClusterView* view,
                            membership::TimePoint steady_now, WallTime wall_now);

}  // namespace picket::api
