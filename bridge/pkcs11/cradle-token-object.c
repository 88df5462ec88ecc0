/* cradle-token-object.c: finding a token's objects and reading their
 * attributes, bounded (see cradle-token-private.h) */
#include "config.h"

#include <cradle/cradle.h>

#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

gboolean
_cradle_token_find_objects (CradleToken   *self,
                            CK_ATTRIBUTE  *template,
                            CK_ULONG       n_template,
                            GArray       **handles,
                            GError       **error)
{
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (CK_OBJECT_HANDLE));
  CK_OBJECT_HANDLE batch[32];
  CK_ULONG n = 0;
  CK_RV rv;

  if (!_cradle_token_ensure_session (self, error))
    return FALSE;
  rv = self->module->C_FindObjectsInit (self->session, template, n_template);
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "look for objects on the token");
      return FALSE;
    }
  do
    {
      rv = self->module->C_FindObjects (self->session, batch, G_N_ELEMENTS (batch), &n);
      if (rv != CKR_OK)
        break;
      n = MIN (n, G_N_ELEMENTS (batch));
      g_array_append_vals (found, batch, n);
    }
  while (n > 0 && found->len < CRADLE_TOKEN_MAX_OBJECTS);
  self->module->C_FindObjectsFinal (self->session);
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "look for objects on the token");
      return FALSE;
    }
  if (found->len > CRADLE_TOKEN_MAX_OBJECTS)
    g_array_set_size (found, CRADLE_TOKEN_MAX_OBJECTS);
  *handles = g_steal_pointer (&found);
  return TRUE;
}

GBytes *
_cradle_token_read_attribute (CradleToken       *self,
                              CK_OBJECT_HANDLE   object,
                              CK_ATTRIBUTE_TYPE  type,
                              GError           **error)
{
  CK_ATTRIBUTE attribute = { type, NULL, 0 };
  g_autofree guint8 *value = NULL;
  CK_RV rv;

  rv = self->module->C_GetAttributeValue (self->session, object, &attribute, 1);
  if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID
      || attribute.ulValueLen == CK_UNAVAILABLE_INFORMATION)
    return NULL;
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "read an object on the token");
      return NULL;
    }
  if (attribute.ulValueLen > CRADLE_TOKEN_MAX_ATTRIBUTE_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "An object on the token has an attribute of %lu bytes; Cradle reads at most %d",
                   (gulong) attribute.ulValueLen, CRADLE_TOKEN_MAX_ATTRIBUTE_SIZE);
      return NULL;
    }
  value = g_malloc0 (MAX (attribute.ulValueLen, 1));
  attribute.pValue = value;
  rv = self->module->C_GetAttributeValue (self->session, object, &attribute, 1);
  if (rv != CKR_OK || attribute.ulValueLen > CRADLE_TOKEN_MAX_ATTRIBUTE_SIZE)
    {
      _cradle_token_set_error (self, error, rv != CKR_OK ? rv : CKR_GENERAL_ERROR,
                               "read an object on the token");
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&value), attribute.ulValueLen);
}

gboolean
_cradle_token_read_ulong (CradleToken       *self,
                          CK_OBJECT_HANDLE   object,
                          CK_ATTRIBUTE_TYPE  type,
                          CK_ULONG          *value)
{
  CK_ATTRIBUTE attribute = { type, value, sizeof *value };

  return self->module->C_GetAttributeValue (self->session, object, &attribute, 1) == CKR_OK
         && attribute.ulValueLen == sizeof *value;
}

gboolean
_cradle_token_read_bool (CradleToken       *self,
                         CK_OBJECT_HANDLE   object,
                         CK_ATTRIBUTE_TYPE  type,
                         gboolean          *value)
{
  CK_BBOOL b = CK_FALSE;
  CK_ATTRIBUTE attribute = { type, &b, sizeof b };

  if (self->module->C_GetAttributeValue (self->session, object, &attribute, 1) != CKR_OK
      || attribute.ulValueLen != sizeof b)
    return FALSE;
  *value = b != CK_FALSE;
  return TRUE;
}

gboolean
_cradle_token_find_by_id (CradleToken      *self,
                          CK_OBJECT_CLASS   klass,
                          GBytes           *id,
                          CK_OBJECT_HANDLE *object,
                          GError          **error)
{
  gsize id_size = 0;
  gconstpointer id_data = g_bytes_get_data (id, &id_size);
  CK_ATTRIBUTE template[] = {
    { CKA_CLASS, &klass, sizeof klass },
    { CKA_ID, (void *) id_data, id_size },
  };
  g_autoptr(GArray) handles = NULL;

  if (!_cradle_token_find_objects (self, template, G_N_ELEMENTS (template), &handles, error))
    return FALSE;
  if (handles->len == 0)
    {
      *object = CK_INVALID_HANDLE;
      return TRUE;
    }
  *object = g_array_index (handles, CK_OBJECT_HANDLE, 0);
  return TRUE;
}
