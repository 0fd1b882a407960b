#pragma once

// Percent-decoding and query-string parsing for request targets.
// Thread safety: pure functions, safe from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace picket::api {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query
// strings). Returns nullopt for a malformed escape ("%4", "%zz").
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&c" -> {{"a","1"},{"b","x y"},{"c",""}}, in order, duplicates
// kept. Returns nullopt if any name or value has a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

}  // namespace picket::api
