/* test-piv.c: Cradle's mapping of PIV tokens' rules (bridge/pkcs11/cradle-piv.c)
 *
 * No PIV card or YubiKey can be emulated from Debian's packages, so the
 * rules are tested here as the pure functions they are: which module a
 * token is, which slot a type's key goes in, ykcs11's CKA_IDs, what needs
 * the officer, that no CA objects are written, and the 16-byte key ids the
 * host keeps for a slot.  The expected values are written out from NIST SP
 * 800-73-4 and Yubico's YKCS11 documentation, not computed from the code.
 */
#include "config.h"

#include <string.h>
#include <openssl/x509v3.h>

#include <cradle/cradle.h>

#include "pkcs11/cradle-piv-private.h"

static const struct {
  guint8      slot;
  guint8      id;
  const char *name;
} slots[] = {
  { 0x9a, 1, "9a" }, { 0x9c, 2, "9c" }, { 0x9d, 3, "9d" }, { 0x9e, 4, "9e" },
  { 0x82, 5, "82" }, { 0x83, 6, "83" }, { 0x84, 7, "84" }, { 0x85, 8, "85" },
  { 0x86, 9, "86" }, { 0x87, 10, "87" }, { 0x88, 11, "88" }, { 0x89, 12, "89" },
  { 0x8a, 13, "8a" }, { 0x8b, 14, "8b" }, { 0x8c, 15, "8c" }, { 0x8d, 16, "8d" },
  { 0x8e, 17, "8e" }, { 0x8f, 18, "8f" }, { 0x90, 19, "90" }, { 0x91, 20, "91" },
  { 0x92, 21, "92" }, { 0x93, 22, "93" }, { 0x94, 23, "94" }, { 0x95, 24, "95" },
  { 0xf9, 25, "f9" },
};

static gboolean
is_listed (guint8 slot)
{
  for (gsize i = 0; i < G_N_ELEMENTS (slots); i++)
    if (slots[i].slot == slot)
      return TRUE;
  return FALSE;
}

static void
test_ids (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      g_assert_cmpuint (cradle_piv_id_for_slot (slots[i].slot), ==, slots[i].id);
      g_assert_cmpuint (cradle_piv_slot_for_id (slots[i].id), ==, slots[i].slot);
      g_assert_cmpstr (cradle_piv_slot_to_string (slots[i].slot), ==, slots[i].name);
    }
  /* Every other byte is no slot, and every other id is no slot's. */
  for (guint byte = 0; byte <= 0xff; byte++)
    {
      if (is_listed ((guint8) byte))
        continue;
      g_assert_cmpuint (cradle_piv_id_for_slot ((guint8) byte), ==, 0);
      g_assert_null (cradle_piv_slot_to_string ((guint8) byte));
      g_assert_null (cradle_piv_slot_describe ((guint8) byte));
    }
  for (guint id = 26; id <= 0xff; id++)
    g_assert_cmpuint (cradle_piv_slot_for_id ((guint8) id), ==, 0);
  g_assert_cmpuint (cradle_piv_slot_for_id (0), ==, 0);
}

static void
test_describe (void)
{
  g_autofree char *a = cradle_piv_slot_describe (0x9a);
  g_autofree char *c = cradle_piv_slot_describe (0x9c);
  g_autofree char *first = cradle_piv_slot_describe (0x82);
  g_autofree char *last = cradle_piv_slot_describe (0x95);
  g_autofree char *f9 = cradle_piv_slot_describe (0xf9);

  g_assert_cmpstr (a, ==, "9a (authentication)");
  g_assert_cmpstr (c, ==, "9c (digital signature)");
  g_assert_cmpstr (first, ==, "82 (retired key management 1)");
  g_assert_cmpstr (last, ==, "95 (retired key management 20)");
  g_assert_cmpstr (f9, ==, "f9 (attestation)");
}

static void
test_always_authenticate (void)
{
  /* Only the digital signature key asks for the PIN before every use. */
  for (gsize i = 0; i < G_N_ELEMENTS (slots); i++)
    g_assert_cmpint (cradle_piv_slot_always_authenticate (slots[i].slot), ==, slots[i].slot == 0x9c);
}

static const char * const client_auth[] = { "1.3.6.1.5.5.7.3.2", NULL };
static const char * const smart_card_logon[] = { "1.3.6.1.4.1.311.20.2.2", "1.3.6.1.5.5.7.3.2", NULL };
static const char * const email[] = { "1.3.6.1.5.5.7.3.4", NULL };
static const char * const code_signing[] = { "1.3.6.1.5.5.7.3.3", NULL };
static const char * const email_and_client[] = { "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.2", NULL };
static const char * const card_auth[] = { "2.16.840.1.101.3.6.8", NULL };
static const char * const server_auth[] = { "1.3.6.1.5.5.7.3.1", NULL };

static const struct {
  const char         *what;
  guint32             key_usage;
  const char * const *ekus;
  guint8              slot;
} by_usage[] = {
  { "client authentication", KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, client_auth, 0x9a },
  { "smart card logon", KU_DIGITAL_SIGNATURE, smart_card_logon, 0x9a },
  { "no usage at all", 0, NULL, 0x9a },
  { "digital signature, no EKU", KU_DIGITAL_SIGNATURE, NULL, 0x9a },
  { "TLS server", KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, server_auth, 0x9a },
  { "non-repudiation", KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION, client_auth, 0x9c },
  { "non-repudiation alone", KU_NON_REPUDIATION, NULL, 0x9c },
  { "signed mail", KU_DIGITAL_SIGNATURE, email, 0x9c },
  { "code signing", KU_DIGITAL_SIGNATURE, code_signing, 0x9c },
  { "signed mail that also signs in", KU_DIGITAL_SIGNATURE, email_and_client, 0x9a },
  { "mail signing and encryption", KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT, email, 0x9a },
  { "encryption", KU_KEY_ENCIPHERMENT, email, 0x9d },
  { "key agreement", KU_KEY_AGREEMENT, NULL, 0x9d },
  { "encryption that also signs", KU_KEY_ENCIPHERMENT | KU_DIGITAL_SIGNATURE, NULL, 0x9a },
  { "card authentication", KU_DIGITAL_SIGNATURE, card_auth, 0x9e },
};

static void
test_slot_by_usage (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (by_usage); i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 slot = cradle_piv_slot_for_type (NULL, by_usage[i].key_usage, by_usage[i].ekus, &error);

      g_test_message ("%s", by_usage[i].what);
      g_assert_no_error (error);
      g_assert_cmpuint (slot, ==, by_usage[i].slot);
    }
}

static void
test_slot_named (void)
{
  /* A named slot wins over the usage, in either case. */
  const struct {
    const char *named;
    guint8      slot;
  } named[] = {
    { "9a", 0x9a }, { "9c", 0x9c }, { "9D", 0x9d }, { "9e", 0x9e }, { "82", 0x82 }, { "8f", 0x8f },
    { "95", 0x95 }, { "0x9c", 0x9c },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (named); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpuint (cradle_piv_slot_for_type (named[i].named, KU_KEY_ENCIPHERMENT, card_auth, &error), ==,
                        named[i].slot);
      g_assert_no_error (error);
    }
}

static void
test_slot_named_wrong (void)
{
  const char * const wrong[] = { "f9", "F9", "81", "96", "9b", "9f", "00", "", "9", "9a0", "zz", "9a\n", "-1" };

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("'%s'", wrong[i]);
      g_assert_cmpuint (cradle_piv_slot_for_type (wrong[i], KU_DIGITAL_SIGNATURE, client_auth, &error), ==, 0);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      /* The words name the slots there are, and never pass a control
       * character through. */
      g_assert_nonnull (strstr (error->message, "9a"));
      g_assert_nonnull (strstr (error->message, "82 to 95"));
      g_assert_null (strchr (error->message, '\n'));
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_cmpuint (cradle_piv_slot_for_type ("f9", 0, NULL, &error), ==, 0);
    g_assert_nonnull (strstr (error->message, "attestation"));
  }
}

static void
test_modules (void)
{
  const struct {
    const char      *manufacturer;
    const char      *model;
    const char      *label;
    const char      *module;
    CradlePivModule  expected;
  } tokens[] = {
    /* ykcs11, as it fills CK_TOKEN_INFO */
    { "Yubico", "YubiKey YK5", "YubiKey PIV #12345678", "/usr/lib/x86_64-linux-gnu/libykcs11.so.2",
      CRADLE_PIV_YKCS11 },
    { "Yubico", "YubiKey YK4", "YubiKey PIV #4711", NULL, CRADLE_PIV_YKCS11 },
    { "Yubico (www.yubico.com)", "YubiKey", "x", "/opt/yubico/lib/libykcs11.so", CRADLE_PIV_YKCS11 },
    /* OpenSC's PIV driver, a YubiKey or a PIV card under it */
    { "piv_II", "PKCS#15 emulated", "PIV_II", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", CRADLE_PIV_OPENSC },
    { "piv_II", "PKCS#15 emulated", "PIV Card Holder pin (PIV_II)", NULL, CRADLE_PIV_OPENSC },
    { "NIST", "PIV-II", "card", NULL, CRADLE_PIV_OPENSC },
    /* not PIV */
    { "SoftHSM project", "SoftHSM v2", "cradle", "/usr/lib/softhsm/libsofthsm2.so", CRADLE_PIV_NONE },
    { "Nitrokey", "PKCS#15 emulated", "User PIN (Nitrokey)", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
      CRADLE_PIV_NONE },
    { "Yubico", "OpenPGP", "YubiKey OpenPGP", NULL, CRADLE_PIV_NONE },
    { NULL, NULL, NULL, NULL, CRADLE_PIV_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_test_message ("%s / %s / %s", tokens[i].manufacturer, tokens[i].model, tokens[i].label);
      g_assert_cmpint (cradle_piv_module_for_token (tokens[i].manufacturer, tokens[i].model, tokens[i].label,
                                                    tokens[i].module), ==, tokens[i].expected);
    }
}

static void
test_officer_and_objects (void)
{
  /* ykcs11 needs the management key to make keys and write certificates;
   * OpenSC's PIV driver makes none; neither holds a CA object. */
  g_assert_true (cradle_piv_needs_officer (CRADLE_PIV_YKCS11));
  g_assert_false (cradle_piv_needs_officer (CRADLE_PIV_OPENSC));
  g_assert_false (cradle_piv_needs_officer (CRADLE_PIV_NONE));

  g_assert_true (cradle_piv_can_make_keys (CRADLE_PIV_YKCS11));
  g_assert_false (cradle_piv_can_make_keys (CRADLE_PIV_OPENSC));
  g_assert_true (cradle_piv_can_make_keys (CRADLE_PIV_NONE));

  g_assert_false (cradle_piv_holds_authority_certificates (CRADLE_PIV_YKCS11));
  g_assert_false (cradle_piv_holds_authority_certificates (CRADLE_PIV_OPENSC));
  g_assert_true (cradle_piv_holds_authority_certificates (CRADLE_PIV_NONE));
}

static void
test_key_id_encoding (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      g_autoptr(GBytes) key_id = cradle_piv_key_id_for_slot (slots[i].slot);
      g_autoptr(GBytes) token_id = cradle_piv_token_id_for_key_id (key_id);
      guint8 expected[16] = { 'P', 'I', 'V', '-', 'S', 'L', 'O', 'T', 0, 0, 0, 0, 0, 0, 0, 0 };
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (key_id, &size);

      expected[15] = slots[i].id;
      g_assert_cmpmem (data, size, expected, sizeof expected);
      g_assert_cmpuint (cradle_piv_slot_for_key_id (key_id), ==, slots[i].slot);
      g_assert_nonnull (token_id);
      g_assert_cmpuint (g_bytes_get_size (token_id), ==, 1);
      g_assert_cmpuint (((const guint8 *) g_bytes_get_data (token_id, NULL))[0], ==, slots[i].id);
    }
  for (guint byte = 0; byte <= 0xff; byte++)
    if (!is_listed ((guint8) byte))
      g_assert_null (cradle_piv_key_id_for_slot ((guint8) byte));
}

static void
test_key_id_foreign (void)
{
  /* A SoftHSM key's 16 random bytes, and near misses of the encoding. */
  const guint8 random_id[16] = { 0x3f, 0x91, 0x07, 0xc2, 0x5e, 0x11, 0xa0, 0x42, 0x9b, 0x68, 0xd4, 0x2a,
                                 0x70, 0x0e, 0xbb, 0x01 };
  guint8 near[16] = { 'P', 'I', 'V', '-', 'S', 'L', 'O', 'T', 0, 0, 0, 0, 0, 0, 0, 1 };
  g_autoptr(GBytes) random_bytes = g_bytes_new (random_id, sizeof random_id);
  g_autoptr(GBytes) short_id = g_bytes_new (near, 15);
  g_autoptr(GBytes) long_id = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  guint8 longer[17];

  g_assert_cmpuint (cradle_piv_slot_for_key_id (random_bytes), ==, 0);
  g_assert_null (cradle_piv_token_id_for_key_id (random_bytes));
  g_assert_cmpuint (cradle_piv_slot_for_key_id (short_id), ==, 0);
  g_assert_cmpuint (cradle_piv_slot_for_key_id (empty), ==, 0);
  g_assert_cmpuint (cradle_piv_slot_for_key_id (NULL), ==, 0);
  memcpy (longer, near, sizeof near);
  longer[16] = 0;
  long_id = g_bytes_new (longer, sizeof longer);
  g_assert_cmpuint (cradle_piv_slot_for_key_id (long_id), ==, 0);

  /* The well-formed one, then each padding byte set, the prefix changed,
   * and ids no slot has. */
  {
    g_autoptr(GBytes) good = g_bytes_new (near, sizeof near);

    g_assert_cmpuint (cradle_piv_slot_for_key_id (good), ==, 0x9a);
  }
  for (guint i = 8; i < 15; i++)
    {
      guint8 copy[16];
      g_autoptr(GBytes) bytes = NULL;

      memcpy (copy, near, sizeof copy);
      copy[i] = 1;
      bytes = g_bytes_new (copy, sizeof copy);
      g_assert_cmpuint (cradle_piv_slot_for_key_id (bytes), ==, 0);
    }
  for (guint i = 0; i < 8; i++)
    {
      guint8 copy[16];
      g_autoptr(GBytes) bytes = NULL;

      memcpy (copy, near, sizeof copy);
      copy[i] ^= 0x20;
      bytes = g_bytes_new (copy, sizeof copy);
      g_assert_cmpuint (cradle_piv_slot_for_key_id (bytes), ==, 0);
    }
  {
    const guint8 ids[] = { 0, 26, 0x9a, 0xff };

    for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
      {
        guint8 copy[16];
        g_autoptr(GBytes) bytes = NULL;

        memcpy (copy, near, sizeof copy);
        copy[15] = ids[i];
        bytes = g_bytes_new (copy, sizeof copy);
        g_assert_cmpuint (cradle_piv_slot_for_key_id (bytes), ==, 0);
        g_assert_null (cradle_piv_token_id_for_key_id (bytes));
      }
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/piv/ids", test_ids);
  g_test_add_func ("/piv/describe", test_describe);
  g_test_add_func ("/piv/always-authenticate", test_always_authenticate);
  g_test_add_func ("/piv/slot/by-usage", test_slot_by_usage);
  g_test_add_func ("/piv/slot/named", test_slot_named);
  g_test_add_func ("/piv/slot/named-wrong", test_slot_named_wrong);
  g_test_add_func ("/piv/modules", test_modules);
  g_test_add_func ("/piv/officer-and-objects", test_officer_and_objects);
  g_test_add_func ("/piv/key-id/encoding", test_key_id_encoding);
  g_test_add_func ("/piv/key-id/foreign", test_key_id_foreign);
  return g_test_run ();
}
