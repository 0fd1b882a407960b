// `picket tags [set KEY=VALUE... | delete KEY...] [--http HOST:PORT] [--json]`:
// shows or changes a local agent's own tags through its HTTP API
// (GET / PUT /v1/self/tags). Changes spread to the other members as a
// `member.updated` event.

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/cli/api_call.h"
#include "agent/cli/commands.h"
#include "agent/cli/http_client.h"

namespace picket::cli {
namespace {

struct TagsFlags {
  std::string http = kDefaultHttpAddress;
  std::string token;
  std::string token_file;
  bool json = false;
  std::vector<std::string> set;     // KEY=VALUE
  std::vector<std::string> remove;  // KEY
};

using TagMap = std::map<std::string, std::string>;

[[noreturn]] void Fail(const std::string& message, int code) {
  std::cerr << "picket tags: " << message << "\n";
  throw CLI::RuntimeError(code);
}

// Parses a {"tags":{...}} answer of the agent.
TagMap ParseTags(const TagsFlags& flags, const HttpResult& result) {
  const nlohmann::json body = nlohmann::json::parse(result.body, nullptr, false);
  if (body.is_discarded() || !body.contains("tags") || !body["tags"].is_object()) {
    Fail("unexpected answer from " + flags.http + ": " + result.body, 1);
  }
  TagMap tags;
  for (const auto& [key, value] : body["tags"].items()) {
    tags[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return tags;
}

TagMap GetTags(const TagsFlags& flags) {
  HttpCall call;
  call.url = BaseUrl(flags.http) + "/v1/self/tags";
  const HttpResult result = HttpFetch(call);
  if (!result.ok() || result.status != 200) FailApiCall("tags", flags.http, result);
  return ParseTags(flags, result);
}

// Replaces the agent's tags with `tags`; returns them as the agent accepted them.
TagMap PutTags(const TagsFlags& flags, const TagMap& tags) {
  HttpCall call;
  call.method = "PUT";
  call.url = BaseUrl(flags.http) + "/v1/self/tags";
  call.content_type = "application/json";
  call.body = nlohmann::json(tags).dump();
  call.bearer_token = ResolveApiToken("tags", flags.token, flags.token_file);
  const HttpResult result = HttpFetch(call);
  if (!result.ok() || result.status != 202) FailApiCall("tags", flags.http, result);
  return ParseTags(flags, result);
}

void Print(const TagsFlags& flags, const TagMap& tags) {
  if (flags.json) {
    std::cout << nlohmann::json{{"tags", tags}}.dump() << "\n";
    return;
  }
  for (const auto& [key, value] : tags) std::cout << key << "=" << value << "\n";
}

void Run(const TagsFlags& flags, bool changing) {
  TagMap tags = GetTags(flags);
  if (!changing) {
    Print(flags, tags);
    return;
  }
  for (const std::string& key : flags.remove) {
    if (key.empty() || key.find('=') != std::string::npos) {
      Fail("delete '" + key + "': expected a tag name (KEY)", 2);
    }
    tags.erase(key);
  }
  for (const std::string& pair : flags.set) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) Fail("set '" + pair + "': expected KEY=VALUE", 2);
    tags[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  Print(flags, PutTags(flags, tags));
}

}  // namespace

void AddTagsCommand(CLI::App& app) {
  auto flags = std::make_shared<TagsFlags>();
  auto* cmd = app.add_subcommand(
      "tags",
      "Show or change a local agent's own tags (GET/PUT /v1/self/tags).\n"
      "  picket tags                     print the tags, one KEY=VALUE per line\n"
      "  picket tags set K=V [K=V...]    add or replace these tags, keep the others\n"
      "  picket tags delete K [K...]     remove these tags, keep the others\n"
      "set and delete read the tags, change them and write them all back; the\n"
      "other members see the change as a member.updated event.");
  AddHttpFlag(cmd, flags->http);
  AddApiTokenFlags(cmd, flags->token, flags->token_file);
  cmd->add_flag("--json", flags->json, "Print {\"tags\":{...}} as JSON, for scripts");
  cmd->require_subcommand(0, 1);

  auto* set = cmd->add_subcommand("set", "Add or replace tags: picket tags set KEY=VALUE...");
  set->add_option("tags", flags->set, "KEY=VALUE, one or more")->required();
  set->fallthrough();  // --http etc. may follow the tags
  auto* remove = cmd->add_subcommand("delete", "Remove tags: picket tags delete KEY...");
  remove->add_option("keys", flags->remove, "KEY, one or more")->required();
  remove->fallthrough();

  set->callback([flags] { Run(*flags, true); });
  remove->callback([flags] { Run(*flags, true); });
  cmd->callback([flags, cmd] {
    if (cmd->get_subcommands().empty()) Run(*flags, false);
  });
}

}  // namespace picket::cli
