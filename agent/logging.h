#pragma once

// Process-wide logging set-up (spdlog): human-readable lines by default, or
// one JSON object per line for log collectors. Logs go to stderr.

#include <optional>
#include <string>
#include <string_view>

namespace picket::agent {

enum class LogFormat { kText, kJson };

// "text" / "json"; nullopt if neither.
[[nodiscard]] std::optional<LogFormat> ParseLogFormat(std::string_view text);

// "trace", "debug", "info", "warn", "error", "off"; false if unknown.
[[nodiscard]] bool IsValidLogLevel(std::string_view level);

// Installs the default logger. Call once at start-up, before other threads.
void ConfigureLogging(LogFormat format, std::string_view level);

// Changes the level at run time (SIGHUP). REQUIRES: IsValidLogLevel(level).
void SetLogLevel(std::string_view level);

}  // namespace picket::agent
