#include "agent/api_exposure.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

namespace picket::agent {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;  // the API server binds it as 127.0.0.1
  const std::string text(host);
  std::array<std::uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) return bytes[0] == 127;
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return false;
  constexpr std::array<std::uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 0, 0, 0, 0, 1};
  if (bytes == kV6Loopback) return true;
  // ::ffff:a.b.c.d, an IPv4-mapped address: loopback if a.b.c.d is.
  for (std::size_t i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127;
}

std::string MutationRefusal(std::string_view http_host, bool has_token, bool allow_insecure) {
  if (has_token || allow_insecure || IsLoopbackHost(http_host)) return "";
  std::string message = "mutating requests are refused: the API listens on ";
  message.append(http_host);
  message.append(
      ", which is not a loopback address, and no token is configured; set "
      "--api-token-file (then send Authorization: Bearer <token>), listen on loopback with "
      "--http, or accept the risk with --api-insecure-allow-mutations");
  return message;
}

}  // namespace picket::agent
