#pragma once

// libcurl, loaded with dlopen on first use instead of linked: an agent that
// never makes an https call (plain http webhooks go through PlainHttpPoster)
// does not map libcurl and the ~25 libraries it pulls in (TLS stacks,
// Kerberos, LDAP, ...), about 5.6 MB of RSS per agent. The CLI subcommands
// (members, watch, leave, tags) and https webhooks load it.
//
// Thread safety: Curl() may be called from any thread; it loads the library
// and runs curl_global_init exactly once.

#include <curl/curl.h>

#include <string>

#include "common/expected.h"

namespace picket::delivery {

// The libcurl entry points picket uses, resolved from libcurl.so.4.
struct CurlApi {
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The loaded library, or why it cannot be loaded ("libcurl.so.4: cannot
// open shared object file ...").
[[nodiscard]] Expected<const CurlApi*> Curl();

// True once Curl() loaded the library in this process (for tests and the
// footprint check).
bool CurlLoaded();

}  // namespace picket::delivery
