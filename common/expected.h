#pragma once

// The project's one error style for fallible functions: a value, or the
// reason it could not be made, in one return value. No out-parameters, and
// [[nodiscard]] so that a result cannot be dropped. tl::expected (Debian
// libexpected-dev) has std::expected's interface (C++23) for this C++20 tree.
//
//   Expected<Keyring> ring = Keyring::Parse(text);
//   if (!ring) return Fail("--keyring: " + ring.error());

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace picket {

// A value of T, or a human-readable reason ("key 2 is not the base64 of 32
// bytes") that the caller may prefix with its own context.
template <typename T>
using Expected = tl::expected<T, std::string>;

// Success, or a reason.
using Status = Expected<void>;

// The failed side of an Expected: `return Fail("why");`.
[[nodiscard]] inline tl::unexpected<std::string> Fail(std::string reason) {
  return tl::unexpected<std::string>(std::move(reason));
}

}  // namespace picket
