#pragma once

// Whether the full HTTP API (--http) is reachable beyond this machine, and
// what that forbids: an API on a non-loopback address without a bearer token
// refuses every mutating request (403), unless the operator accepts the risk
// with --api-insecure-allow-mutations. Pure functions, so the rule is tested
// without binding a non-loopback address.

#include <string>
#include <string_view>

namespace picket::agent {

// True for 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and "localhost". The
// wildcards 0.0.0.0 and :: are NOT loopback (they listen on every interface);
// neither is a DNS name or anything unparsable.
[[nodiscard]] bool IsLoopbackHost(std::string_view host);

// The message mutating requests are refused with (403), or "" when they are
// allowed: `http_host` is loopback, a token is configured, or the operator
// allowed it.
[[nodiscard]] std::string MutationRefusal(std::string_view http_host, bool has_token,
                                          bool allow_insecure);

}  // namespace picket::agent
