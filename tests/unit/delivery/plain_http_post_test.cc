#include "delivery/plain_http_post.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace picket::delivery {
namespace {

using namespace std::chrono_literals;

// What the test server does with one request.
struct Reply {
  std::vector<std::string> segments;  // raw response bytes, sent with a short pause between
  bool close_after = false;           // close the connection once sent
  bool never = false;                 // never answer; hold the connection open
};

Reply Send(std::string raw, bool close_after = false) {
  return {{std::move(raw)}, close_after, false};
}
// The response in pieces, so that the client reads them apart.
Reply Pieces(std::vector<std::string> segments) { return {std::move(segments), false, false}; }
Reply Ok() { return Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); }
Reply Never() { return {{}, false, true}; }

// A scripted HTTP/1.1 server on 127.0.0.1 (ephemeral port) over POSIX
// sockets: keeps connections open unless told otherwise, serves any number
// of them from one thread, counts accepted connections and records the raw
// bytes of each request. The script runs on the server thread; it must not
// touch test state.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<Reply(std::size_t)> script, bool close_on_accept = false)
      : script_(std::move(script)), close_on_accept_(close_on_accept) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(const std::string& target = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  std::size_t accepted() const { return accepted_.load(); }
  std::vector<std::string> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  struct Connection {
    int fd = -1;
    std::string in;
    bool silent = false;  // a Never() reply was given: read, record, answer nothing
    bool done = false;
  };

  // Removes one complete request (head + Content-Length body) from `in`.
  static std::optional<std::string> TakeRequest(std::string& in) {
    const std::size_t head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos) return std::nullopt;
    std::string head = in.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t body = 0;
    if (const std::size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      body = std::stoul(head.substr(at + 17));
    }
    const std::size_t total = head_end + 4 + body;
    if (in.size() < total) return std::nullopt;
    std::string request = in.substr(0, total);
    in.erase(0, total);
    return request;
  }

  static void SendAll(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client went away (e.g. gave up on a huge response)
      sent += static_cast<std::size_t>(n);
    }
  }

  void Answer(Connection& connection, const std::string& request) {
    std::size_t index = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      index = requests_.size();
      requests_.push_back(request);
    }
    if (connection.silent) return;
    const Reply reply = script_(index);
    if (reply.never) {
      connection.silent = true;
      return;
    }
    for (std::size_t i = 0; i < reply.segments.size(); ++i) {
      if (i > 0) std::this_thread::sleep_for(20ms);  // let the client read each piece apart
      SendAll(connection.fd, reply.segments[i]);
    }
    if (reply.close_after) connection.done = true;
  }

  void Serve() {
    std::vector<Connection> connections;
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (const auto& c : connections) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) {
          ++accepted_;
          if (close_on_accept_) {
            ::close(fd);
          } else {
            Connection connection;
            connection.fd = fd;
            connections.push_back(std::move(connection));
          }
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        Connection& connection = connections[i - 1];
        char buffer[65536];
        const ssize_t n = ::recv(connection.fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          connection.done = true;
          continue;
        }
        connection.in.append(buffer, static_cast<std::size_t>(n));
        while (!connection.done) {
          std::optional<std::string> request = TakeRequest(connection.in);
          if (!request) break;
          Answer(connection, *request);
        }
      }
      for (auto it = connections.begin(); it != connections.end();) {
        if (it->done) {
          ::close(it->fd);
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& c : connections) ::close(c.fd);
  }

  const std::function<Reply(std::size_t)> script_;
  const bool close_on_accept_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;  // guarded by mu_
  std::thread thread_;
};

PostRequest Request(std::string url, std::string body = "{}") {
  PostRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

PostResult PostOnce(PlainHttpPoster& poster, const PostRequest& request) {
  const std::atomic<bool> stop{false};
  return poster.Post(request, stop);
}

// A loopback port nothing listens on: bound, then closed.
std::uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("plain http: URL parsing accepts absolute http and https URLs") {
  struct Case {
    const char* url;
    const char* scheme;
    const char* host;
    std::uint16_t port;
    const char* target;
  };
  const Case cases[] = {
      {"http://example.com", "http", "example.com", 80, "/"},
      {"http://example.com/hook", "http", "example.com", 80, "/hook"},
      {"https://example.com/hook", "https", "example.com", 443, "/hook"},
      {"HTTP://Example.com:8080/a/b?x=1&y=2#frag", "http", "Example.com", 8080, "/a/b?x=1&y=2"},
      {"http://127.0.0.1:9000?x=1", "http", "127.0.0.1", 9000, "/?x=1"},
      {"http://[::1]:8080/hook", "http", "::1", 8080, "/hook"},
      {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    const UrlParseResult result = ParseHttpUrl(c.url);
    const std::optional<ParsedHttpUrl>& parsed = result.url;
    REQUIRE(parsed.has_value());
    CHECK(result.error == UrlError::kNone);
    CHECK(UrlErrorText(result.error).empty());
    CHECK(parsed->scheme == c.scheme);
    CHECK(parsed->host == c.host);
    CHECK(parsed->port == c.port);
    CHECK(parsed->target == c.target);
  }
}

TEST_CASE("plain http: URL parsing names what is wrong") {
  struct Case {
    const char* url;
    UrlError kind;
    const char* error;
  };
  const Case cases[] = {
      {"", UrlError::kInvalid, "not a valid URL"},
      {"garbage", UrlError::kInvalid, "not a valid URL"},
      {"example.com/hook", UrlError::kInvalid, "not a valid URL"},
      {"http://exa mple.com/", UrlError::kInvalid, "not a valid URL"},
      {"/hook", UrlError::kScheme, "scheme must be http or https"},
      {"ftp://example.com/file", UrlError::kScheme, "scheme must be http or https"},
      {"http:///hook", UrlError::kNoHost, "no host"},
      {"http://:8080/hook", UrlError::kNoHost, "no host"},
      {"http://example.com:0/", UrlError::kPort, "port must be 1-65535"},
      {"http://user:secret@example.com/", UrlError::kCredentials,
       "credentials in the URL are not supported"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    const UrlParseResult result = ParseHttpUrl(c.url);
    CHECK_FALSE(result.url.has_value());
    CHECK(result.error == c.kind);
    CHECK(UrlErrorText(result.error) == c.error);
  }
}

TEST_CASE("plain http: 200 with a Content-Length body") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 200);
  CHECK(result.error.empty());
  CHECK(result.retry_after.empty());
  CHECK_FALSE(result.timed_out);
  CHECK_FALSE(result.aborted);
  CHECK_FALSE(result.transport_failed());
}

TEST_CASE("plain http: 503 with Retry-After is captured") {
  ScriptedServer server([](std::size_t) {
    return Send(
        "HTTP/1.1 503 Service Unavailable\r\nretry-AFTER:   7  \r\nContent-Length: 4\r\n\r\nbusy");
  });
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 503);
  CHECK(result.retry_after == "7");
  CHECK(result.error.empty());
}

TEST_CASE("plain http: a response split across reads is reassembled") {
  ScriptedServer server([](std::size_t) {
    return Pieces({"HTTP/1.1 429 Too Many Requests\r\nRetry-", "Aft", "er: 1", "2\r\nContent-Len",
                   "gth: 3\r\n\r\nab", "c"});
  });
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 429);
  CHECK(result.retry_after == "12");
}

TEST_CASE("plain http: chunked response") {
  ScriptedServer server([](std::size_t) {
    return Pieces({"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                   "lo\r\n6\r\n world\r\n0\r\n\r\n"});
  });
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 202);
  CHECK(result.error.empty());
  // The connection stays usable after a chunked body.
  CHECK(PostOnce(poster, Request(server.Url())).status == 202);
  CHECK(server.accepted() == 1);
}

TEST_CASE("plain http: close-delimited response") {
  ScriptedServer server([](std::size_t) {
    return Send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true);
  });
  PlainHttpPoster poster;
  const PostResult first = PostOnce(poster, Request(server.Url()));
  CHECK(first.status == 200);
  CHECK(first.error.empty());
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(server.accepted() == 2);
}

TEST_CASE("plain http: an interim 100 Continue is skipped") {
  ScriptedServer server([](std::size_t) {
    return Send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nRetry-After: 3\r\n\r\n");
  });
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 204);
  CHECK(result.retry_after == "3");
}

TEST_CASE("plain http: keep-alive reuses one connection") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster poster;
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(PostOnce(poster, Request(server.Url("/other"))).status == 200);
  CHECK(server.accepted() == 1);
  CHECK(server.Requests().size() == 3);
}

TEST_CASE("plain http: an idle keep-alive connection closed by the server is replaced") {
  // Answers as if keeping the connection, then closes it.
  ScriptedServer server(
      [](std::size_t) { return Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true); });
  PlainHttpPoster poster;
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  const PostResult second = PostOnce(poster, Request(server.Url()));
  CHECK(second.status == 200);
  CHECK(second.error.empty());
  CHECK(server.accepted() == 2);
  CHECK(server.Requests().size() == 2);
}

TEST_CASE("plain http: Connection: close makes the next post open a new connection") {
  // The server leaves the socket open: only the client's close explains a new one.
  ScriptedServer server([](std::size_t) {
    return Send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  PlainHttpPoster poster;
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(server.accepted() == 2);
}

TEST_CASE("plain http: HTTP/1.0 without keep-alive is not reused") {
  ScriptedServer server(
      [](std::size_t) { return Send("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"); });
  PlainHttpPoster poster;
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(server.accepted() == 2);
}

TEST_CASE("plain http: the request on the wire") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster poster;
  PostRequest request = Request(server.Url("/hook?x=1&y=2"), "{\"type\":\"member.up\"}");
  request.headers = {{"Content-Type", "application/json"}, {"webhook-id", "msg_1"}};
  REQUIRE(PostOnce(poster, request).status == 200);
  const std::vector<std::string> seen = server.Requests();
  REQUIRE(seen.size() == 1);
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  // clang-format off
  CHECK(seen[0] == "POST /hook?x=1&y=2 HTTP/1.1\r\n"
                   "Host: " + host + "\r\n"
                   "User-Agent: picket-webhooks/1\r\n"
                   "Content-Length: 20\r\n"
                   "Content-Type: application/json\r\n"
                   "webhook-id: msg_1\r\n"
                   "Connection: keep-alive\r\n"
                   "\r\n"
                   "{\"type\":\"member.up\"}");
  // clang-format on
}

TEST_CASE("plain http: host names are resolved") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster poster;
  const PostResult result =
      PostOnce(poster, Request("http://localhost:" + std::to_string(server.port()) + "/hook"));
  CHECK(result.status == 200);
  const std::vector<std::string> seen = server.Requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].find("\r\nHost: localhost:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
}

TEST_CASE("plain http: connection refused") {
  PlainHttpPoster poster;
  const std::string endpoint = "127.0.0.1:" + std::to_string(ClosedPort());
  const PostResult result = PostOnce(poster, Request("http://" + endpoint + "/hook"));
  CHECK(result.status == 0);
  CHECK(result.transport_failed());
  CHECK_FALSE(result.timed_out);
  CHECK_FALSE(result.aborted);
  CHECK(result.error == "connection refused to " + endpoint);
}

TEST_CASE("plain http: a connection closed right after accept is reported") {
  ScriptedServer server([](std::size_t) { return Ok(); }, /*close_on_accept=*/true);
  PlainHttpPoster poster;
  const PostResult result = PostOnce(poster, Request(server.Url()));
  CHECK(result.status == 0);
  CHECK_FALSE(result.error.empty());
  CHECK_FALSE(result.timed_out);
  CHECK(server.accepted() == 1);  // a fresh connection is not retried
}

TEST_CASE("plain http: a server that never answers times out") {
  ScriptedServer server([](std::size_t) { return Never(); });
  PlainHttpPoster poster;
  PostRequest request = Request(server.Url());
  request.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const PostResult result = PostOnce(poster, request);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(result.status == 0);
  CHECK(result.timed_out);
  CHECK_FALSE(result.aborted);
  CHECK(result.error == "timeout after 300 ms");
}

TEST_CASE("plain http: the stop flag aborts a blocked post") {
  ScriptedServer server([](std::size_t) { return Never(); });
  PlainHttpPoster poster;
  PostRequest request = Request(server.Url());
  request.timeout = 10s;
  std::atomic<bool> stop{false};
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const PostResult result = poster.Post(request, stop);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  CHECK(elapsed < 5s);
  CHECK(result.aborted);
  CHECK_FALSE(result.timed_out);
  CHECK(result.status == 0);
}

TEST_CASE("plain http: CR or LF in a header is rejected before anything is sent") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster poster;
  PostRequest bad_value = Request(server.Url());
  bad_value.headers = {{"webhook-id", "msg_1\r\nX-Injected: yes"}};
  PostResult result = PostOnce(poster, bad_value);
  CHECK(result.status == 0);
  CHECK_FALSE(result.error.empty());

  PostRequest bad_name = Request(server.Url());
  bad_name.headers = {{"X-A\nX-B", "v"}};
  result = PostOnce(poster, bad_name);
  CHECK(result.status == 0);
  CHECK_FALSE(result.error.empty());

  PostRequest duplicate = Request(server.Url());
  duplicate.headers = {{"content-length", "5"}};
  CHECK_FALSE(PostOnce(poster, duplicate).error.empty());

  // A good post afterwards is the first and only request the server saw.
  REQUIRE(PostOnce(poster, Request(server.Url())).status == 200);
  CHECK(server.accepted() == 1);
  CHECK(server.Requests().size() == 1);
}

TEST_CASE("plain http: bind address") {
  ScriptedServer server([](std::size_t) { return Ok(); });
  PlainHttpPoster bound("127.0.0.1");
  CHECK(PostOnce(bound, Request(server.Url())).status == 200);

  PlainHttpPoster invalid("not-an-address");
  const PostResult result = PostOnce(invalid, Request(server.Url()));
  CHECK(result.status == 0);
  CHECK(result.error == "invalid bind address 'not-an-address'");
}

TEST_CASE("plain http: malformed and oversized responses are errors") {
  SECTION("malformed") {
    ScriptedServer server([](std::size_t) { return Send("SMTP ready\r\n\r\n"); });
    PlainHttpPoster poster;
    const PostResult result = PostOnce(poster, Request(server.Url()));
    CHECK(result.status == 0);
    CHECK(result.error.rfind("malformed response: ", 0) == 0);
  }
  SECTION("too large") {
    ScriptedServer server([](std::size_t) {
      return Send("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n" + std::string(1200000, 'x'));
    });
    PlainHttpPoster poster;
    const PostResult result = PostOnce(poster, Request(server.Url()));
    CHECK(result.status == 0);
    CHECK(result.error.rfind("response too large", 0) == 0);
  }
  SECTION("truncated") {
    ScriptedServer server(
        [](std::size_t) { return Send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true); });
    PlainHttpPoster poster;
    const PostResult result = PostOnce(poster, Request(server.Url()));
    CHECK(result.status == 0);
    CHECK_FALSE(result.error.empty());
  }
}

TEST_CASE("plain http: https and invalid URLs fail without connecting") {
  PlainHttpPoster poster;
  PostResult result = PostOnce(poster, Request("https://127.0.0.1:1/hook"));
  CHECK(result.status == 0);
  CHECK_FALSE(result.error.empty());
  result = PostOnce(poster, Request("http:///hook"));
  CHECK(result.error == "invalid URL: no host");
}

}  // namespace picket::delivery
