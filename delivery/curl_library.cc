#include "delivery/curl_library.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

namespace picket::delivery {
namespace {

constexpr const char* kLibrary = "libcurl.so.4";

struct Loaded {
  CurlApi api{};
  Status status = Fail("not loaded");
};

std::atomic<bool> g_loaded{false};

template <typename Fn>
Status Resolve(void* handle, const char* name, Fn& out) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) return Fail(std::string(kLibrary) + ": no symbol " + name);
  out = reinterpret_cast<Fn>(symbol);
  return {};
}

Loaded Load() {
  Loaded loaded;
  // Never unloaded: libcurl registers thread-local and atexit state.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    loaded.status = Fail(why != nullptr ? why : std::string("cannot load ") + kLibrary);
    return loaded;
  }
  CurlApi& a = loaded.api;
  decltype(&::curl_global_init) global_init = nullptr;
  for (const Status& resolved :
       {Resolve(handle, "curl_global_init", global_init),
        Resolve(handle, "curl_easy_init", a.easy_init),
        Resolve(handle, "curl_easy_cleanup", a.easy_cleanup),
        Resolve(handle, "curl_easy_reset", a.easy_reset),
        Resolve(handle, "curl_easy_setopt", a.easy_setopt),
        Resolve(handle, "curl_easy_perform", a.easy_perform),
        Resolve(handle, "curl_easy_getinfo", a.easy_getinfo),
        Resolve(handle, "curl_easy_strerror", a.easy_strerror),
        Resolve(handle, "curl_slist_append", a.slist_append),
        Resolve(handle, "curl_slist_free_all", a.slist_free_all)}) {
    if (!resolved) {
      loaded.status = resolved;
      return loaded;
    }
  }
  if (const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    loaded.status = Fail("curl_global_init failed (" + std::to_string(static_cast<int>(rc)) + ")");
    return loaded;
  }
  loaded.status = {};
  g_loaded.store(true);
  return loaded;
}

}  // namespace

Expected<const CurlApi*> Curl() {
  static const Loaded loaded = Load();  // thread-safe, once
  if (!loaded.status) return Fail(loaded.status.error());
  return &loaded.api;
}

bool CurlLoaded() { return g_loaded.load(); }

}  // namespace picket::delivery
