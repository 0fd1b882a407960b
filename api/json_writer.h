#pragma once

// Low-level JSON text output: appending strings, numbers and RFC 3339 times to
// a std::string. The API renders its responses with these instead of building
// a DOM, because /v1/members at N=1,000 must render in well under 2 ms.
//
// Thread safety: free functions without shared state; safe from any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace picket::api {

// Appends `s` as a quoted JSON string. Escapes '"', '\\' and control
// characters; replaces bytes that are not valid UTF-8 with U+FFFD, so the
// output is always valid JSON whatever a peer advertised.
void AppendJsonString(std::string& out, std::string_view s);

// Appends the shortest text that reads back as `value`. JSON has no NaN or
// infinity: NaN is written as null, +/-infinity as +/-1.7976931348623157e308
// (the largest finite double; a phi that overflowed is "as suspicious as can
// be", not "unknown").
void AppendJsonNumber(std::string& out, double value);

// Appends `value` with exactly three decimals (e.g. seconds with millisecond
// resolution: "12.345"). Non-finite values as in AppendJsonNumber.
void AppendFixed3(std::string& out, double value);

void AppendUint(std::string& out, std::uint64_t value);
void AppendInt(std::string& out, std::int64_t value);

// Appends `time` as an RFC 3339 UTC timestamp with milliseconds, without
// quotes: "2024-05-01T12:34:56.789Z". Times before 1970 or after 9999 are
// clamped to that range.
void AppendRfc3339(std::string& out, std::chrono::system_clock::time_point time);

}  // namespace picket::api
