/* cradle-credentials.c: who the engine signs in as, a password held in wiped memory */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

struct _CradleCredentials
{
  GObject               parent_instance;

  /* Owned */
  CradleCredentialsKind kind;
  char                 *user;
  char                 *password;     /* wiped before it is freed */
  char                 *ccache_name;
};

G_DEFINE_FINAL_TYPE (CradleCredentials, cradle_credentials, G_TYPE_OBJECT)

static const char * const kind_names[] = { "kerberos", "password", "none" };

const char *
cradle_credentials_kind_to_string (CradleCredentialsKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), NULL);
  return kind_names[kind];
}

gboolean
cradle_credentials_kind_from_string (const char            *name,
                                     CradleCredentialsKind *kind)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (kind_names); i++)
    {
      if (g_ascii_strcasecmp (name, kind_names[i]) == 0)
        {
          *kind = (CradleCredentialsKind) i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
cradle_credentials_finalize (GObject *object)
{
  CradleCredentials *self = CRADLE_CREDENTIALS (object);

  g_clear_pointer (&self->password, cradle_secret_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->ccache_name, g_free);
  G_OBJECT_CLASS (cradle_credentials_parent_class)->finalize (object);
}

static void
cradle_credentials_class_init (CradleCredentialsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_credentials_finalize;
}

static void
cradle_credentials_init (CradleCredentials *self)
{
  self->kind = CRADLE_CREDENTIALS_NONE;
}

CradleCredentials *
cradle_credentials_new_kerberos (const char *ccache_name)
{
  CradleCredentials *self = g_object_new (CRADLE_TYPE_CREDENTIALS, NULL);

  self->kind = CRADLE_CREDENTIALS_KERBEROS;
  self->ccache_name = g_strdup (ccache_name);
  return self;
}

CradleCredentials *
cradle_credentials_new_password (const char *user,
                                 const char *password)
{
  CradleCredentials *self;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_CREDENTIALS, NULL);
  self->kind = CRADLE_CREDENTIALS_PASSWORD;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  return self;
}

CradleCredentials *
cradle_credentials_new_none (void)
{
  return g_object_new (CRADLE_TYPE_CREDENTIALS, NULL);
}

CradleCredentialsKind
cradle_credentials_get_kind (CradleCredentials *self)
{
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (self), CRADLE_CREDENTIALS_NONE);
  return self->kind;
}

const char *
cradle_credentials_get_user (CradleCredentials *self)
{
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (self), NULL);
  return self->user;
}

const char *
cradle_credentials_get_ccache_name (CradleCredentials *self)
{
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (self), NULL);
  return self->ccache_name;
}

void
cradle_credentials_apply_to_directory (CradleCredentials *self,
                                       CradleDirectory   *directory)
{
  g_return_if_fail (CRADLE_IS_CREDENTIALS (self));
  g_return_if_fail (CRADLE_IS_DIRECTORY (directory));

  switch (self->kind)
    {
    case CRADLE_CREDENTIALS_KERBEROS:
      cradle_directory_set_credential_cache (directory, self->ccache_name);
      break;
    case CRADLE_CREDENTIALS_PASSWORD:
      cradle_directory_set_password (directory, self->user, self->password);
      break;
    case CRADLE_CREDENTIALS_NONE:
    default:
      break;
    }
}

void
cradle_credentials_apply_to_connector (CradleCredentials *self,
                                       CradleCaConnector *connector)
{
  g_return_if_fail (CRADLE_IS_CREDENTIALS (self));
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (connector));

  switch (self->kind)
    {
    case CRADLE_CREDENTIALS_KERBEROS:
      cradle_ca_connector_set_kerberos (connector, self->ccache_name);
      break;
    case CRADLE_CREDENTIALS_PASSWORD:
      cradle_ca_connector_set_password (connector, self->user, self->password);
      break;
    case CRADLE_CREDENTIALS_NONE:
    default:
      break;
    }
}
