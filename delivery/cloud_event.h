#pragma once

// The body of a webhook request: one CloudEvents 1.0 event in the structured
// JSON format (https://github.com/cloudevents/spec, json-format.md), sent with
// Content-Type application/cloudevents+json:
//
//   {"specversion":"1.0","id":"...","source":"picket://<agent>","type":"member.failed",
//    "subject":"<member>","time":"2025-03-01T10:15:04.998Z",
//    "datacontenttype":"application/json","data":{...Event, as /v1/events renders it}}
//
// Thread safety: pure functions; safe from any thread.

#include <chrono>
#include <string>
#include <string_view>

namespace picket::delivery {

inline constexpr std::string_view kCloudEventContentType = "application/cloudevents+json";

struct CloudEventFields {
  std::string_view id;      // unique per event and source; the same on every retry
  std::string_view source;  // CloudEventSource(agent name)
  std::string_view type;    // "member.failed", "picket.resync", ...
  std::string_view subject;  // the member the event is about; omitted when empty
  std::chrono::system_clock::time_point time;  // when the event happened
  std::string_view data;    // a JSON value (the Event object), inserted as is
};

// Renders the structured-mode JSON object. REQUIRES: `data` is valid JSON.
std::string RenderCloudEvent(const CloudEventFields& fields);

// "picket://<agent name>", with every byte outside RFC 3986's unreserved set
// percent-encoded, so the result is a valid URI-reference whatever the name.
std::string CloudEventSource(std::string_view agent_name);

}  // namespace picket::delivery
