#pragma once

// The only way the HTTP API changes anything: explicit commands that the agent
// runtime forwards to its event loop (docs/architecture.md: nothing flows back from
// api into the core except explicit commands).

#include "common/expected.h"
#include "membership/types.h"

namespace picket::api {

// Implemented by the agent runtime.
//
// Thread safety: every method is called on an HTTP server thread, never on the
// event loop, so an implementation must not touch the core directly: post the
// command to the event loop and return. Calls may come concurrently with the
// event loop but never concurrently with each other from one HttpServer (it
// runs one thread); implementations used by several servers must be
// thread-safe. Methods must not block for long (they delay every HTTP client).
class CommandSink {
 public:
  virtual ~CommandSink() = default;

  // Starts a graceful leave (spread `left`, then exit). Idempotent: a second
  // call while leaving does nothing. The HTTP answer (202) is sent before the
  // leave completes.
  virtual void Leave() = 0;

  // Replaces this agent's own tags with `tags` (the whole map, not a merge).
  // The API has already checked the JSON shape (an object of string values);
  // the sink may reject the tags for its own reasons (too large for a packet,
  // forbidden key) by returning an error whose message is shown to the client
  // with status 400 and code "invalid_tags". On success the change is applied
  // asynchronously: it shows in /v1/self and /v1/members once the event loop
  // has applied it and published a new view.
  virtual Status SetTags(membership::Tags tags) = 0;

  // The application beside the agent pushed its status (passing, warning or
  // critical; PUT /v1/self/service). Applied asynchronously, like SetTags;
  // an error (the agent is not running) is answered with 503.
  virtual Status PushService(membership::ServiceHealth status, std::string output) = 0;

  // Maintenance on or off (PUT /v1/self/maintenance): the member's service
  // shows `maintenance` everywhere until it is turned off. Asynchronous.
  virtual Status SetMaintenance(bool enabled, std::string reason) = 0;
};

}  // namespace picket::api
