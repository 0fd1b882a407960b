#pragma once

// A std::mutex annotated for clang's -Wthread-safety (leveldb's
// port/thread_annotations.h idea). With g++ the annotations expand to nothing;
// with clang they let the compiler check GUARDED_BY / REQUIRES contracts.

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define PICKET_API_TSA(x) __attribute__((x))
#else
#define PICKET_API_TSA(x)
#endif

#define PICKET_API_CAPABILITY(x) PICKET_API_TSA(capability(x))
#define PICKET_API_SCOPED_CAPABILITY PICKET_API_TSA(scoped_lockable)
#define PICKET_API_GUARDED_BY(x) PICKET_API_TSA(guarded_by(x))
#define PICKET_API_REQUIRES(...) PICKET_API_TSA(requires_capability(__VA_ARGS__))
#define PICKET_API_EXCLUDES(...) PICKET_API_TSA(locks_excluded(__VA_ARGS__))
#define PICKET_API_ACQUIRE(...) PICKET_API_TSA(acquire_capability(__VA_ARGS__))
#define PICKET_API_RELEASE(...) PICKET_API_TSA(release_capability(__VA_ARGS__))

namespace picket::api::detail {

// A non-recursive mutex. Thread-safe by definition.
class PICKET_API_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() PICKET_API_ACQUIRE() { mu_.lock(); }
  void Unlock() PICKET_API_RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for the lifetime of the scope.
class PICKET_API_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) PICKET_API_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() PICKET_API_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable used with a Mutex, which the caller must hold when
// calling WaitUntil. SignalAll may be called with or without it.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Waits until signalled or `deadline` passes (spurious wake-ups possible:
  // re-check the predicate). Returns false on timeout. `mu` is held again on
  // return.
  bool WaitUntil(Mutex& mu, std::chrono::steady_clock::time_point deadline)
      PICKET_API_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    const bool signalled = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();  // the caller keeps owning the mutex
    return signalled;
  }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace picket::api::detail
