#pragma once

// What the simulated network delivers to: one running process on one host.
// The simulator's SwimHost adapts membership::Swim to this; tests use fakes.
//
// The Network calls these from its event dispatch, one at a time, with the
// current virtual time. An implementation may send through the Network from
// inside these calls (the Network only queues); it must not call back into the
// Network's dispatch.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "membership/runtime.h"
#include "membership/types.h"

namespace picket::sim {

using membership::Address;
using membership::StreamId;
using membership::TimePoint;

class Endpoint {
 public:
  virtual ~Endpoint() = default;

  // A datagram from `from` arrived.
  virtual void OnDatagram(const Address& from, std::span<const std::uint8_t> bytes,
                          TimePoint now) = 0;
  // A stream request from `from` arrived; returns the response (empty: close
  // without answering).
  virtual std::vector<std::uint8_t> OnStreamRequest(const Address& from,
                                                    std::span<const std::uint8_t> request,
                                                    TimePoint now) = 0;
  // How a stream exchange this endpoint started ended. Called exactly once
  // per started exchange while the endpoint lives.
  virtual void OnStreamResult(StreamId id, const membership::StreamResult& result,
                              TimePoint now) = 0;
  // The endpoint's wake-up time came (possibly late, after a pause).
  virtual void OnTick(TimePoint now) = 0;
  // When the endpoint next wants OnTick (TimePoint::max(): never).
  [[nodiscard]] virtual TimePoint NextWakeup() const = 0;
};

}  // namespace picket::sim
