#include <iostream>

#include "agent/cli/commands.h"
#include "agent/version.h"

namespace picket::cli {

void AddVersionCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the picket version");
  cmd->callback([] { std::cout << "picket " << kVersion << "\n"; });
}

}  // namespace picket::cli
