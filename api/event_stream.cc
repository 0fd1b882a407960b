#include "api/event_stream.h"

#include "api/json_writer.h"
#include "api/names.h"
#include "membership/types.h"

namespace picket::api {
namespace {

void AppendSseFrame(std::string& out, std::uint64_t seq, std::string_view type,
                    std::string_view json) {
  out.append("id: ");
  AppendUint(out, seq);
  out.append("\nevent: ");
  out.append(type);
  out.append("\ndata: ");
  out.append(json);  // rendered JSON never contains a raw newline
  out.append("\n\n");
}

}  // namespace

std::uint64_t NextSince(const EventLog::ReadResult& read, std::uint64_t since) {
  if (!read.events.empty()) return read.events.back()->seq;
  if (read.resync) return read.resync_seq;
  return since;
}

std::string RenderEventsBody(const EventLog::ReadResult& read, std::uint64_t since,
                             const ClusterView* view, membership::TimePoint steady_now,
                             WallTime wall_now) {
  std::string out;
  std::size_t size = 64;
  for (const auto& record : read.events) size += record->json.size() + 1;
  out.reserve(size + (read.resync ? 512 : 0));
  out.append("{\"events\":[");
  bool first = true;
  if (read.resync) {
    out.append(RenderResyncEvent(read.resync_seq, wall_now, view, steady_now));
    first = false;
  }
  for (const auto& record : read.events) {
    if (!first) out.push_back(',');
    first = false;
    out.append(record->json);
  }
  out.append("],\"last_seq\":");
  AppendUint(out, NextSince(read, since));
  out.push_back('}');
  return out;
}

std::string RenderSseFrames(const EventLog::ReadResult& read, const ClusterView* view,
                            membership::TimePoint steady_now, WallTime wall_now) {
  std::string out;
  if (read.resync) {
    AppendSseFrame(out, read.resync_seq, kResyncEventName,
                   RenderResyncEvent(read.resync_seq, wall_now, view, steady_now));
  }
  for (const auto& record : read.events) {
    AppendSseFrame(out, record->seq, record->type_name(), record->json);
  }
  return out;
}

}  // namespace picket::api
