// `picket members [--http HOST:PORT] [--json]`: the member table of a local
// agent, read from its HTTP API (GET /v1/members).

#include <iostream>
#include <string>

#include "agent/cli/api_call.h"
#include "agent/cli/commands.h"
#include "agent/cli/http_client.h"
#include "agent/cli/member_table.h"

namespace picket::cli {
namespace {

struct MembersFlags {
  std::string http = kDefaultHttpAddress;
  bool json = false;
};

}  // namespace

void AddMembersCommand(CLI::App& app) {
  auto flags = std::make_shared<MembersFlags>();
  auto* cmd =
      app.add_subcommand("members", "Print the members a local agent sees (GET /v1/members)");
  AddHttpFlag(cmd, flags->http);
  cmd->add_flag("--json", flags->json, "Print the JSON answer as is, for scripts")
      ->envname("PICKET_JSON");
  cmd->callback([flags] {
    HttpCall call;
    call.url = BaseUrl(flags->http) + "/v1/members";
    const HttpResult result = HttpFetch(call);
    if (!result.ok() || result.status != 200) FailApiCall("members", flags->http, result);
    if (flags->json) {
      std::cout << result.body << "\n";
      return;
    }
    const auto table = FormatMemberTable(result.body);
    if (!table) {
      std::cerr << "picket members: unexpected answer from " << flags->http << ": " << result.body
                << "\n";
      throw CLI::RuntimeError(1);
    }
    std::cout << *table;
  });
}

}  // namespace picket::cli
