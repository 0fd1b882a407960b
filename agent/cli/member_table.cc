#include "agent/cli/member_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace picket::cli {
namespace {

using nlohmann::json;

std::optional<double> OptionalNumber(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string Text(const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end()) return "?";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// The SERVICE column: the status, or "-" for a member that runs no checks.
std::string ServiceText(const json& member) {
  const auto it = member.find("service");
  if (it == member.end() || !it->is_object()) return "-";
  return Text(*it, "status");
}

}  // namespace

std::string FormatAge(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const auto s = static_cast<long long>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string FormatPhi(std::optional<double> phi) {
  if (!phi.has_value()) return "-";
  if (std::fabs(*phi) < 1e6) return fmt::format("{:.2f}", *phi);
  return fmt::format("{:.2g}", *phi);
}

std::optional<std::string> FormatMemberTable(std::string_view members_json) {
  const json body = json::parse(members_json, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("members") ||
      !body["members"].is_array()) {
    return std::nullopt;
  }
  constexpr std::size_t kColumns = 8;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows;
  rows.push_back(
      {"NAME", "ADDRESS", "STATE", "SERVICE", "INCARNATION", "PHI", "REPORTED_PHI", "AGE"});
  for (const json& m : body["members"]) {
    if (!m.is_object()) return std::nullopt;
    rows.push_back({Text(m, "name"), Text(m, "address"), Text(m, "state"), ServiceText(m),
                    Text(m, "incarnation"),
                    FormatPhi(OptionalNumber(m, "phi")),
                    FormatPhi(OptionalNumber(m, "reported_phi")),
                    FormatAge(OptionalNumber(m, "state_age_s").value_or(0))});
  }
  std::array<std::size_t, kColumns> width{};
  for (const Row& row : rows) {
    for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < kColumns; ++c) {
      line.append(row[c]);
      if (c + 1 < kColumns) line.append(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.append(line).push_back('\n');
  }
  return out;
}

std::optional<std::string> FormatEventLine(std::string_view event_json) {
  const json event = json::parse(event_json, nullptr, false);
  if (event.is_discarded() || !event.is_object() || !event.contains("type")) return std::nullopt;
  std::string line =
      fmt::format("{}  {:<4} {:<24}", Text(event, "time"), Text(event, "seq"), Text(event, "type"));
  const auto member = event.find("member");
  if (member != event.end() && member->is_object()) {
    line += fmt::format(" {}  {}  state={} service={} inc={} phi={} reported_phi={}",
                        Text(*member, "name"), Text(*member, "address"), Text(*member, "state"),
                        ServiceText(*member), Text(*member, "incarnation"),
                        FormatPhi(OptionalNumber(*member, "phi")),
                        FormatPhi(OptionalNumber(*member, "reported_phi")));
  }
  const auto quorum = event.find("quorum");
  if (quorum != event.end() && quorum->is_object()) {
    const bool majority = quorum->value("has_majority", false);
    line += fmt::format("  quorum={}/{} {}", Text(*quorum, "alive"), Text(*quorum, "members"),
                        majority ? "majority" : "MINORITY");
  }
  return line;
}

}  // namespace picket::cli
