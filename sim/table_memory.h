#pragma once

// Memory for the simulated members' tables: large blocks (the N-entry arrays
// of every member table; N^2 entries in all) carved from big regions backed
// by transparent huge pages where the kernel allows them (madvise).
//
// Why: 10,000 members hold 10^8 table entries, several GB written once at
// warm start and then read at random. With 4 KiB pages that is about a
// million page faults (expensive under virtualization) and a TLB miss on
// nearly every access; 2 MiB pages remove most of both. Small blocks go to
// the default allocator. Addresses never reach the simulation's output, so
// this changes no result.
//
// Thread safety: none; one thread owns a simulation.

#include <cstddef>
#include <map>
#include <memory_resource>
#include <utility>
#include <vector>

namespace picket::sim {

class TableMemory final : public std::pmr::memory_resource {
 public:
  // Blocks of at least `min_block` bytes come from the huge-page regions.
  explicit TableMemory(std::size_t min_block = 4096);
  ~TableMemory() override;
  TableMemory(const TableMemory&) = delete;
  TableMemory& operator=(const TableMemory&) = delete;

  // Bytes of the regions mapped so far (virtual; pages are touched lazily).
  [[nodiscard]] std::size_t mapped_bytes() const { return mapped_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  [[nodiscard]] bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  [[nodiscard]] static std::size_t Rounded(std::size_t bytes);
  void MapRegion(std::size_t at_least);

  std::size_t min_block_;
  // Freed large blocks by rounded size, reused first (tables are sized
  // alike: a block freed by a crashed member fits its restart).
  std::map<std::size_t, std::vector<void*>> free_;
  std::vector<std::pair<void*, std::size_t>> regions_;  // as mapped
  char* next_ = nullptr;                                // bump pointer in the newest region
  char* end_ = nullptr;
  std::size_t mapped_ = 0;
};

}  // namespace picket::sim
