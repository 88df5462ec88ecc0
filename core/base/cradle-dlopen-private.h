/* cradle-dlopen-private.h: libraries bound when a stage first needs them
 *
 * libcurl, libxml2 and libldap bring about thirty libraries with them
 * (GnuTLS, p11-kit, ICU, libstdc++, nghttp2, ...).  Linked at start, every
 * cradlectl and app process binds them all before main(), whether it talks
 * HTTP, parses XML or reads the directory or not: the dynamic loader was
 * half of `cradlectl templates`' instructions.  Each is opened instead the
 * first time its stage runs (systemd's dlopen_many_sym_or_warn() pattern),
 * and its functions are called through sym_ pointers resolved then. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;     /* as the library exports it */
  gpointer   *address;  /* where the resolved address goes */
} CradleDlopenSymbol;

typedef struct
{
  const char               *soname;   /* "libcurl.so.4" */
  const char               *package;  /* the Debian package that ships it */
  const CradleDlopenSymbol *symbols;  /* ended by { NULL, NULL } */
  /* private */
  gsize                     once;
  char                     *failure;
} CradleDlopenLibrary;

/* Opens @library once per process and resolves all of its symbols; later
 * calls return the first call's answer.  Thread-safe. */
gboolean cradle_dlopen_library (CradleDlopenLibrary *library,
                                GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* For a library's header: X (function) for each function called through a
 * sym_ pointer, declared with the function's own type. */
#define CRADLE_DLOPEN_DECLARE(name) extern __typeof__ (name) *sym_##name;
#define CRADLE_DLOPEN_DEFINE(name)  __typeof__ (name) *sym_##name;
#define CRADLE_DLOPEN_ENTRY(name)   { #name, (gpointer *) &sym_##name },

G_END_DECLS
