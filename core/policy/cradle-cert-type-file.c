/* cradle-cert-type-file.c: an administrator's certificate type file, read strictly
 *
 * The files are key files, but read here line by line so that every
 * mistake is reported with its file and line, and an administrator's typo
 * ("Protocl=") is an error rather than a silently different type.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "base/cradle-settings-private.h"
#include "pkcs11/cradle-piv-private.h"
#include "policy/cradle-cert-type-private.h"

void
cradle_cert_type_settings_free (CradleCertTypeSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->source);
  g_free (settings->name);
  g_free (settings->display_name);
  g_free (settings->url);
  g_free (settings->policy_url);
  g_free (settings->template_name);
  g_free (settings->label);
  g_free (settings->key_type);
  g_free (settings->subject);
  g_free (settings->trust_anchors);
  g_free (settings->challenge_file);
  g_clear_pointer (&settings->ca_fingerprint, g_bytes_unref);
  g_free (settings->piv_slot);
  g_free (settings);
}

static const char * const key_types[] = { "rsa2048", "rsa3072", "rsa4096", "p256", "p384", NULL };

/* Attestation='s words, in CradleAttestationPolicy's order. */
static const char * const attestation_names[] = { "check", "require", "include" };
G_STATIC_ASSERT (G_N_ELEMENTS (attestation_names) == CRADLE_ATTESTATION_INCLUDE + 1);

const char *
cradle_attestation_policy_to_string (CradleAttestationPolicy policy)
{
  g_return_val_if_fail ((guint) policy < G_N_ELEMENTS (attestation_names), NULL);
  return attestation_names[policy];
}

gboolean
cradle_attestation_policy_from_string (const char              *text,
                                       CradleAttestationPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (attestation_names); i++)
    if (g_str_equal (text, attestation_names[i]))
      {
        *policy = (CradleAttestationPolicy) i;
        return TRUE;
      }
  return FALSE;
}

/* The keys of a type file, in the order a draft writes them, with the
 * property of CradleTypeDraft each is edited as. */
static const struct {
  const char *key;
  const char *property;
} fields[] = {
  { "Name", "name" },
  { "DisplayName", "display-name" },
  { "Protocol", "protocol" },
  { "URL", "url" },
  { "PolicyURL", "policy-url" },
  { "Template", "template" },
  { "Label", "label" },
  { "KeyType", "key-type" },
  { "Subject", "subject" },
  { "Auth", "auth" },
  { "TrustAnchors", "trust-anchors" },
  { "AllowPlainHttp", "require-tls" },
  { "ChallengeFile", "challenge-file" },
  { "CAFingerprint", "ca-fingerprint" },
  { "Timeout", "timeout" },
  { "RenewAt", "renew-at" },
  { "PivSlot", "piv-slot" },
  { "Attestation", "attestation" },
};

const char *
cradle_cert_type_key_to_property (const char *key)
{
  for (gsize i = 0; key != NULL && i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].key, key))
      return fields[i].property;
  return NULL;
}

const char *
cradle_cert_type_property_to_key (const char *property)
{
  for (gsize i = 0; property != NULL && i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].property, property))
      return fields[i].key;
  return NULL;
}

typedef struct {
  const char *source;
  guint       line;
  GError    **error;
  /* (nullable): when set, every problem is added here as a
   * CradleTypeProblem and the parse goes on; else the first one ends it
   * as @error. */
  GPtrArray  *problems;
} Parse;

/* Reports a problem of @key (a type-file key; %NULL for the file as a
 * whole).  Returns whether to go on: TRUE only when collecting. */
static gboolean G_GNUC_PRINTF (3, 4)
fail (Parse      *parse,
      const char *key,
      const char *format,
      ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (parse->problems != NULL)
    {
      const char *property = cradle_cert_type_key_to_property (key);
      CradleTypeProblem *problem = g_new0 (CradleTypeProblem, 1);

      problem->field = g_strdup (property != NULL ? property : key);
      problem->message = g_steal_pointer (&what);
      g_ptr_array_add (parse->problems, problem);
      return TRUE;
    }
  if (parse->line > 0)
    g_set_error (parse->error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s:%u: %s",
                 parse->source, parse->line, what);
  else
    g_set_error (parse->error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s: %s",
                 parse->source, what);
  return FALSE;
}

/* Whether a problem of @key was reported already (collecting only). */
static gboolean
has_problem (Parse      *parse,
             const char *key)
{
  const char *property = cradle_cert_type_key_to_property (key);

  for (guint i = 0; parse->problems != NULL && i < parse->problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (parse->problems, i);

      if (g_strcmp0 (problem->field, property) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_bool (Parse      *parse,
            const char *key,
            const char *value,
            gboolean   *out)
{
  if (g_str_equal (value, "true"))
    *out = TRUE;
  else if (g_str_equal (value, "false"))
    *out = FALSE;
  else
    return fail (parse, key, "%s must be true or false, not '%s'", key, value);
  return TRUE;
}

/* Whether @value is a URL a type may name; reports it when not. */
static gboolean
check_url (Parse      *parse,
           const char *key,
           const char *value,
           gboolean   *go_on)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      *go_on = fail (parse, key, "%s '%s' is not an http:// or https:// URL with a host", key, value);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      *go_on = fail (parse, key, "%s must not carry a user name or password; use Auth= and the "
                     "sign-in of the desktop instead", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_path (Parse      *parse,
            const char *key,
            const char *value,
            gboolean   *go_on)
{
  if (!g_path_is_absolute (value))
    {
      *go_on = fail (parse, key, "%s '%s' must be an absolute path", key, value);
      return FALSE;
    }
  return TRUE;
}

/* Names go on command lines, into file names of the journal and of
 * types.d (NAME.conf; a file whose name begins with '.' is not read):
 * keep them plain. */
static gboolean
check_name (Parse      *parse,
            const char *value,
            gboolean   *go_on)
{
  if (value[0] == '\0' || strlen (value) > CRADLE_CERT_TYPE_MAX_NAME)
    {
      *go_on = fail (parse, "Name", "Name must be 1 to %d characters", CRADLE_CERT_TYPE_MAX_NAME);
      return FALSE;
    }
  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        {
          *go_on = fail (parse, "Name", "Name '%s' may hold only letters, digits, '-', '_' and '.'", value);
          return FALSE;
        }
    }
  if (value[0] == '.')
    {
      *go_on = fail (parse, "Name", "Name '%s' must not begin with '.'", value);
      return FALSE;
    }
  return TRUE;
}

gboolean
cradle_cert_type_check_name (const char  *name,
                             GError     **error)
{
  Parse parse = { "Name", 0, error, NULL };
  gboolean go_on;

  return check_name (&parse, name, &go_on);
}

/* A SHA-256 fingerprint: 32 bytes as hex, either "AB:CD:…" (as OpenSSL
 * prints it) or "abcd…", any case; %NULL when it is not one. */
static GBytes *
parse_fingerprint (const char *value)
{
  guint8 digest[32];
  gsize count = 0;
  const char *p = value;

  while (*p != '\0')
    {
      int high, low;

      if (count > 0 && *p == ':')
        p++;
      if (count == sizeof digest || (high = g_ascii_xdigit_value (p[0])) < 0
          || (low = g_ascii_xdigit_value (p[1])) < 0)
        return NULL;
      digest[count++] = (guint8) (high << 4 | low);
      p += 2;
      if (*p == ':' && p[1] == '\0')
        return NULL;
    }
  if (count != sizeof digest)
    return NULL;
  return g_bytes_new (digest, sizeof digest);
}

/* One Key=value line.  Returns whether to go on (FALSE: @error is set). */
static gboolean
set_key (Parse                  *parse,
         CradleCertTypeSettings *settings,
         GHashTable             *seen,
         const char             *key,
         const char             *value)
{
  const char *bracket = strchr (key, '[');
  gboolean go_on = TRUE;

  /* DisplayName[de]=…: translations are for the app; accepted, not used here. */
  if (bracket != NULL && strncmp (key, "DisplayName", (gsize) (bracket - key)) == 0
      && g_str_has_suffix (key, "]"))
    return TRUE;
  if (cradle_cert_type_key_to_property (key) == NULL)
    return fail (parse, NULL, "unknown key '%s' (the keys are Name, DisplayName, Protocol, URL, PolicyURL, "
                 "Template, Label, KeyType, Subject, Auth, TrustAnchors, AllowPlainHttp, "
                 "ChallengeFile, CAFingerprint, Timeout, RenewAt, PivSlot, Attestation)", key);
  if (g_hash_table_contains (seen, key))
    return fail (parse, key, "%s is set twice", key);
  g_hash_table_add (seen, g_strdup (key));
  if (!g_utf8_validate (value, -1, NULL) || strlen (value) > CRADLE_CERT_TYPE_MAX_VALUE)
    return fail (parse, key, "the value of %s is not UTF-8 text of at most %d bytes", key,
                 CRADLE_CERT_TYPE_MAX_VALUE);

  if (g_str_equal (key, "Name"))
    {
      if (check_name (parse, value, &go_on))
        settings->name = g_strdup (value);
    }
  else if (g_str_equal (key, "DisplayName"))
    settings->display_name = g_strdup (value);
  else if (g_str_equal (key, "Protocol"))
    {
      if (!cradle_ca_protocol_from_string (value, &settings->protocol))
        return fail (parse, key, "Protocol '%s' is not one of certsrv, wstep, scep, est", value);
    }
  else if (g_str_equal (key, "URL"))
    {
      if (check_url (parse, key, value, &go_on))
        settings->url = g_strdup (value);
    }
  else if (g_str_equal (key, "PolicyURL"))
    {
      if (check_url (parse, key, value, &go_on))
        settings->policy_url = g_strdup (value);
    }
  else if (g_str_equal (key, "Template"))
    settings->template_name = g_strdup (value);
  else if (g_str_equal (key, "Label"))
    {
      if (value[0] == '\0' || strpbrk (value, "/?#%") != NULL)
        return fail (parse, key, "Label '%s' must be one path segment (no '/', '?', '#' or '%%')", value);
      settings->label = g_strdup (value);
    }
  else if (g_str_equal (key, "KeyType"))
    {
      if (!g_strv_contains (key_types, value))
        return fail (parse, key, "KeyType '%s' is not one of rsa2048, rsa3072, rsa4096, p256, p384", value);
      settings->key_type = g_strdup (value);
    }
  else if (g_str_equal (key, "Subject"))
    settings->subject = g_strdup (value);
  else if (g_str_equal (key, "Auth"))
    {
      if (!cradle_credentials_kind_from_string (value, &settings->auth))
        return fail (parse, key, "Auth '%s' is not one of kerberos, password, none", value);
    }
  else if (g_str_equal (key, "TrustAnchors"))
    {
      if (check_path (parse, key, value, &go_on))
        settings->trust_anchors = g_strdup (value);
    }
  else if (g_str_equal (key, "AllowPlainHttp"))
    return parse_bool (parse, key, value, &settings->allow_plain_http);
  else if (g_str_equal (key, "ChallengeFile"))
    {
      if (check_path (parse, key, value, &go_on))
        settings->challenge_file = g_strdup (value);
    }
  else if (g_str_equal (key, "CAFingerprint"))
    {
      settings->ca_fingerprint = parse_fingerprint (value);
      if (settings->ca_fingerprint == NULL)
        return fail (parse, key, "CAFingerprint '%s' is not a SHA-256 fingerprint: 64 hexadecimal digits, "
                     "in pairs that may be separated by colons, as 'openssl x509 -noout -fingerprint "
                     "-sha256' prints it", value);
    }
  else if (g_str_equal (key, "Timeout"))
    {
      guint64 seconds;

      if (!g_ascii_string_to_unsigned (value, 10, 1, CRADLE_CERT_TYPE_MAX_TIMEOUT, &seconds, NULL))
        return fail (parse, key, "Timeout '%s' is not a number of seconds from 1 to %d", value,
                     CRADLE_CERT_TYPE_MAX_TIMEOUT);
      settings->timeout = (guint) seconds;
    }
  else if (g_str_equal (key, "RenewAt"))
    {
      g_autofree char *number = g_strdup (value);
      guint64 percent;

      /* "80" or "80%": the share of a certificate's lifetime after which it is due. */
      if (g_str_has_suffix (number, "%"))
        number[strlen (number) - 1] = '\0';
      if (!g_ascii_string_to_unsigned (number, 10, 1, 99, &percent, NULL))
        return fail (parse, key, "RenewAt '%s' is not a share of the lifetime from 1 to 99 percent "
                     "(80 renews after four fifths of it)", value);
      settings->renew_at = (guint) percent;
    }
  else if (g_str_equal (key, "PivSlot"))
    {
      g_autoptr(GError) slot_error = NULL;
      guint8 slot = cradle_piv_slot_for_type (value, 0, NULL, &slot_error);

      if (slot == 0)
        return fail (parse, key, "PivSlot '%s' is not a PIV key slot: 9a (authentication), 9c (digital "
                     "signature), 9d (key management), 9e (card authentication), or a retired slot from "
                     "82 to 95", value);
      settings->piv_slot = g_strdup (cradle_piv_slot_to_string (slot));
    }
  else if (g_str_equal (key, "Attestation"))
    {
      if (!cradle_attestation_policy_from_string (value, &settings->attestation))
        return fail (parse, key, "Attestation '%s' is not one of check, require, include", value);
    }
  return go_on;
}

/* What the keys say together; reported at the file, without a line, and
 * for the key to change.  Checks that rest on a key already found wrong
 * are left out, so one mistake gives one problem.  Returns whether to go
 * on (FALSE: @error is set). */
static gboolean
check_whole (Parse                  *parse,
             CradleCertTypeSettings *settings,
             GHashTable             *seen)
{
  const char *protocol = cradle_ca_protocol_to_string (settings->protocol);
  gboolean auth_known = !has_problem (parse, "Auth");

  parse->line = 0;
  if (!g_hash_table_contains (seen, "Name") && !fail (parse, "Name", "Name is missing"))
    return FALSE;
  if (!g_hash_table_contains (seen, "Protocol"))
    return fail (parse, "Protocol", "Protocol is missing (certsrv, wstep, scep or est)");
  if (has_problem (parse, "Protocol"))
    return TRUE;
  if (!g_hash_table_contains (seen, "URL") &&
      !(settings->protocol == CRADLE_CA_PROTOCOL_WSTEP && g_hash_table_contains (seen, "PolicyURL")) &&
      !fail (parse, "URL", "URL is missing: where does the %s CA take requests?", protocol))
    return FALSE;
  if (g_hash_table_contains (seen, "PolicyURL") && settings->protocol != CRADLE_CA_PROTOCOL_WSTEP &&
      !fail (parse, "PolicyURL", "PolicyURL is for Protocol=wstep only"))
    return FALSE;
  if (g_hash_table_contains (seen, "Label") && settings->protocol != CRADLE_CA_PROTOCOL_EST &&
      !fail (parse, "Label", "Label is for Protocol=est only"))
    return FALSE;
  if (g_hash_table_contains (seen, "ChallengeFile") && settings->protocol != CRADLE_CA_PROTOCOL_SCEP &&
      !fail (parse, "ChallengeFile", "ChallengeFile is for Protocol=scep only"))
    return FALSE;
  if (g_hash_table_contains (seen, "CAFingerprint") && settings->protocol != CRADLE_CA_PROTOCOL_SCEP &&
      !fail (parse, "CAFingerprint", "CAFingerprint is for Protocol=scep only"))
    return FALSE;
  if (settings->template_name == NULL &&
      (settings->protocol == CRADLE_CA_PROTOCOL_CERTSRV || settings->protocol == CRADLE_CA_PROTOCOL_WSTEP) &&
      !fail (parse, "Template", "Template is missing: an AD CS CA (%s) issues only for a template", protocol))
    return FALSE;
  if (settings->protocol == CRADLE_CA_PROTOCOL_SCEP && settings->key_type != NULL &&
      !g_str_has_prefix (settings->key_type, "rsa") &&
      !fail (parse, "KeyType", "KeyType %s cannot be used with SCEP, whose answers are encrypted to an RSA key",
             settings->key_type))
    return FALSE;
  if (!g_hash_table_contains (seen, "Auth"))
    settings->auth = settings->protocol == CRADLE_CA_PROTOCOL_SCEP ? CRADLE_CREDENTIALS_NONE
                                                                   : CRADLE_CREDENTIALS_KERBEROS;
  if (auth_known && settings->auth == CRADLE_CREDENTIALS_PASSWORD &&
      settings->protocol == CRADLE_CA_PROTOCOL_SCEP &&
      !fail (parse, "Auth", "Auth=password cannot be used with SCEP; use ChallengeFile"))
    return FALSE;
  /* A plain-HTTP URL is an administrator's explicit choice (SCEP is
   * signed and encrypted end to end, so plain HTTP is its norm). */
  if (settings->protocol != CRADLE_CA_PROTOCOL_SCEP && !settings->allow_plain_http)
    {
      const char *urls[] = { settings->url, settings->policy_url };
      const char *keys[] = { "URL", "PolicyURL" };

      for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
        if (urls[i] != NULL && g_ascii_strncasecmp (urls[i], "http:", 5) == 0 &&
            !fail (parse, keys[i], "%s is plain http://; use https://, or write AllowPlainHttp=true "
                   "if you accept that requests and credentials cross the network unprotected",
                   urls[i]))
          return FALSE;
    }
  if (auth_known && settings->auth == CRADLE_CREDENTIALS_PASSWORD && settings->allow_plain_http &&
      !fail (parse, "AllowPlainHttp", "Auth=password with AllowPlainHttp=true would send the password in clear; "
             "Cradle sends passwords only over https://"))
    return FALSE;
  /* Over plain HTTP nothing binds a Kerberos sign-in to the exchange. */
  if (auth_known && settings->auth == CRADLE_CREDENTIALS_KERBEROS && settings->allow_plain_http)
    {
      const char *urls[] = { settings->url, settings->policy_url };

      for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
        if (urls[i] != NULL && g_ascii_strncasecmp (urls[i], "http:", 5) == 0)
          {
            if (!fail (parse, "Auth", "Auth=kerberos (the default) with the plain http:// URL %s would sign in "
                       "without TLS, where anyone on the way could take the signed-in exchange over; "
                       "Cradle signs in with Kerberos only over https://. Use https://, or Auth=none",
                       urls[i]))
              return FALSE;
            break;
          }
    }
  if (settings->display_name == NULL)
    settings->display_name = g_strdup (settings->name);
  return TRUE;
}

/* The one parser: strict (@problems %NULL: the first problem is @error)
 * or collecting (every problem added to @problems; %NULL returned when
 * there was any). */
static CradleCertTypeSettings *
parse_data (const char  *source,
            const char  *data,
            gsize        size,
            GPtrArray   *problems,
            GError     **error)
{
  g_autoptr(CradleCertTypeSettings) settings = g_new0 (CradleCertTypeSettings, 1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Parse parse = { source, 0, error, problems };
  gboolean in_group = FALSE;
  gboolean had_group = FALSE;
  guint problems_before = problems != NULL ? problems->len : 0;
  const char *p = data;
  const char *end = data + size;

  settings->source = g_strdup (source);
  if (size > CRADLE_CERT_TYPE_MAX_FILE_SIZE)
    {
      fail (&parse, NULL, "the file is larger than %d bytes", CRADLE_CERT_TYPE_MAX_FILE_SIZE);
      return NULL;
    }
  if (memchr (data, '\0', size) != NULL || !g_utf8_validate (data, (gssize) size, NULL))
    {
      fail (&parse, NULL, "the file is not UTF-8 text");
      return NULL;
    }

  while (p < end)
    {
      const char *newline = memchr (p, '\n', (gsize) (end - p));
      g_autofree char *line = g_strndup (p, newline != NULL ? (gsize) (newline - p) : (gsize) (end - p));
      char *equals;

      p = newline != NULL ? newline + 1 : end;
      parse.line++;
      g_strstrip (line);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (line[0] == '[')
        {
          if (!g_str_has_suffix (line, "]"))
            {
              if (!fail (&parse, NULL, "'%s' is not a group header", line))
                return NULL;
              continue;
            }
          line[strlen (line) - 1] = '\0';
          in_group = g_str_equal (line + 1, CRADLE_CERT_TYPE_GROUP);
          if (in_group && had_group)
            {
              if (!fail (&parse, NULL, "the group [%s] appears twice", CRADLE_CERT_TYPE_GROUP))
                return NULL;
              continue;
            }
          if (!in_group)
            {
              if (!fail (&parse, NULL, "unknown group [%s]; a type file holds one [%s] group",
                         line + 1, CRADLE_CERT_TYPE_GROUP))
                return NULL;
              continue;
            }
          had_group = TRUE;
          continue;
        }
      if (!in_group)
        {
          if (!fail (&parse, NULL, "'%s' comes before the [%s] group", line, CRADLE_CERT_TYPE_GROUP))
            return NULL;
          continue;
        }
      equals = strchr (line, '=');
      if (equals == NULL)
        {
          if (!fail (&parse, NULL, "'%s' is not Key=value", line))
            return NULL;
          continue;
        }
      *equals = '\0';
      g_strstrip (line);
      if (!set_key (&parse, settings, seen, line, g_strstrip (equals + 1)))
        return NULL;
    }
  if (!had_group)
    {
      parse.line = 0;
      fail (&parse, NULL, "no [%s] group", CRADLE_CERT_TYPE_GROUP);
      return NULL;
    }
  if (!check_whole (&parse, settings, seen))
    return NULL;
  if (problems != NULL && problems->len > problems_before)
    return NULL;
  return g_steal_pointer (&settings);
}

CradleCertTypeSettings *
cradle_cert_type_settings_parse (const char  *source,
                                 const char  *data,
                                 gsize        size,
                                 GError     **error)
{
  return parse_data (source, data, size, NULL, error);
}

CradleCertTypeSettings *
cradle_cert_type_settings_check (const char *source,
                                 const char *data,
                                 gsize       size,
                                 GPtrArray  *problems)
{
  g_return_val_if_fail (problems != NULL, NULL);

  return parse_data (source, data, size, problems, NULL);
}

CradleCertTypeSettings *
cradle_cert_type_settings_load (const char  *path,
                                GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  GStatBuf st;

  /* Bounded before reading: a type file is small. */
  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "%s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s: not a regular file", path);
      return NULL;
    }
  if (st.st_size > CRADLE_CERT_TYPE_MAX_FILE_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file is larger than %d bytes", path, CRADLE_CERT_TYPE_MAX_FILE_SIZE);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &size, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "%s", local_error->message);
      return NULL;
    }
  return cradle_cert_type_settings_parse (path, data, size, error);
}

static char *
read_trust_anchors (const char *folder)
{
  g_autofree char *path = g_build_filename (folder, "cradle.conf", NULL);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  char *value;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Ignoring %s: %s", path, error->message);
      return NULL;
    }
  value = g_key_file_get_string (file, "Enrollment", "TrustAnchors", NULL);
  if (value != NULL && !g_path_is_absolute (value))
    {
      g_warning ("Ignoring TrustAnchors=%s in %s: it must be an absolute path", value, path);
      g_clear_pointer (&value, g_free);
    }
  return value;
}

char *
cradle_cert_type_dup_default_trust_anchors (void)
{
  g_autofree char *user = cradle_paths_dup_config_dir ();
  g_autofree char *system = cradle_paths_dup_system_config_dir ();
  char *value = read_trust_anchors (user);

  return value != NULL ? value : read_trust_anchors (system);
}

gboolean
cradle_cert_type_get_trust_directory_roots (void)
{
  return cradle_settings_get_conf_boolean ("Enrollment", "TrustDirectoryRoots", TRUE);
}
