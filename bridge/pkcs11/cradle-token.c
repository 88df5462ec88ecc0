/* cradle-token.c: a PKCS#11 token: found, named by its URI, and its
 * failures in words (see cradle-token-private.h) */
#include "config.h"

#include <string.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <cradle/cradle.h>

#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-piv-private.h"
#include "pkcs11/cradle-token-private.h"

G_DEFINE_FINAL_TYPE (CradleToken, cradle_token, G_TYPE_OBJECT)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (P11KitUri, p11_kit_uri_free)

/* The most slots and mechanisms one module is asked for. */
#define MAX_SLOTS      256
#define MAX_MECHANISMS 4096

static void
cradle_token_finalize (GObject *object)
{
  CradleToken *self = CRADLE_TOKEN (object);

  cradle_token_close (self);
  g_clear_pointer (&self->modules, _cradle_token_modules_unref);
  g_free (self->uri);
  g_free (self->label);
  g_free (self->manufacturer);
  g_free (self->model);
  g_free (self->serial);
  g_free (self->module_name);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_token_parent_class)->finalize (object);
}

static void
cradle_token_class_init (CradleTokenClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_token_finalize;
}

static void
cradle_token_init (CradleToken *self)
{
  g_rec_mutex_init (&self->lock);
}

static char *
dup_field (const CK_UTF8CHAR *field,
           gsize              size)
{
  return g_strndup ((const char *) field, p11_kit_space_strlen (field, size));
}

static char *
format_uri (const CK_TOKEN_INFO *info)
{
  g_autoptr(P11KitUri) uri = p11_kit_uri_new ();
  char *string = NULL;

  memcpy (p11_kit_uri_get_token_info (uri), info, sizeof *info);
  if (p11_kit_uri_format (uri, P11_KIT_URI_FOR_TOKEN, &string) != P11_KIT_URI_OK)
    return NULL;
  return string;
}

static void
refresh_info (CradleToken         *self,
              const CK_TOKEN_INFO *info)
{
  self->info = *info;
  g_free (self->label);
  g_free (self->manufacturer);
  g_free (self->model);
  g_free (self->serial);
  self->label = dup_field (info->label, sizeof info->label);
  self->manufacturer = dup_field (info->manufacturerID, sizeof info->manufacturerID);
  self->model = dup_field (info->model, sizeof info->model);
  self->serial = dup_field (info->serialNumber, sizeof info->serialNumber);
  self->piv = cradle_piv_module_for_token (self->manufacturer, self->model, self->label,
                                           self->module_name);
  self->needs_officer = cradle_piv_needs_officer (self->piv);
}

CradleToken *
_cradle_token_new (CradleTokenModules  *modules,
                   guint                module_index,
                   CK_SLOT_ID           slot,
                   const CK_TOKEN_INFO *info)
{
  CradleToken *self = g_object_new (CRADLE_TYPE_TOKEN, NULL);

  self->modules = _cradle_token_modules_ref (modules);
  self->module = modules->lists[module_index];
  self->module_name = g_strdup (modules->names[module_index]);
  self->slot = slot;
  refresh_info (self, info);
  self->uri = format_uri (info);
  return self;
}

char *
_cradle_token_dup_name (CradleToken *self)
{
  return cradle_text_escape (self->label, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* ---- words for what went wrong ----------------------------------------- */

static const struct {
  CK_RV       rv;
  const char *name;
} rv_names[] = {
  { CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
  { CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
  { CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
  { CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
  { CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY" },
  { CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
  { CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
  { CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE" },
  { CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
  { CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
  { CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
  { CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
  { CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
  { CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
  { CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
  { CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
  { CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
  { CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
  { CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
  { CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
  { CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
  { CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
  { CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
  { CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
  { CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
  { CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
  { CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
  { CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
  { CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
  { CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID" },
  { CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
};

static char *
format_rv (CK_RV rv)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rv_names); i++)
    if (rv_names[i].rv == rv)
      return g_strdup_printf ("%s 0x%08lx", rv_names[i].name, (gulong) rv);
  return g_strdup_printf ("0x%08lx", (gulong) rv);
}

void
_cradle_token_set_error (CradleToken *self,
                         GError     **error,
                         CK_RV        rv,
                         const char  *doing)
{
  g_autofree char *name = _cradle_token_dup_name (self);
  g_autofree char *code = format_rv (rv);

  switch (rv)
    {
    case CKR_PIN_INCORRECT:
      switch (cradle_token_get_pin_state (self))
        {
        case CRADLE_TOKEN_PIN_FINAL_TRY:
          cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY,
                                    "The token '%s' did not accept the PIN, and one more wrong PIN "
                                    "locks it. Check the PIN carefully before you try again.", name);
          return;
        case CRADLE_TOKEN_PIN_COUNT_LOW:
          cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW,
                                    "The token '%s' did not accept the PIN, and few tries are left "
                                    "before it locks. Check the PIN before you try again.", name);
          return;
        case CRADLE_TOKEN_PIN_LOCKED:
          break;
        case CRADLE_TOKEN_PIN_NOT_NEEDED:
        case CRADLE_TOKEN_PIN_LOGGED_IN:
        case CRADLE_TOKEN_PIN_NEEDED:
        default:
          cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_PIN_INCORRECT,
                                    "The token '%s' did not accept the PIN. Check it and try "
                                    "again.", name);
          return;
        }
      G_GNUC_FALLTHROUGH;
    case CKR_PIN_LOCKED:
      cradle_explain_set_error (error, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_PIN_LOCKED,
                                "The PIN of the token '%s' is locked after too many wrong tries. "
                                "Its officer (the PUK or security officer PIN) can unlock it.", name);
      return;
    case CKR_USER_NOT_LOGGED_IN:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_PIN_REQUIRED,
                                "Could not %s: the token '%s' needs its PIN first.", doing, name);
      return;
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_DEVICE_ERROR:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_TOKEN_NOT_RECOGNIZED:
      break;
    case CKR_TOKEN_WRITE_PROTECTED:
    case CKR_SESSION_READ_ONLY:
      cradle_explain_set_error (error, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_WRITE_PROTECTED,
                                "Could not %s: the token '%s' is write-protected (%s).",
                                doing, name, code);
      return;
    case CKR_DEVICE_MEMORY:
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_TOKEN_FULL,
                                "Could not %s: the token '%s' has no room left (%s). Remove "
                                "objects it no longer needs, then try again.", doing, name, code);
      return;
    case CKR_USER_TYPE_INVALID:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_OFFICER_REQUIRED,
                                "Could not %s: the token '%s' needs its officer's login (the PIV "
                                "management key) for it (%s).", doing, name, code);
      return;
    default:
      if (cradle_token_is_present (self))
        {
          cradle_explain_set_error (error, CRADLE_ERROR_FAILED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_MODULE,
                                    "Could not %s: the module %s failed on the token '%s' (%s).",
                                    doing, self->module_name, name, code);
          return;
        }
      break;
    }

  /* Gone: whatever session there was went with it. */
  self->has_session = FALSE;
  self->logged_in = FALSE;
  cradle_explain_set_error (error, CRADLE_ERROR_DEVICE_GONE, CRADLE_EXPLAIN_TOKEN,
                            CRADLE_TOKEN_FAILURE_TOKEN_REMOVED,
                            "Could not %s: the token '%s' was removed or stopped answering (%s). "
                            "Insert it again, then try again.", doing, name, code);
}

/* ---- mechanisms -------------------------------------------------------- */

static gboolean
size_in_range (const CK_MECHANISM_INFO *info,
               CK_ULONG                 bits)
{
  CK_ULONG min = info->ulMinKeySize, max = info->ulMaxKeySize;

  /* Some modules give EC sizes in bytes. */
  if (max != 0 && max < 128 && bits % 8 == 0 && bits > max)
    bits /= 8;
  return bits >= min && (max == 0 || bits <= max);
}

gboolean
_cradle_token_read_mechanisms (CradleToken *self,
                               GError     **error)
{
  g_autofree CK_MECHANISM_TYPE *list = NULL;
  CK_ULONG n = 0;
  CK_MECHANISM_INFO rsa_gen = { 0 }, ec_gen = { 0 }, info;
  gboolean has_rsa_gen = FALSE, has_ec_gen = FALSE, has_rsa = FALSE, has_ecdsa = FALSE;
  CK_RV rv;

  rv = self->module->C_GetMechanismList (self->slot, NULL, &n);
  if (rv == CKR_OK && n > MAX_MECHANISMS)
    rv = CKR_GENERAL_ERROR;
  if (rv == CKR_OK)
    {
      /* One spare entry: p11-kit-client (0.24) reads one past the list
       * when it drops mechanisms it does not pass on. */
      list = g_new0 (CK_MECHANISM_TYPE, n + 1);
      rv = self->module->C_GetMechanismList (self->slot, list, &n);
    }
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "list what the token makes");
      return FALSE;
    }

  self->can_decrypt = FALSE;
  for (CK_ULONG i = 0; i < n; i++)
    {
      if (list[i] != CKM_RSA_PKCS_KEY_PAIR_GEN && list[i] != CKM_EC_KEY_PAIR_GEN
          && list[i] != CKM_RSA_PKCS && list[i] != CKM_ECDSA)
        continue;
      if (self->module->C_GetMechanismInfo (self->slot, list[i], &info) != CKR_OK)
        continue;
      switch (list[i])
        {
        case CKM_RSA_PKCS_KEY_PAIR_GEN:
          has_rsa_gen = TRUE;
          rsa_gen = info;
          break;
        case CKM_EC_KEY_PAIR_GEN:
          has_ec_gen = TRUE;
          ec_gen = info;
          break;
        case CKM_RSA_PKCS:
          has_rsa = (info.flags & CKF_SIGN) != 0;
          self->can_decrypt = (info.flags & CKF_DECRYPT) != 0;
          break;
        case CKM_ECDSA:
          has_ecdsa = (info.flags & CKF_SIGN) != 0;
          break;
        default:
          break;
        }
    }

  {
    const char *made[G_N_ELEMENTS (self->key_types)] = { NULL };
    guint n_made = 0;

    /* OpenSC's PIV driver lists key-pair mechanisms it refuses to use. */
    if (has_rsa_gen && has_rsa && cradle_piv_can_make_keys (self->piv))
      {
        if (size_in_range (&rsa_gen, 2048))
          made[n_made++] = "rsa2048";
        if (size_in_range (&rsa_gen, 3072))
          made[n_made++] = "rsa3072";
        if (size_in_range (&rsa_gen, 4096))
          made[n_made++] = "rsa4096";
      }
    if (has_ec_gen && has_ecdsa && cradle_piv_can_make_keys (self->piv))
      {
        if (size_in_range (&ec_gen, 256))
          made[n_made++] = "p256";
        if (size_in_range (&ec_gen, 384))
          made[n_made++] = "p384";
      }
    /* In place: a caller may hold the array cradle_token_get_key_types() gave. */
    for (guint i = 0; i < G_N_ELEMENTS (self->key_types); i++)
      self->key_types[i] = made[i];
  }
  if (!has_rsa)
    self->can_decrypt = FALSE;
  return TRUE;
}

/* ---- finding tokens ---------------------------------------------------- */

/* The slots of @module with a token present now. */
static CK_SLOT_ID *
list_slots (CK_FUNCTION_LIST *module,
            CK_ULONG         *n_slots)
{
  g_autofree CK_SLOT_ID *slots = NULL;
  CK_ULONG n = 0;

  /* A NULL list first: the module refreshes its list then (PKCS#11 2.40). */
  if (module->C_GetSlotList (CK_TRUE, NULL, &n) != CKR_OK || n > MAX_SLOTS)
    return NULL;
  slots = g_new0 (CK_SLOT_ID, MAX (n, 1));
  if (module->C_GetSlotList (CK_TRUE, slots, &n) != CKR_OK)
    return NULL;
  *n_slots = n;
  return g_steal_pointer (&slots);
}

static GPtrArray *
enumerate_tokens (CradleTokenModules *modules,
                  gboolean            with_keys_only)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint m = 0; m < modules->n_lists; m++)
    {
      CK_FUNCTION_LIST *module = modules->lists[m];
      g_autofree CK_SLOT_ID *slots = NULL;
      CK_ULONG n = 0;

      slots = list_slots (module, &n);
      for (CK_ULONG i = 0; slots != NULL && i < n; i++)
        {
          g_autoptr(CradleToken) token = NULL;
          g_autoptr(GError) local_error = NULL;
          CK_TOKEN_INFO info;

          if (module->C_GetTokenInfo (slots[i], &info) != CKR_OK
              || (info.flags & CKF_TOKEN_INITIALIZED) == 0)
            continue;
          token = _cradle_token_new (modules, m, slots[i], &info);
          if (token->uri == NULL || g_hash_table_contains (seen, token->uri))
            continue;
          if (!_cradle_token_read_mechanisms (token, &local_error))
            {
              g_debug ("Token skipped: %s", local_error->message);
              continue;
            }
          if (with_keys_only && token->key_types[0] == NULL)
            {
              g_debug ("Token %s skipped: it makes no key pair Cradle uses", token->uri);
              continue;
            }
          g_hash_table_add (seen, token->uri);
          g_ptr_array_add (tokens, g_steal_pointer (&token));
        }
    }
  return g_steal_pointer (&tokens);
}

GPtrArray *
cradle_token_enumerate (GCancellable *cancellable,
                        GError      **error)
{
  g_autoptr(CradleTokenModules) modules = _cradle_token_modules_get ();

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return enumerate_tokens (modules, TRUE);
}

CradleToken *
cradle_token_find (const char   *uri,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr(P11KitUri) wanted = p11_kit_uri_new ();
  g_autoptr(GPtrArray) tokens = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (uri != NULL, NULL);
  shown = cradle_text_escape (uri, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  if (p11_kit_uri_parse (uri, P11_KIT_URI_FOR_TOKEN, wanted) != P11_KIT_URI_OK)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a PKCS#11 token URI (RFC 7512), such as 'pkcs11:token=NAME'", shown);
      return NULL;
    }
  tokens = cradle_token_enumerate (cancellable, error);
  if (tokens == NULL)
    return NULL;
  for (guint i = 0; i < tokens->len; i++)
    {
      CradleToken *token = g_ptr_array_index (tokens, i);

      if (p11_kit_uri_match_token_info (wanted, &token->info))
        return g_object_ref (token);
    }
  cradle_explain_set_error (error, CRADLE_ERROR_NOT_FOUND, CRADLE_EXPLAIN_DEVICE,
                            CRADLE_DEVICE_FAILURE_NONE_FOUND,
                            "No token matching '%s' is present. Insert it, check that its module "
                            "is loaded ('cradlectl devices' lists the tokens found), then try "
                            "again.", shown);
  return NULL;
}

/* ---- what a token is --------------------------------------------------- */

const char *
cradle_token_get_uri (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->uri;
}

const char *
cradle_token_get_label (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->label;
}

const char *
cradle_token_get_manufacturer (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->manufacturer;
}

const char *
cradle_token_get_model (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->model;
}

const char *
cradle_token_get_serial (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->serial;
}

const char *
cradle_token_get_module_name (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->module_name;
}

const char * const *
cradle_token_get_key_types (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  return self->key_types;
}

gboolean
cradle_token_can_decrypt (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  return self->can_decrypt;
}

gboolean
cradle_token_needs_officer (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  return self->needs_officer;
}

gboolean
cradle_token_is_present (CradleToken *self)
{
  g_autoptr(P11KitUri) wanted = p11_kit_uri_new ();
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autofree CK_SLOT_ID *slots = NULL;
  CK_ULONG n = 0;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  memcpy (p11_kit_uri_get_token_info (wanted), &self->info, sizeof self->info);
  slots = list_slots (self->module, &n);
  for (CK_ULONG i = 0; slots != NULL && i < n; i++)
    {
      CK_TOKEN_INFO info;

      if (self->module->C_GetTokenInfo (slots[i], &info) == CKR_OK
          && (info.flags & CKF_TOKEN_INITIALIZED) != 0
          && p11_kit_uri_match_token_info (wanted, &info))
        {
          /* SoftHSM renumbers slots: follow it. */
          if (slots[i] != self->slot)
            {
              self->slot = slots[i];
              self->has_session = FALSE;
              self->logged_in = FALSE;
            }
          return TRUE;
        }
    }
  return FALSE;
}
