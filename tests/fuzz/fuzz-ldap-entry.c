/* fuzz-ldap-entry.c: libFuzzer harness for directory entries
 * (core/directory/cradle-ldap-entry.c): cradle_ldap_entry_new_from_message,
 * which copies an entry a domain controller sent, and
 * cradle_ldap_entry_new_from_variant, which reads one back from the
 * kept-catalog file (core/catalog/cradle-catalog-cache.c)
 *
 * Outside bytes: the LDAP server's answers to a search (user, templates,
 * enrollment services, NTAuth, AIA and root entries), and the catalog file
 * in the user's state folder. The first byte picks the form:
 *  even: the rest is one entry's GVariant form, "(sa{saay})", untrusted
 *        (the file's reader also asks for normal form; this harness does
 *        not, so it is the stricter);
 *  odd:  the rest is what a server sends on a connection after a search
 *        request (LDAPMessages, BER), read by libldap over a socket pair
 *        exactly as on a real connection; each entry of the result is
 *        copied as the directory stage copies it.
 * Every entry read is read through all its accessors, and what it keeps
 * (cradle_ldap_entry_to_variant, as the catalog file is written) reads back
 * to the same DN and values.
 *
 * Seeds: every entry of the lab's catalog for bob (user, templates,
 * services, NTAuth, roots) in GVariant form, as cradle_ldap_entry_to_variant
 * wrote them; the lab Samba's own answers to searches for bob's user entry,
 * the certificate templates and the enrollment services, captured on the
 * wire; and damaged ones. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

#include <openldap.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* What the catalog reads of entries, and a few more. */
static const char * const attributes[] = {
  "cn", "displayName", "objectSid", "objectGUID", "userPrincipalName", "mail", "memberOf",
  "tokenGroups", "msPKI-Cert-Template-OID", "msPKI-Template-Schema-Version", "revision",
  "msPKI-Template-Minor-Revision", "flags", "msPKI-Enrollment-Flag", "msPKI-Certificate-Name-Flag",
  "msPKI-Private-Key-Flag", "msPKI-RA-Signature", "msPKI-Minimal-Key-Size", "pKIExtendedKeyUsage",
  "msPKI-Certificate-Application-Policy", "nTSecurityDescriptor", "certificateTemplates",
  "dNSHostName", "cACertificate", "msPKI-Enrollment-Servers", "objectClass",
};

static void
read_values (const CradleLdapEntry *entry,
             const char            *attribute)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) texts = NULL;
  g_autoptr(GPtrArray) binaries = NULL;
  g_autoptr(GBytes) binary = NULL;
  guint32 number = 0;

  if (cradle_ldap_entry_dup_string (entry, attribute, &text, &error))
    g_assert (text == NULL || g_utf8_validate (text, -1, NULL));
  else
    g_assert (error != NULL && text == NULL);
  g_clear_error (&error);
  if (cradle_ldap_entry_dup_strings (entry, attribute, &texts, &error))
    for (guint i = 0; texts[i] != NULL; i++)
      g_assert (g_utf8_validate (texts[i], -1, NULL));
  else
    g_assert (error != NULL);
  g_clear_error (&error);
  if (cradle_ldap_entry_dup_binaries (entry, attribute, 64 * 1024, &binaries, &error))
    for (guint i = 0; i < binaries->len; i++)
      g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (binaries, i)), <=, 64 * 1024);
  else
    g_assert (error != NULL);
  g_clear_error (&error);
  if (cradle_ldap_entry_dup_binary (entry, attribute, 16, &binary, &error))
    g_assert (binary == NULL || g_bytes_get_size (binary) <= 16);
  else
    g_assert (error != NULL && binary == NULL);
  g_clear_error (&error);
  if (!cradle_ldap_entry_get_int32 (entry, attribute, 7, &number, &error))
    g_assert (error != NULL);
}

/* An entry kept and read back is the same entry. */
static void
check_kept (const CradleLdapEntry *entry)
{
  g_autoptr(GVariant) kept = g_variant_ref_sink (cradle_ldap_entry_to_variant (entry));
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(CradleLdapEntry) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *dn;
  const char *name;
  GVariant *values;

  /* As the file is written, then read: serialised, then checked. */
  normal = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (CRADLE_LDAP_ENTRY_VARIANT_TYPE),
                                                        g_variant_get_data (kept), g_variant_get_size (kept),
                                                        FALSE, NULL, NULL));
  g_assert_true (g_variant_is_normal_form (normal));
  again = cradle_ldap_entry_new_from_variant (normal, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_ldap_entry_get_dn (again), ==, cradle_ldap_entry_get_dn (entry));

  g_variant_get (kept, "(&sa{saay})", &dn, &iter);
  while (g_variant_iter_loop (iter, "{&s@aay}", &name, &values))
    {
      g_autoptr(GPtrArray) mine = NULL;
      g_autoptr(GPtrArray) theirs = NULL;

      g_assert_true (cradle_ldap_entry_dup_binaries (entry, name, G_MAXSIZE, &mine, &error));
      g_assert_true (cradle_ldap_entry_dup_binaries (again, name, G_MAXSIZE, &theirs, &error));
      g_assert_cmpuint (mine->len, ==, theirs->len);
      g_assert_cmpuint (mine->len, ==, g_variant_n_children (values));
      for (guint i = 0; i < mine->len; i++)
        g_assert_true (g_bytes_equal (g_ptr_array_index (mine, i), g_ptr_array_index (theirs, i)));
      read_values (entry, name);
    }
}

static void
check_entry (CradleLdapEntry *entry,
             GError          *error)
{
  g_assert ((entry == NULL) == (error != NULL));
  if (entry == NULL)
    {
      g_assert (error->domain == CRADLE_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return;
    }
  g_assert_nonnull (cradle_ldap_entry_get_dn (entry));
  for (guint i = 0; i < G_N_ELEMENTS (attributes); i++)
    read_values (entry, attributes[i]);
  check_kept (entry);
}

static void
read_variant (const guint8 *data,
              gsize         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_from_bytes (
      G_VARIANT_TYPE (CRADLE_LDAP_ENTRY_VARIANT_TYPE), bytes, FALSE));
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleLdapEntry) entry = cradle_ldap_entry_new_from_variant (variant, &error);

  check_entry (entry, error);
}

/* Writes all of @data, or as much as the peer takes. */
static void
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n <= 0)
        return;
      data += n;
      size -= (gsize) n;
    }
}

static void
read_wire (const guint8 *data,
           gsize         size)
{
  int fds[2];
  int version = LDAP_VERSION3;
  int msgid = 0;
  int buffer = 1024 * 1024;
  struct timeval timeout = { 5, 0 };
  LDAP *ld = NULL;
  LDAPMessage *result = NULL;

  g_assert (cradle_libldap_load (NULL));
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  /* More than the socket holds is cut short, never waited on. */
  setsockopt (fds[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  fcntl (fds[1], F_SETFL, fcntl (fds[1], F_GETFL) | O_NONBLOCK);
  g_assert_cmpint (ldap_init_fd (fds[0], LDAP_PROTO_TCP, "ldap://fuzz.invalid", &ld), ==, LDAP_SUCCESS);
  ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  /* As the product's connections: a length over the limit is refused, not allocated. */
  g_assert (cradle_ldap_limit_incoming (ld, NULL));
  /* The first request on a connection is message 1, as the seeds answer. */
  g_assert_cmpint (ldap_search_ext (ld, "DC=corp,DC=example,DC=test", LDAP_SCOPE_SUBTREE, "(objectClass=*)",
                                    NULL, 0, NULL, NULL, NULL, 0, &msgid), ==, LDAP_SUCCESS);
  write_all (fds[1], data, size);
  close (fds[1]);

  if (ldap_result (ld, msgid, LDAP_MSG_ALL, &timeout, &result) > 0)
    {
      guint count = 0;

      for (LDAPMessage *message = ldap_first_entry (ld, result);
           message != NULL && count < CRADLE_LDAP_MAX_ENTRIES;
           message = ldap_next_entry (ld, message), count++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CradleLdapEntry) entry = cradle_ldap_entry_new_from_message (ld, message, &error);

          check_entry (entry, error);
        }
    }
  ldap_msgfree (result);
  /* libldap keeps a request whose answer was cut off by a decoding
   * error, and does not free it on unbind. */
  ldap_abandon_ext (ld, msgid, NULL, NULL);
  ldap_unbind_ext (ld, NULL, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static gboolean ready;

  if (!ready)
    {
      /* The peer is gone when libldap says goodbye. */
      signal (SIGPIPE, SIG_IGN);
      /* A GLib critical is a bug, here as in the product. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      ready = TRUE;
    }
  if (size < 1)
    return 0;
  if (data[0] % 2 == 0)
    read_variant (data + 1, size - 1);
  else
    read_wire (data + 1, size - 1);
  return 0;
}
