/* cradle-error.c: the CRADLE_ERROR domain */
#include "config.h"

#include <cradle/cradle.h>

#include "base/cradle-error-private.h"

/* An extended error domain (GLib 2.68) whose private part is the detail.
 * Written out rather than with G_DEFINE_EXTENDED_ERROR to keep the
 * domain's name, "cradle-error-quark". */
typedef struct {
  CradleErrorDetail detail;
} CradleErrorPrivate;

/* Where GLib puts the private part: before the GError, aligned as in
 * G_DEFINE_EXTENDED_ERROR. */
static CradleErrorPrivate *
get_private (const GError *error)
{
  const gsize alignment = 2 * sizeof (gsize);
  const gsize offset = (sizeof (CradleErrorPrivate) + (alignment - 1)) & ~(alignment - 1);

  return (CradleErrorPrivate *) (gpointer) (((guint8 *) error) - offset);
}

static void
private_init (GError *error)
{
  get_private (error)->detail = (CradleErrorDetail) { FALSE, 0, 0 };
}

static void
private_copy (const GError *source,
              GError       *destination)
{
  get_private (destination)->detail = get_private (source)->detail;
}

static void
private_clear (GError *error)
{
}

GQuark
cradle_error_quark (void)
{
  static GQuark quark;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      quark = g_error_domain_register_static ("cradle-error-quark", sizeof (CradleErrorPrivate),
                                              private_init, private_copy, private_clear);
      g_once_init_leave (&initialized, 1);
    }
  return quark;
}

GQuark
cradle_gio_error_quark (void)
{
  return g_quark_from_static_string ("g-io-error-quark");
}

CradleErrorDetail *
cradle_error_get_detail (const GError *error)
{
  if (error == NULL || error->domain != CRADLE_ERROR)
    return NULL;
  return &get_private (error)->detail;
}

/**
 * cradle_error_to_string:
 * @code: a #CradleError
 *
 * Returns: the code's stable name, for journals and `--json` output.
 */
const char *
cradle_error_to_string (CradleError code)
{
  switch (code)
    {
    case CRADLE_ERROR_FAILED: return "failed";
    case CRADLE_ERROR_NOT_FOUND: return "not-found";
    case CRADLE_ERROR_NOT_SUPPORTED: return "not-supported";
    case CRADLE_ERROR_INVALID_DATA: return "invalid-data";
    case CRADLE_ERROR_TIMED_OUT: return "timed-out";
    case CRADLE_ERROR_BUSY: return "busy";
    case CRADLE_ERROR_PERMISSION_DENIED: return "permission-denied";
    case CRADLE_ERROR_AUTH_FAILED: return "auth-failed";
    case CRADLE_ERROR_UNREACHABLE: return "unreachable";
    case CRADLE_ERROR_NOT_CONFIGURED: return "not-configured";
    case CRADLE_ERROR_DEVICE_GONE: return "device-gone";
    case CRADLE_ERROR_USER_DECLINED: return "user-declined";
    case CRADLE_ERROR_CA_DENIED: return "ca-denied";
    case CRADLE_ERROR_NOT_PAIRED: return "not-paired";
    default: return "unknown";
    }
}
