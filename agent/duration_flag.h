#pragma once

// Durations as people write them in flags, env vars and config files:
// "250ms", "1.5s", "2m", "1h", "0". A bare non-zero number is rejected: the
// unit must be explicit.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace picket::agent {

// Nanosecond precision; nullopt (and `*error`) if malformed or negative.
[[nodiscard]] std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text,
                                                                    std::string* error = nullptr);

// "500ms", "1s", "1.5s", "2m", "1h": the shortest exact form, for --help defaults.
[[nodiscard]] std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace picket::agent
