#pragma once

// An incremental parser of Server-Sent Events (the subset the API emits and
// the WHATWG rules it needs): fields "id", "event", "data" (multi-line data
// joined with '\n'), comments (lines starting with ':') ignored, "\n", "\r\n"
// or "\r" line ends, an event dispatched at each blank line.
//
// Thread safety: not thread-safe; one reader owns a parser.

#include <functional>
#include <string>
#include <string_view>

namespace picket::cli {

struct SseEvent {
  std::string id;     // the last "id:" seen on the stream (carried over, as EventSource does)
  std::string event;  // "message" when the frame had no "event:" field
  std::string data;
};

class SseParser {
 public:
  // Feeds bytes as they arrive; calls `on_event` for every complete event.
  void Feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);

  // The last event id seen (for Last-Event-ID on reconnect); "" if none.
  const std::string& last_event_id() const { return last_id_; }

 private:
  void Line(std::string_view line, const std::function<void(const SseEvent&)>& on_event);

  std::string buffer_;
  bool skip_lf_ = false;  // the previous chunk ended in '\r'
  std::string last_id_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace picket::cli
