// The libcurl poster (https webhooks), exercised over plain http against the
// test receiver: the same request and result contract as PlainHttpPoster.

#include "delivery/curl_http_poster.h"

#include <catch2/catch.hpp>

#include "delivery/curl_library.h"
#include "webhook_test_receiver.h"

namespace picket::delivery {
namespace {

PostRequest Request(const std::string& url) {
  PostRequest request;
  request.url = url;
  request.headers = {{"Content-Type", "application/cloudevents+json"}, {"webhook-id", "msg_1"}};
  request.body = R"({"id":"msg_1"})";
  request.timeout = std::chrono::milliseconds(10'000);
  return request;
}

}  // namespace

TEST_CASE("curl poster: posts headers and body, reads status and Retry-After",
          "[delivery][webhook]") {
  testing::TestReceiver receiver([](std::size_t n) {
    return n == 0 ? testing::ScriptedAnswer{200, ""}
                  : testing::ScriptedAnswer{503, "Retry-After: 7\r\n"};
  });
  CurlHttpPoster poster;
  const std::atomic<bool> stop{false};
  const PostResult ok = poster.Post(Request(receiver.Url()), stop);
  CHECK(CurlLoaded());
  CHECK(ok.status == 200);
  CHECK(ok.error.empty());
  CHECK_FALSE(ok.transport_failed());
  REQUIRE(receiver.WaitFor(1));
  const auto requests = receiver.Requests();
  CHECK(requests[0].body == R"({"id":"msg_1"})");
  CHECK(requests[0].headers.at("content-type") == "application/cloudevents+json");
  CHECK(requests[0].headers.at("webhook-id") == "msg_1");
  CHECK(requests[0].headers.at("user-agent") == "picket-webhooks/1");
  CHECK(requests[0].headers.count("expect") == 0);

  const PostResult busy = poster.Post(Request(receiver.Url()), stop);
  CHECK(busy.status == 503);
  CHECK(busy.retry_after == "7");
}

TEST_CASE("curl poster: a refused connection is a transport failure", "[delivery][webhook]") {
  std::string url;
  {
    testing::TestReceiver closed;  // a port that was just free
    url = closed.Url();
  }
  CurlHttpPoster poster;
  const std::atomic<bool> stop{false};
  const PostResult result = poster.Post(Request(url), stop);
  CHECK(result.transport_failed());
  CHECK_FALSE(result.timed_out);
  CHECK_FALSE(result.aborted);
  CHECK_FALSE(result.error.empty());
}

TEST_CASE("curl poster: a stop request aborts at once", "[delivery][webhook]") {
  testing::TestReceiver receiver;
  CurlHttpPoster poster;
  const std::atomic<bool> stop{true};
  const PostResult result = poster.Post(Request(receiver.Url()), stop);
  CHECK(result.aborted);
  CHECK(result.transport_failed());
}

}  // namespace picket::delivery
