#include "sim/table_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace picket::sim {
namespace {

// Blocks are rounded to cache lines (and so aligned to them).
constexpr std::size_t kLine = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kRegion = std::size_t{1} << 30;  // virtual; touched lazily

}  // namespace

TableMemory::TableMemory(std::size_t min_block) : min_block_(min_block) {}

TableMemory::~TableMemory() {
  for (const auto& [base, size] : regions_) munmap(base, size);
}

std::size_t TableMemory::Rounded(std::size_t bytes) { return (bytes + kLine - 1) & ~(kLine - 1); }

void TableMemory::MapRegion(std::size_t at_least) {
  // Over-map by one huge page so that the usable part starts 2 MiB-aligned.
  const std::size_t size = std::max(kRegion, Rounded(at_least)) + kHugePage;
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  regions_.emplace_back(base, size);
  mapped_ += size;
  const auto start = (reinterpret_cast<std::uintptr_t>(base) + kHugePage - 1) & ~(kHugePage - 1);
  next_ = reinterpret_cast<char*>(start);
  end_ = static_cast<char*>(base) + size;
#ifdef MADV_HUGEPAGE
  // Advice only: without transparent huge pages this is plain memory.
  madvise(next_, static_cast<std::size_t>(end_ - next_), MADV_HUGEPAGE);
#endif
}

void* TableMemory::do_allocate(std::size_t bytes, std::size_t alignment) {
  if (bytes < min_block_ || alignment > kLine) {
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  const std::size_t size = Rounded(bytes);
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    return p;
  }
  if (next_ == nullptr || static_cast<std::size_t>(end_ - next_) < size) MapRegion(size);
  void* p = next_;
  next_ += size;
  return p;
}

void TableMemory::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
  if (bytes < min_block_ || alignment > kLine) {
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
    return;
  }
  free_[Rounded(bytes)].push_back(p);
}

}  // namespace picket::sim
