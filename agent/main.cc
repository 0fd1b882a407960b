// The `picket` command line: one binary, one subcommand per job.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli/commands.h"
#include "agent/config_file.h"

int main(int argc, char** argv) {
  CLI::App app{"picket: cluster membership and failure detection sidecar (SWIM + Phi Accrual)",
               "picket"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  picket::cli::AddVersionCommand(app);
  picket::cli::AddKeygenCommand(app);
  picket::cli::AddSimCommand(app);
  picket::cli::AddPhiCommand(app);
  picket::cli::AddDetectorEvalCommand(app);
  picket::cli::AddMembersCommand(app);
  picket::cli::AddLeaveCommand(app);
  picket::cli::AddWatchCommand(app);
  picket::cli::AddTagsCommand(app);
  picket::cli::AddAgentCommand(app);

  // `picket agent --config F`: the file's keys become arguments for the flags
  // that neither the command line nor the environment sets (flags > env > file).
  std::vector<std::string> args(argv, argv + argc);
  if (argc > 1 && std::string_view(argv[1]) == "agent") {
    const std::string config = picket::agent::FindConfigPath(argc, argv);
    if (!config.empty()) {
      const auto file = picket::agent::ReadConfigFile(
          config, picket::cli::AgentFlagNames(app), {args.begin() + 2, args.end()});
      if (!file.error.empty()) {
        std::cerr << "picket agent: " << file.error << "\n";
        return 2;
      }
      args.insert(args.end(), file.arguments.begin(), file.arguments.end());
    }
  }

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
    args.pop_back();                         // the program name
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
