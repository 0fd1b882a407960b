#include "api/view_publisher.h"

#include <catch2/catch.hpp>
#include <thread>

#include "api_test_util.h"

namespace picket::api {
namespace {

TEST_CASE("the publisher hands out the latest view", "[api][publisher]") {
  ViewPublisher publisher;
  CHECK(publisher.Latest() == nullptr);
  CHECK(publisher.version() == 0);
  auto first = testing::MakeView({"a"});
  publisher.Publish(first);
  CHECK(publisher.Latest() == first);
  auto second = testing::MakeView({"a", "b"});
  publisher.Publish(second);
  CHECK(publisher.Latest() == second);
  CHECK(publisher.version() == 2);
  CHECK(first->members.size() == 1);  // a reader's old view stays valid
}

TEST_CASE("publishing and reading from different threads is safe", "[api][publisher]") {
  ViewPublisher publisher;
  publisher.Publish(testing::MakeView({"a"}));
  constexpr int kViews = 2000;
  std::thread writer([&] {
    for (int i = 1; i <= kViews; ++i) {
      auto view = testing::MakeView({"a"});
      view->health_score = i;
      publisher.Publish(std::move(view));
    }
  });
  int last = 0;
  while (last < kViews) {
    const ClusterViewPtr view = publisher.Latest();
    REQUIRE(view->health_score >= last);  // never goes back
    last = view->health_score;
  }
  writer.join();
}

}  // namespace
}  // namespace picket::api
