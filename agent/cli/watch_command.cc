// `picket watch [--http HOST:PORT] [--json] [--since SEQ]`: follows a local
// agent's event stream (GET /v1/events/stream, Server-Sent Events) and
// prints one line per event until interrupted. Reconnects with Last-Event-ID
// when the connection drops, so no event is missed while the agent runs.

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "agent/cli/api_call.h"
#include "agent/cli/commands.h"
#include "agent/cli/http_client.h"
#include "agent/cli/member_table.h"
#include "agent/cli/sse_parser.h"

namespace picket::cli {
namespace {

struct WatchFlags {
  std::string http = kDefaultHttpAddress;
  bool json = false;
  std::string since;  // empty: only new events
};

// Connection attempts in a row that may fail before watch gives up.
constexpr int kMaxFailures = 5;

}  // namespace

void AddWatchCommand(CLI::App& app) {
  auto flags = std::make_shared<WatchFlags>();
  auto* cmd = app.add_subcommand(
      "watch", "Follow a local agent's membership events (GET /v1/events/stream)");
  AddHttpFlag(cmd, flags->http);
  cmd->add_flag("--json", flags->json, "Print each event as one line of JSON")
      ->envname("PICKET_JSON");
  cmd->add_option("--since", flags->since,
                  "Replay the events after this sequence number first (0: all retained)")
      ->envname("PICKET_SINCE")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([flags] {
    SseParser parser;
    int failures = 0;
    while (true) {
      HttpCall call;
      call.url = BaseUrl(flags->http) + "/v1/events/stream";
      if (!parser.last_event_id().empty()) {
        call.headers.push_back("Last-Event-ID: " + parser.last_event_id());
      } else if (!flags->since.empty()) {
        call.url += "?since=" + flags->since;
      }
      call.timeout = std::chrono::seconds(60);  // the agent sends a comment every 15 s
      bool received = false;
      const HttpResult result = HttpStream(call, [&](std::string_view bytes) {
        received = true;
        parser.Feed(bytes, [&](const SseEvent& event) {
          if (flags->json) {
            std::cout << event.data << std::endl;
            return;
          }
          const auto line = FormatEventLine(event.data);
          std::cout << (line ? *line : event.data) << std::endl;
          if (event.event == "picket.resync") {
            std::cout << "  (events were missed: run `picket members` for the current view)"
                      << std::endl;
          }
        });
        return true;
      });
      if (result.ok() && result.status != 200) FailApiCall("watch", flags->http, result);
      failures = received ? 0 : failures + 1;
      if (failures >= kMaxFailures) FailApiCall("watch", flags->http, result);
      std::cerr << "picket watch: stream ended (" << (result.ok() ? "closed" : result.error)
                << "), reconnecting\n";
      std::this_thread::sleep_for(std::chrono::seconds(1) * failures);
    }
  });
}

}  // namespace picket::cli
