// The `picket` command line: one binary, one subcommand per job.

#include <CLI/CLI.hpp>
#include <iostream>

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
#if PICKET_WITH_AGENT  // until the membership core lands
  picket::cli::AddAgentCommand(app);
#endif

  // `picket agent --config F`: the file is a fallback environment (flags > env > file).
  if (PICKET_WITH_AGENT && argc > 1 && std::string_view(argv[1]) == "agent") {
    const std::string config = picket::agent::FindConfigPath(argc, argv);
    if (!config.empty()) {
      const std::string error = picket::agent::ApplyConfigFileAsEnvironment(
          config, picket::cli::AgentFlagNames(app));
      if (!error.empty()) {
        std::cerr << "picket agent: " << error << "\n";
        return 2;
      }
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
