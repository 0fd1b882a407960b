#pragma once

// Text rendering of API answers for terminals: the `picket members` table and
// one-line event summaries for `picket watch`.
//
// Thread safety: pure functions, safe from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace picket::cli {

// Renders a GET /v1/members body as an aligned table with the columns NAME,
// ADDRESS, STATE, INCARNATION, PHI, REPORTED_PHI, AGE (null phi shows "-").
// Returns nullopt if `members_json` is not a members body.
std::optional<std::string> FormatMemberTable(std::string_view members_json);

// One line for an Event object: "TIME  TYPE  NAME  ADDRESS  state=.. inc=..
// phi=.. quorum=alive/members [majority|MINORITY]". nullopt if not an Event.
std::optional<std::string> FormatEventLine(std::string_view event_json);

// "42s", "5m03s", "2h05m", "3d04h" for a number of seconds (negative as 0).
std::string FormatAge(double seconds);

// "-" for null, "0.42", "12.00"; very large values in exponent form ("1.8e+308").
std::string FormatPhi(std::optional<double> phi);

}  // namespace picket::cli
