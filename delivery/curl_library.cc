#include "delivery/curl_library.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

namespace picket::delivery {
namespace {

constexpr const char* kLibrary = "libcurl.so.4";

struct Loaded {
  CurlApi api{};
  bool ok = false;
  std::string error;
};

std::atomic<bool> g_loaded{false};

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn& out, std::string& error) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    error = std::string(kLibrary) + ": no symbol " + name;
    return false;
  }
  out = reinterpret_cast<Fn>(symbol);
  return true;
}

Loaded Load() {
  Loaded loaded;
  // Never unloaded: libcurl registers thread-local and atexit state.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    loaded.error = why != nullptr ? why : std::string("cannot load ") + kLibrary;
    return loaded;
  }
  CurlApi& a = loaded.api;
  decltype(&::curl_global_init) global_init = nullptr;
  std::string& e = loaded.error;
  const bool all = Resolve(handle, "curl_global_init", global_init, e) &&
                   Resolve(handle, "curl_easy_init", a.easy_init, e) &&
                   Resolve(handle, "curl_easy_cleanup", a.easy_cleanup, e) &&
                   Resolve(handle, "curl_easy_reset", a.easy_reset, e) &&
                   Resolve(handle, "curl_easy_setopt", a.easy_setopt, e) &&
                   Resolve(handle, "curl_easy_perform", a.easy_perform, e) &&
                   Resolve(handle, "curl_easy_getinfo", a.easy_getinfo, e) &&
                   Resolve(handle, "curl_easy_strerror", a.easy_strerror, e) &&
                   Resolve(handle, "curl_slist_append", a.slist_append, e) &&
                   Resolve(handle, "curl_slist_free_all", a.slist_free_all, e);
  if (!all) return loaded;
  if (const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    loaded.error = "curl_global_init failed (" + std::to_string(static_cast<int>(rc)) + ")";
    return loaded;
  }
  loaded.ok = true;
  g_loaded.store(true);
  return loaded;
}

}  // namespace

const CurlApi* Curl(std::string* error) {
  static const Loaded loaded = Load();  // thread-safe, once
  if (!loaded.ok) {
    if (error != nullptr) *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

bool CurlLoaded() { return g_loaded.load(); }

}  // namespace picket::delivery
