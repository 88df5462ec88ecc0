/* cradle-piv.c: the rules of PIV tokens as their PKCS#11 modules show them
 *
 * Everything here is Cradle's own mapping from what a token says about
 * itself and what a certificate type asks for to PIV's fixed slots (NIST
 * SP 800-73-4 part 1, table 4b; Yubico's YKCS11 documentation for the
 * CKA_IDs).  No call reaches a token.
 */
#include "config.h"

#include <string.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "pkcs11/cradle-piv-private.h"

/* The PIV card authentication key's extended key usage (id-PIV-cardAuth). */
#define OID_PIV_CARD_AUTH       "2.16.840.1.101.3.6.8"
#define OID_CLIENT_AUTH         "1.3.6.1.5.5.7.3.2"
#define OID_CODE_SIGNING        "1.3.6.1.5.5.7.3.3"
#define OID_EMAIL_PROTECTION    "1.3.6.1.5.5.7.3.4"
#define OID_SMART_CARD_LOGON    "1.3.6.1.4.1.311.20.2.2"
#define OID_ANY_EXTENDED_USAGE  "2.5.29.37.0"

#define SLOT_AUTHENTICATION      0x9a
#define SLOT_SIGNATURE           0x9c
#define SLOT_KEY_MANAGEMENT      0x9d
#define SLOT_CARD_AUTHENTICATION 0x9e
#define SLOT_RETIRED_FIRST       0x82
#define SLOT_RETIRED_LAST        0x95
#define SLOT_ATTESTATION         0xf9

/* ykcs11's CKA_IDs: 9a 1, 9c 2, 9d 3, 9e 4, 82..95 5..24, f9 25. */
#define ID_RETIRED_FIRST         5
#define ID_ATTESTATION           25

static const char * const slot_names[] = {
  "82", "83", "84", "85", "86", "87", "88", "89", "8a", "8b",
  "8c", "8d", "8e", "8f", "90", "91", "92", "93", "94", "95",
};
G_STATIC_ASSERT (G_N_ELEMENTS (slot_names) == SLOT_RETIRED_LAST - SLOT_RETIRED_FIRST + 1);

/* ---- which module ------------------------------------------------------- */

/* Whether @text holds @needle, ignoring ASCII case. */
static gboolean
contains_ascii_nocase (const char *text,
                       const char *needle)
{
  g_autofree char *lower_text = NULL;
  g_autofree char *lower_needle = NULL;

  if (text == NULL)
    return FALSE;
  lower_text = g_ascii_strdown (text, -1);
  lower_needle = g_ascii_strdown (needle, -1);
  return strstr (lower_text, lower_needle) != NULL;
}

/* OpenSC names its PIV driver's tokens "PIV_II" (the card driver's name)
 * or "PIV-II"; either spelling, any case. */
static gboolean
names_piv_ii (const char *text)
{
  return contains_ascii_nocase (text, "piv_ii") || contains_ascii_nocase (text, "piv-ii") ||
         contains_ascii_nocase (text, "piv ii");
}

CradlePivModule
cradle_piv_module_for_token (const char *manufacturer,
                             const char *model,
                             const char *label,
                             const char *module_path)
{
  g_autofree char *module_name = module_path != NULL ? g_path_get_basename (module_path) : NULL;

  /* ykcs11: its own module, or a token that says it is a YubiKey's PIV
   * application as ykcs11 words it. */
  if (contains_ascii_nocase (module_name, "libykcs11") ||
      (g_strcmp0 (manufacturer, "Yubico") == 0 && model != NULL && g_str_has_prefix (model, "YubiKey")))
    return CRADLE_PIV_YKCS11;
  /* OpenSC shows every card it emulates as "PKCS#15 emulated"; its PIV
   * driver's tokens name PIV-II in their label or model. */
  if (g_strcmp0 (model, "PKCS#15 emulated") == 0 && (names_piv_ii (label) || names_piv_ii (manufacturer)))
    return CRADLE_PIV_OPENSC;
  if (names_piv_ii (model))
    return CRADLE_PIV_OPENSC;
  return CRADLE_PIV_NONE;
}

/* ---- slots -------------------------------------------------------------- */

static gboolean
is_key_slot (guint8 slot)
{
  return slot == SLOT_AUTHENTICATION || slot == SLOT_SIGNATURE || slot == SLOT_KEY_MANAGEMENT ||
         slot == SLOT_CARD_AUTHENTICATION || (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST);
}

const char *
cradle_piv_slot_to_string (guint8 slot)
{
  switch (slot)
    {
    case SLOT_AUTHENTICATION:
      return "9a";
    case SLOT_SIGNATURE:
      return "9c";
    case SLOT_KEY_MANAGEMENT:
      return "9d";
    case SLOT_CARD_AUTHENTICATION:
      return "9e";
    case SLOT_ATTESTATION:
      return "f9";
    default:
      if (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST)
        return slot_names[slot - SLOT_RETIRED_FIRST];
      return NULL;
    }
}

char *
cradle_piv_slot_describe (guint8 slot)
{
  switch (slot)
    {
    case SLOT_AUTHENTICATION:
      return g_strdup ("9a (authentication)");
    case SLOT_SIGNATURE:
      return g_strdup ("9c (digital signature)");
    case SLOT_KEY_MANAGEMENT:
      return g_strdup ("9d (key management)");
    case SLOT_CARD_AUTHENTICATION:
      return g_strdup ("9e (card authentication)");
    case SLOT_ATTESTATION:
      return g_strdup ("f9 (attestation)");
    default:
      if (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST)
        return g_strdup_printf ("%s (retired key management %u)", slot_names[slot - SLOT_RETIRED_FIRST],
                                (guint) (slot - SLOT_RETIRED_FIRST + 1));
      return NULL;
    }
}

guint8
cradle_piv_id_for_slot (guint8 slot)
{
  switch (slot)
    {
    case SLOT_AUTHENTICATION:
      return 1;
    case SLOT_SIGNATURE:
      return 2;
    case SLOT_KEY_MANAGEMENT:
      return 3;
    case SLOT_CARD_AUTHENTICATION:
      return 4;
    case SLOT_ATTESTATION:
      return ID_ATTESTATION;
    default:
      if (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST)
        return (guint8) (ID_RETIRED_FIRST + (slot - SLOT_RETIRED_FIRST));
      return 0;
    }
}

guint8
cradle_piv_slot_for_id (guint8 id)
{
  switch (id)
    {
    case 1:
      return SLOT_AUTHENTICATION;
    case 2:
      return SLOT_SIGNATURE;
    case 3:
      return SLOT_KEY_MANAGEMENT;
    case 4:
      return SLOT_CARD_AUTHENTICATION;
    case ID_ATTESTATION:
      return SLOT_ATTESTATION;
    default:
      if (id >= ID_RETIRED_FIRST && id < ID_ATTESTATION)
        return (guint8) (SLOT_RETIRED_FIRST + (id - ID_RETIRED_FIRST));
      return 0;
    }
}

/* "9a", "9A", "0x9a": the slot; 0 for anything else. */
static guint8
parse_slot (const char *text)
{
  guint64 value;

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    text += 2;
  if (strlen (text) != 2 || !g_ascii_string_to_unsigned (text, 16, 0, 0xff, &value, NULL))
    return 0;
  return (guint8) value;
}

static gboolean
has_oid (const char * const *oids,
         const char         *oid)
{
  return oids != NULL && g_strv_contains (oids, oid);
}

guint8
cradle_piv_slot_for_type (const char          *named_slot,
                          guint32              key_usage,
                          const char * const  *ekus,
                          GError             **error)
{
  gboolean signs = (key_usage & KU_DIGITAL_SIGNATURE) != 0;
  gboolean client_auth = has_oid (ekus, OID_CLIENT_AUTH) || has_oid (ekus, OID_SMART_CARD_LOGON) ||
                         has_oid (ekus, OID_ANY_EXTENDED_USAGE);

  if (named_slot != NULL)
    {
      guint8 slot = parse_slot (named_slot);

      if (!is_key_slot (slot))
        {
          g_autofree char *shown = cradle_text_escape (named_slot, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       slot == SLOT_ATTESTATION
                         ? "The PIV slot %s holds the token's attestation key, which Cradle never replaces. "
                           "Name a key slot: 9a, 9c, 9d, 9e, or a retired slot from 82 to 95."
                         : "'%s' is not a PIV key slot. Name one of 9a (authentication), 9c (digital "
                           "signature), 9d (key management), 9e (card authentication), or a retired key "
                           "management slot from 82 to 95.",
                       shown);
          return 0;
        }
      return slot;
    }

  if ((key_usage & KU_NON_REPUDIATION) != 0)
    return SLOT_SIGNATURE;
  if ((key_usage & ~(guint32) KU_DIGITAL_SIGNATURE) == 0 && signs && !client_auth &&
      (has_oid (ekus, OID_EMAIL_PROTECTION) || has_oid (ekus, OID_CODE_SIGNING)))
    return SLOT_SIGNATURE;
  if ((key_usage & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)) != 0 && !signs)
    return SLOT_KEY_MANAGEMENT;
  if (has_oid (ekus, OID_PIV_CARD_AUTH))
    return SLOT_CARD_AUTHENTICATION;
  return SLOT_AUTHENTICATION;
}

gboolean
cradle_piv_slot_always_authenticate (guint8 slot)
{
  return slot == SLOT_SIGNATURE;
}

/* ---- what a module allows ------------------------------------------------ */

gboolean
cradle_piv_needs_officer (CradlePivModule module)
{
  /* ykcs11 makes keys and imports certificates only after C_Login (CKU_SO)
   * with the management key (CKR_USER_TYPE_INVALID otherwise). */
  return module == CRADLE_PIV_YKCS11;
}

gboolean
cradle_piv_can_make_keys (CradlePivModule module)
{
  /* OpenSC's PIV driver answers CKR_FUNCTION_NOT_SUPPORTED. */
  return module != CRADLE_PIV_OPENSC;
}

gboolean
cradle_piv_holds_authority_certificates (CradlePivModule module)
{
  /* Certificates go only into the slots' containers, and ykcs11 refuses
   * CKA_CERTIFICATE_CATEGORY and CKA_TRUSTED: a CA certificate would take
   * a retired key slot and still not be marked an authority. */
  return module == CRADLE_PIV_NONE;
}

/* ---- the host's key ids ---------------------------------------------------- */

GBytes *
cradle_piv_key_id_for_slot (guint8 slot)
{
  guint8 key_id[CRADLE_PIV_KEY_ID_SIZE] = { 0 };
  guint8 id = cradle_piv_id_for_slot (slot);

  G_STATIC_ASSERT (sizeof CRADLE_PIV_KEY_ID_PREFIX - 1 == 8);

  if (id == 0)
    return NULL;
  memcpy (key_id, CRADLE_PIV_KEY_ID_PREFIX, sizeof CRADLE_PIV_KEY_ID_PREFIX - 1);
  key_id[CRADLE_PIV_KEY_ID_SIZE - 1] = id;
  return g_bytes_new (key_id, sizeof key_id);
}

guint8
cradle_piv_slot_for_key_id (GBytes *key_id)
{
  const guint8 *data;
  gsize size = 0;

  if (key_id == NULL)
    return 0;
  data = g_bytes_get_data (key_id, &size);
  if (size != CRADLE_PIV_KEY_ID_SIZE ||
      memcmp (data, CRADLE_PIV_KEY_ID_PREFIX, sizeof CRADLE_PIV_KEY_ID_PREFIX - 1) != 0)
    return 0;
  for (gsize i = sizeof CRADLE_PIV_KEY_ID_PREFIX - 1; i < CRADLE_PIV_KEY_ID_SIZE - 1; i++)
    if (data[i] != 0)
      return 0;
  return cradle_piv_slot_for_id (data[CRADLE_PIV_KEY_ID_SIZE - 1]);
}

GBytes *
cradle_piv_token_id_for_key_id (GBytes *key_id)
{
  guint8 slot = cradle_piv_slot_for_key_id (key_id);
  guint8 id = cradle_piv_id_for_slot (slot);

  if (id == 0)
    return NULL;
  return g_bytes_new (&id, 1);
}
