/* cradle-error-private.h: the detail a CRADLE_ERROR carries */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* CRADLE_ERROR is an extended error domain: each error has room for the
 * precise cause (a CradleExplainKind and its code), set by the module
 * that knows it; see cradle_explain_set_detail(). */
typedef struct {
  gboolean set;
  guint    kind;
  guint32  code;
} CradleErrorDetail;

/* %NULL unless @error is in CRADLE_ERROR. */
CradleErrorDetail *cradle_error_get_detail (const GError *error);

/* G_IO_ERROR, found by the name GIO registers it under: the agent, which
 * links no GIO, reports a cancelled request (G_IO_ERROR_CANCELLED) in the
 * same domain as the host. */
#define CRADLE_GIO_ERROR (cradle_gio_error_quark ())
GQuark cradle_gio_error_quark (void);

G_END_DECLS
