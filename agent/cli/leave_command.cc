// `picket leave [--http HOST:PORT]`: asks a local agent to leave the cluster
// gracefully (POST /v1/leave).

#include <iostream>
#include <memory>
#include <string>

#include "agent/cli/api_call.h"
#include "agent/cli/commands.h"
#include "agent/cli/http_client.h"

namespace picket::cli {
namespace {

struct LeaveFlags {
  std::string http = kDefaultHttpAddress;
  std::string token;
  std::string token_file;
};

}  // namespace

void AddLeaveCommand(CLI::App& app) {
  auto flags = std::make_shared<LeaveFlags>();
  auto* cmd = app.add_subcommand(
      "leave", "Ask a local agent to leave the cluster gracefully (POST /v1/leave)");
  AddHttpFlag(cmd, flags->http);
  AddApiTokenFlags(cmd, flags->token, flags->token_file);
  cmd->callback([flags] {
    HttpCall call;
    call.method = "POST";
    call.url = BaseUrl(flags->http) + "/v1/leave";
    call.bearer_token = ResolveApiToken("leave", flags->token, flags->token_file);
    const HttpResult result = HttpFetch(call);
    if (!result.ok() || result.status != 202) FailApiCall("leave", flags->http, result);
    std::cout << "picket leave: the agent at " << flags->http
              << " is leaving the cluster (it exits once `left` has spread)\n";
  });
}

}  // namespace picket::cli
