#pragma once

// Durations as people write them in flags, env vars and config files:
// "250ms", "1.5s", "2m", "1h", "0". A bare non-zero number is rejected: the
// unit must be explicit.

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace picket::agent {

// Nanosecond precision; the reason if malformed or negative.
[[nodiscard]] Expected<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// "500ms", "1s", "1.5s", "2m", "1h": the shortest exact form, for --help defaults.
[[nodiscard]] std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace picket::agent
