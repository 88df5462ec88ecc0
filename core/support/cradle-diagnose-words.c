/* cradle-diagnose-words.c: a template's flags in words, for the type and
 * certificate hops
 */
#include "config.h"

#include "support/cradle-diagnose-hops-private.h"

char *
_cradle_diagnose_words_name_flags (guint32 name_flags)
{
  static const struct { guint32 bit; const char *words; } names[] = {
    { CRADLE_TEMPLATE_SUBJECT_REQUIRE_COMMON_NAME, "your common name in the subject" },
    { CRADLE_TEMPLATE_SUBJECT_REQUIRE_DIRECTORY_PATH, "your directory path (DN) as the subject" },
    { CRADLE_TEMPLATE_SUBJECT_REQUIRE_EMAIL, "your e-mail address (mail) in the subject" },
    { CRADLE_TEMPLATE_SUBJECT_REQUIRE_DNS_AS_CN, "a DNS host name (dNSHostName) as the common name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_UPN, "your user principal name (userPrincipalName) in the alternative name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_EMAIL, "your e-mail address (mail) in the alternative name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_DNS, "a DNS host name (dNSHostName) in the alternative name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_DOMAIN_DNS, "the domain's DNS name in the alternative name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_SPN, "a service principal name in the alternative name" },
    { CRADLE_TEMPLATE_ALT_REQUIRE_DIRECTORY_GUID, "the account's objectGUID in the alternative name" },
  };
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (name_flags & names[i].bit)
      g_string_append_printf (out, "%s%s", out->len > 0 ? "; " : "", names[i].words);
  return out->len > 0 ? g_strdup (out->str) : NULL;
}

char *
_cradle_diagnose_words_key_usage (guint key_usage)
{
  static const struct { guint bit; const char *words; } usages[] = {
    { 0x80, "digital signature" },
    { 0x40, "non-repudiation" },
    { 0x20, "key encipherment" },
    { 0x10, "data encipherment" },
    { 0x08, "key agreement" },
    { 0x04, "certificate signing" },
    { 0x02, "CRL signing" },
    { 0x01, "encipher only" },
    { 0x8000, "decipher only" },
  };
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (usages); i++)
    if (key_usage & usages[i].bit)
      g_string_append_printf (out, "%s%s", out->len > 0 ? ", " : "", usages[i].words);
  return g_strdup (out->len > 0 ? out->str : "none listed");
}

static const struct { const char *oid; const char *words; } eku_names[] = {
  { "1.3.6.1.5.5.7.3.1", "server authentication" },
  { "1.3.6.1.5.5.7.3.2", "client authentication" },
  { "1.3.6.1.5.5.7.3.3", "code signing" },
  { "1.3.6.1.5.5.7.3.4", "secure e-mail" },
  { "1.3.6.1.5.5.7.3.8", "time stamping" },
  { "1.3.6.1.5.5.7.3.9", "OCSP signing" },
  { "1.3.6.1.5.2.3.4", "Kerberos client authentication (PKINIT)" },
  { "1.3.6.1.4.1.311.20.2.2", "smart card logon" },
  { "1.3.6.1.4.1.311.10.3.4", "encrypting file system" },
  { "1.3.6.1.4.1.311.10.3.12", "document signing" },
  { "1.3.6.1.5.5.8.2.2", "IP security IKE intermediate" },
  { "2.5.29.37.0", "any purpose" },
};

char *
_cradle_diagnose_words_ekus (const char * const *ekus)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; ekus != NULL && ekus[i] != NULL; i++)
    {
      const char *words = NULL;
      g_autofree char *oid = cradle_text_escape (ekus[i], -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      for (guint j = 0; j < G_N_ELEMENTS (eku_names) && words == NULL; j++)
        if (g_str_equal (ekus[i], eku_names[j].oid))
          words = eku_names[j].words;
      g_string_append_printf (out, "%s%s (%s)", out->len > 0 ? ", " : "", words != NULL ? words : "other", oid);
    }
  return g_strdup (out->len > 0 ? out->str : "none listed (any purpose)");
}

char *
_cradle_diagnose_words_duration (guint64 seconds)
{
  static const struct { guint64 seconds; const char *one; const char *many; } units[] = {
    { 365 * 86400, "year", "years" },
    { 7 * 86400, "week", "weeks" },
    { 86400, "day", "days" },
    { 3600, "hour", "hours" },
    { 60, "minute", "minutes" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (seconds >= units[i].seconds && seconds % units[i].seconds == 0)
      {
        guint64 n = seconds / units[i].seconds;

        return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", n, n == 1 ? units[i].one : units[i].many);
      }
  return g_strdup_printf ("%" G_GUINT64_FORMAT " seconds", seconds);
}

char *
_cradle_diagnose_words_escape (const char *text)
{
  return cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}
