#include <iostream>

#include "agent/cli/commands.h"
#include "agent/keyring.h"

namespace picket::cli {

void AddKeygenCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "keygen",
      "Print a new random gossip encryption key (base64 of 32 bytes) for a keyring file");
  cmd->callback([] {
    if (!agent::InitSodium()) {
      std::cerr << "picket keygen: libsodium cannot be initialised\n";
      throw CLI::RuntimeError(1);
    }
    std::cout << agent::Keyring::GenerateKeyBase64() << "\n";
  });
}

}  // namespace picket::cli
