/* cradle-cert-status.c: one certificate's status, a snapshot for the app and cradlectl */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"

G_DEFINE_FINAL_TYPE (CradleCertStatus, cradle_cert_status, G_TYPE_OBJECT)

static void
cradle_cert_status_finalize (GObject *object)
{
  CradleCertStatus *self = CRADLE_CERT_STATUS (object);

  g_free (self->store);
  g_free (self->scope);
  g_clear_pointer (&self->der, g_bytes_unref);
  g_free (self->subject);
  g_free (self->issuer);
  g_free (self->serial);
  g_free (self->sha256);
  g_free (self->type_name);
  g_free (self->renewal_rule);
  g_free (self->revocation_detail);
  G_OBJECT_CLASS (cradle_cert_status_parent_class)->finalize (object);
}

static void
cradle_cert_status_class_init (CradleCertStatusClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_cert_status_finalize;
}

static void
cradle_cert_status_init (CradleCertStatus *self)
{
  self->revocation = CRADLE_REVOCATION_NOT_CHECKED;
  self->revocation_reason = -1;
}

CradleCertStatus *
cradle_cert_status_new (void)
{
  return g_object_new (CRADLE_TYPE_CERT_STATUS, NULL);
}

const char *
cradle_cert_verdict_to_string (CradleCertVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CERT_VERDICT_VALID: return "valid";
    case CRADLE_CERT_VERDICT_RENEW_SOON: return "renew-soon";
    case CRADLE_CERT_VERDICT_EXPIRED: return "expired";
    case CRADLE_CERT_VERDICT_REVOKED: return "revoked";
    case CRADLE_CERT_VERDICT_UNKNOWN: return "unknown";
    default: return "unknown";
    }
}

const char *
cradle_revocation_state_to_string (CradleRevocationState state)
{
  switch (state)
    {
    case CRADLE_REVOCATION_NOT_CHECKED: return "not-checked";
    case CRADLE_REVOCATION_GOOD: return "good";
    case CRADLE_REVOCATION_REVOKED: return "revoked";
    case CRADLE_REVOCATION_UNKNOWN: return "unknown";
    default: return "unknown";
    }
}

const char *
cradle_revocation_reason_to_string (int reason)
{
  /* RFC 5280 5.3.1 CRLReason; 7 is not used. */
  static const char * const names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
    "aACompromise",
  };

  if (reason < 0)
    return "unspecified";
  if ((gsize) reason >= G_N_ELEMENTS (names) || names[reason] == NULL)
    return "unknown reason";
  return names[reason];
}

const char *
cradle_cert_status_get_store (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->store;
}

const char *
cradle_cert_status_get_scope (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->scope;
}

GBytes *
cradle_cert_status_get_der (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->der;
}

const char *
cradle_cert_status_get_subject (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->subject;
}

const char *
cradle_cert_status_get_issuer (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->issuer;
}

const char *
cradle_cert_status_get_serial (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->serial;
}

const char *
cradle_cert_status_get_sha256 (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->sha256;
}

const char *
cradle_cert_status_get_type_name (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->type_name;
}

CradleCertOrigin
cradle_cert_status_get_origin (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), CRADLE_CERT_ORIGIN_NONE);
  return self->origin;
}

gint64
cradle_cert_status_get_not_before (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), 0);
  return self->not_before;
}

gint64
cradle_cert_status_get_not_after (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), 0);
  return self->not_after;
}

gint64
cradle_cert_status_get_renew_at (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), 0);
  return self->renew_at;
}

const char *
cradle_cert_status_get_renewal_rule (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->renewal_rule;
}

CradleRevocationState
cradle_cert_status_get_revocation (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), CRADLE_REVOCATION_NOT_CHECKED);
  return self->revocation;
}

const char *
cradle_cert_status_get_revocation_method (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->revocation_method;
}

gboolean
cradle_cert_status_get_revocation_cached (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), FALSE);
  return self->revocation_cached;
}

gint64
cradle_cert_status_get_revoked_at (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), 0);
  return self->revoked_at;
}

int
cradle_cert_status_get_revocation_reason (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), -1);
  return self->revocation_reason;
}

const char *
cradle_cert_status_get_revocation_detail (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), NULL);
  return self->revocation_detail;
}

gint64
cradle_cert_status_get_revocation_next_update (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), 0);
  return self->revocation_next_update;
}

CradleCertVerdict
cradle_cert_status_get_verdict (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), CRADLE_CERT_VERDICT_UNKNOWN);
  return self->verdict;
}

gboolean
cradle_cert_status_get_has_key (CradleCertStatus *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_STATUS (self), FALSE);
  return self->has_key;
}

static gboolean
is_of_type (CradleCertStatus *status,
            CradleCertType   *type)
{
  const char *template_name = cradle_cert_type_get_template_name (type);

  switch (status->origin)
    {
    case CRADLE_CERT_ORIGIN_INSTALLED:
      return g_strcmp0 (status->type_name, cradle_cert_type_get_name (type)) == 0;
    case CRADLE_CERT_ORIGIN_TEMPLATE:
      return template_name != NULL && g_strcmp0 (status->type_name, template_name) == 0;
    case CRADLE_CERT_ORIGIN_NONE:
    default:
      return FALSE;
    }
}

CradleCertStatus *
cradle_cert_status_find_held (GPtrArray      *statuses,
                              CradleCertType *type)
{
  g_return_val_if_fail (statuses != NULL, NULL);
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (type), NULL);

  for (guint i = 0; i < statuses->len; i++)
    {
      CradleCertStatus *status = g_ptr_array_index (statuses, i);

      if (g_strcmp0 (status->store, "MY") != 0 || !status->has_key || !is_of_type (status, type))
        continue;
      if (status->verdict == CRADLE_CERT_VERDICT_VALID || status->verdict == CRADLE_CERT_VERDICT_RENEW_SOON ||
          status->verdict == CRADLE_CERT_VERDICT_UNKNOWN)
        return status;
    }
  return NULL;
}
