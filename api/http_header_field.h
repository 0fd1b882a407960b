#pragma once

// HTTP header fields as the webhook posters, the router and the CLI's client
// see them: names compared without regard to ASCII case, values without the
// optional whitespace around them (RFC 9110 section 5.6.3: spaces and tabs).
// Pure functions on views; thread-safe.

#include <optional>
#include <string_view>

namespace picket::api {

// Whether `a` and `b` are equal when ASCII letters are compared without
// regard to case (field names, URL schemes, media types).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces and tabs; a view into `text`.
std::string_view TrimHeaderWhitespace(std::string_view text);

// One "name: value" header line.
struct HeaderField {
  std::string_view name;   // as received: case kept, not trimmed
  std::string_view value;  // trimmed (TrimHeaderWhitespace)
};

// Splits a raw header line such as libcurl's header callback passes on
// ("Retry-After: 120\r\n") at its first colon, after dropping the line's
// trailing CR and LF bytes. Returns nullopt for a line without a colon (a
// status line, the blank line after the headers). The views point into `line`.
std::optional<HeaderField> SplitHeaderLine(std::string_view line);

}  // namespace picket::api
