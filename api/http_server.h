#pragma once

// The local HTTP API server: RESTinio on its own io_context and its own
// thread, so that API load never delays the protocol's event loop. It serves
// the latest view from a ViewPublisher, the EventLog (long poll and
// Server-Sent Events) and forwards commands to a CommandSink. Endpoints and
// shapes: api/README.md.
//
// Waiting clients (long poll, SSE) never block the server thread: a long poll
// keeps RESTinio's request handle and an asio timer; an EventLog listener
// posts one wake-up to the server's io_context per burst of appends, which
// answers the waiters whose events arrived and writes to the SSE streams.
//
// restinio/all.hpp is included by http_server.cc only (it is a ~50 s TU).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/command_sink.h"
#include "api/event_log.h"
#include "api/router.h"
#include "common/expected.h"
#include "api/view_publisher.h"

namespace picket::api {

struct HttpServerOptions {
  // Address to listen on: an IPv4 or IPv6 literal, or "localhost".
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free ephemeral port (see HttpServer::port()).
  std::uint16_t port = 9747;
  // Endpoint settings: bearer token, body limit, long-poll limits.
  RouterOptions router;
  // Long-poll waiters plus SSE streams served at once; beyond it new ones get
  // 503 "unavailable". Each costs a socket and a few hundred bytes.
  std::size_t max_waiting_clients = 1024;
  // An SSE comment is sent to idle streams this often, so that dead clients
  // are noticed and proxies keep the connection open.
  std::chrono::milliseconds sse_keepalive{std::chrono::seconds(15)};
  // Bodies above this are not even read: a Content-Length above it gets 413
  // at once and the connection is closed (a chunked body above it is cut off
  // by closing). Bodies between router.max_body_bytes and this are read and
  // get a 413 from the router.
  std::size_t hard_body_limit = 1024 * 1024;
};

class HttpServer {
 public:
  // The publisher, log and sink must outlive the server.
  HttpServer(HttpServerOptions options, ViewPublisher& views, EventLog& log, CommandSink& commands);
  // Stops the server if running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on the server's own thread. Returns once the
  // socket listens, or an error naming the address (bad host, port in use).
  // Call at most once.
  Status Start();

  // Closes the listener and every connection (waiting long polls and SSE
  // streams are answered/ended as far as the shutdown allows), then joins the
  // server thread. Idempotent. Must not be called from the server thread
  // (e.g. from CommandSink::Leave).
  void Stop();

  // The bound port (the real one when options.port was 0); 0 before Start.
  std::uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace picket::api
