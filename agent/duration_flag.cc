#include "agent/duration_flag.h"

#include <cmath>
#include <cstdlib>

namespace picket::agent {

Expected<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  auto fail = [](std::string why) { return Fail(std::move(why)); };
  if (text == "0") return std::chrono::nanoseconds{0};
  std::size_t unit_at = 0;
  while (unit_at < text.size() &&
         ((text[unit_at] >= '0' && text[unit_at] <= '9') || text[unit_at] == '.')) {
    ++unit_at;
  }
  const std::string number(text.substr(0, unit_at));
  const std::string_view unit = text.substr(unit_at);
  if (number.empty()) return fail("'" + std::string(text) + "' is not a duration (e.g. 500ms, 2s)");
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) {
    return fail("'" + std::string(text) + "' is not a duration (e.g. 500ms, 2s)");
  }
  double scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "m") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    return fail("'" + std::string(text) + "' needs a unit: ns, us, ms, s, m or h");
  }
  const double ns = value * scale;
  if (ns > 1e18) return fail("'" + std::string(text) + "' is too long");
  return std::chrono::nanoseconds{static_cast<long long>(std::llround(ns))};
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  const long long ns = d.count();
  if (ns == 0) return "0";
  struct Unit {
    long long ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {3600'000'000'000LL, "h"}, {60'000'000'000LL, "m"}, {1'000'000'000LL, "s"},
      {1'000'000LL, "ms"},       {1'000LL, "us"},         {1LL, "ns"}};
  for (const Unit& u : kUnits) {
    if (ns % u.ns == 0) return std::to_string(ns / u.ns) + u.name;
  }
  return std::to_string(ns) + "ns";
}

}  // namespace picket::agent
