#include "sim/table_memory.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory_resource>
#include <vector>

namespace picket::sim {
namespace {

TEST_CASE("TableMemory: large blocks are aligned, distinct, writable and reused",
          "[sim][table_memory]") {
  TableMemory memory(4096);
  void* a = memory.allocate(100000, 8);
  void* b = memory.allocate(100000, 8);
  CHECK(a != b);
  CHECK(reinterpret_cast<std::uintptr_t>(a) % 64 == 0);
  CHECK(memory.mapped_bytes() > 0);
  std::vector<char*> blocks{static_cast<char*>(a), static_cast<char*>(b)};
  for (char* p : blocks) {
    for (std::size_t i = 0; i < 100000; ++i) p[i] = static_cast<char>(i);
  }
  CHECK(static_cast<char*>(a)[99999] == static_cast<char>(99999));
  memory.deallocate(a, 100000, 8);
  void* c = memory.allocate(99990, 8);  // same rounded size: the freed block
  CHECK(c == a);
  memory.deallocate(b, 100000, 8);
  memory.deallocate(c, 99990, 8);
}

TEST_CASE("TableMemory: small blocks and blocks past a region", "[sim][table_memory]") {
  TableMemory memory(4096);
  void* small = memory.allocate(16, 8);  // default allocator
  CHECK(small != nullptr);
  memory.deallocate(small, 16, 8);
  void* big = memory.allocate(std::size_t{3} << 30, 64);  // larger than one region
  CHECK(big != nullptr);
  static_cast<char*>(big)[0] = 1;
  memory.deallocate(big, std::size_t{3} << 30, 64);
}

TEST_CASE("TableMemory: backs pmr vectors that grow and shrink", "[sim][table_memory]") {
  TableMemory memory(4096);
  std::pmr::vector<std::uint64_t> v(&memory);
  for (std::uint64_t i = 0; i < 100000; ++i) v.push_back(i);
  std::pmr::vector<std::uint64_t> w(v.begin(), v.end(), &memory);
  v.clear();
  v.shrink_to_fit();
  CHECK(w.size() == 100000);
  CHECK(w[77777] == 77777);
}

}  // namespace
}  // namespace picket::sim
