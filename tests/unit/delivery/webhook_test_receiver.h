#pragma once

// A minimal HTTP/1.1 receiver for webhook delivery tests: plain POSIX
// sockets on 127.0.0.1 (ephemeral port), one request per connection
// ("Connection: close"), answers scripted per request, records what arrived.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace picket::delivery::testing {

struct ReceivedRequest {
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

struct ScriptedAnswer {
  int status = 200;
  std::string extra_headers;  // "Retry-After: 0\r\n"
};

class TestReceiver {
 public:
  // `answer(n)` gives the answer to the n-th request (0-based).
  explicit TestReceiver(std::function<ScriptedAnswer(std::size_t)> answer = {})
      : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  std::vector<ReceivedRequest> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Waits (bounded) until at least `n` requests arrived.
  bool WaitFor(std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  void Serve() {
    while (!stop_) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string data;
      char buffer[4096];
      std::size_t header_end = std::string::npos;
      std::size_t content_length = 0;
      while (true) {
        const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        if (header_end == std::string::npos) {
          header_end = data.find("\r\n\r\n");
          if (header_end != std::string::npos) content_length = ContentLength(data.substr(0, header_end));
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
      }
      ReceivedRequest request = Parse(data, header_end, content_length);
      std::size_t index = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        index = count_++;
      }
      const ScriptedAnswer answer = answer_ ? answer_(index) : ScriptedAnswer{};
      const std::string response = "HTTP/1.1 " + std::to_string(answer.status) +
                                   " X\r\nContent-Length: 0\r\nConnection: close\r\n" +
                                   answer.extra_headers + "\r\n";
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(std::move(request));
      }
      cv_.notify_all();
    }
  }

  static std::size_t ContentLength(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("content-length:");
    return at == std::string::npos ? 0 : std::stoul(lower.substr(at + 15));
  }

  static ReceivedRequest Parse(const std::string& data, std::size_t header_end,
                               std::size_t content_length) {
    ReceivedRequest request;
    if (header_end == std::string::npos) return request;
    std::size_t pos = data.find("\r\n") + 2;
    while (pos < header_end) {
      const std::size_t eol = data.find("\r\n", pos);
      const std::string line = data.substr(pos, eol - pos);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        request.headers[name] = value;
      }
      pos = eol + 2;
    }
    request.body = data.substr(header_end + 4, content_length);
    return request;
  }

  std::function<ScriptedAnswer(std::size_t)> answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  std::size_t count_ = 0;
  std::thread thread_;
};

}  // namespace picket::delivery::testing
