#pragma once

// The `picket` subcommands. Each Add*Command registers one subcommand (its
// flags and its callback) on the top-level app; main.cc calls them all.
// A callback that fails throws CLI::RuntimeError(exit_code) after printing why.

#include <CLI/CLI.hpp>

namespace picket::cli {

void AddVersionCommand(CLI::App& app);
void AddAgentCommand(CLI::App& app);
void AddKeygenCommand(CLI::App& app);
void AddSimCommand(CLI::App& app);
void AddPhiCommand(CLI::App& app);
void AddDetectorEvalCommand(CLI::App& app);
void AddMembersCommand(CLI::App& app);  // picket members
void AddLeaveCommand(CLI::App& app);    // picket leave
void AddWatchCommand(CLI::App& app);    // picket watch
void AddTagsCommand(CLI::App& app);     // picket tags [set K=V... | delete K...]
// The long flag names of `picket agent` ("--bind", ...), for the config file.
std::vector<std::string> AgentFlagNames(CLI::App& app);

}  // namespace picket::cli
