/* cradle-curl-private.h: libcurl, opened when the first exchange needs it
 * (cradle-dlopen-private.h says why) */
#pragma once

#include <curl/curl.h>
#include <glib.h>

#include "base/cradle-dlopen-private.h"

G_BEGIN_DECLS

#define CRADLE_CURL_SYMBOLS(X) \
  X (curl_easy_cleanup)        \
  X (curl_easy_getinfo)        \
  X (curl_easy_init)           \
  X (curl_easy_perform)        \
  X (curl_easy_reset)          \
  X (curl_easy_setopt)         \
  X (curl_easy_strerror)       \
  X (curl_getdate)             \
  X (curl_global_init)         \
  X (curl_slist_append)        \
  X (curl_slist_free_all)      \
  X (curl_version)

CRADLE_CURL_SYMBOLS (CRADLE_DLOPEN_DECLARE)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, sym_curl_easy_cleanup)

/* Opens libcurl and initialises it, once per process. */
gboolean cradle_curl_load (GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
