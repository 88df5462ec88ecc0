/* cradle-support-report-redact.c: user and host names replaced
 *
 * With CRADLE_SUPPORT_REPORT_REDACT_NAMES every user name, the domain (as
 * a name, as a realm in capitals and as DC=…,DC=… in a DN) and every host
 * name (the ones given and each name under the domain found in any file)
 * is replaced in every file by a stand-in: "user1", "domain1.example",
 * "host1.domain1.example".  Case does not matter, so a realm and its
 * domain get the same stand-in, and the same name gets the same stand-in
 * in every file, so that support staff can still follow one name through
 * the report.  Only whole names are replaced ("alice", not the "alice" in
 * "malice"). */
#include "config.h"

#include "support/cradle-support-report-private.h"

#include <string.h>

/* What may be part of a name: a match must not continue into one. */
#define NAME_CHAR "A-Za-z0-9_-"

typedef struct {
  GHashTable *stand_ins;  /* lower-case name -> stand-in */
  guint       users;
  guint       domains;
  guint       hosts;
} Redaction;

static char *
dn_of_domain (const char *domain)
{
  g_auto(GStrv) labels = g_strsplit (domain, ".", -1);
  GString *dn = g_string_new (NULL);

  for (guint i = 0; labels[i] != NULL; i++)
    g_string_append_printf (dn, "%sDC=%s", i > 0 ? "," : "", labels[i]);
  return g_string_free (dn, FALSE);
}

static gboolean
usable_name (const char *name)
{
  return name != NULL && strlen (name) >= 2 && strlen (name) <= 253;
}

static void
add_stand_in (Redaction  *redaction,
              const char *name,
              const char *stand_in)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (!g_hash_table_contains (redaction->stand_ins, lower))
    g_hash_table_insert (redaction->stand_ins, g_steal_pointer (&lower), g_strdup (stand_in));
}

/* The stand-in of @domain, or NULL when it is not one of them. */
static const char *
domain_stand_in (Redaction  *redaction,
                 const char *domain)
{
  g_autofree char *lower = g_ascii_strdown (domain, -1);

  return g_hash_table_lookup (redaction->stand_ins, lower);
}

static void
add_host (Redaction  *redaction,
          const char *host,
          GPtrArray  *domains)
{
  g_autofree char *lower = NULL;
  g_autofree char *stand_in = NULL;

  if (!usable_name (host))
    return;
  lower = g_ascii_strdown (host, -1);
  if (g_hash_table_contains (redaction->stand_ins, lower))
    return;
  redaction->hosts++;
  for (guint i = 0; i < domains->len && stand_in == NULL; i++)
    {
      const char *domain = g_ptr_array_index (domains, i);
      g_autofree char *suffix = g_ascii_strdown (domain, -1);
      gsize host_length = strlen (lower), suffix_length = strlen (suffix);

      if (host_length > suffix_length + 1 && lower[host_length - suffix_length - 1] == '.' &&
          g_str_has_suffix (lower, suffix))
        stand_in = g_strdup_printf ("host%u.%s", redaction->hosts, domain_stand_in (redaction, domain));
    }
  if (stand_in == NULL)
    stand_in = g_strdup_printf ("host%u.example", redaction->hosts);
  add_stand_in (redaction, lower, stand_in);
}

/* Every name under one of @domains in @files, as hosts to replace. */
static void
find_hosts (Redaction *redaction,
            GPtrArray *files,
            GPtrArray *domains)
{
  for (guint i = 0; i < domains->len; i++)
    {
      const char *domain = g_ptr_array_index (domains, i);
      g_autofree char *quoted = g_regex_escape_string (domain, -1);
      g_autofree char *pattern = g_strdup_printf ("(?<![." NAME_CHAR "])(?:[A-Za-z0-9-]+\\.)+%s(?![" NAME_CHAR "])",
                                                  quoted);
      g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_RAW | G_REGEX_OPTIMIZE, 0, NULL);

      if (regex == NULL)
        continue;
      for (guint j = 0; j < files->len; j++)
        {
          CradleReportFile *file = g_ptr_array_index (files, j);
          g_autoptr(GMatchInfo) match = NULL;

          g_regex_match_full (regex, file->text->str, (gssize) file->text->len, 0, 0, &match, NULL);
          while (g_match_info_matches (match))
            {
              g_autofree char *host = g_match_info_fetch (match, 0);

              add_host (redaction, host, domains);
              g_match_info_next (match, NULL);
            }
        }
    }
}

static gint
longer_first (gconstpointer a,
              gconstpointer b)
{
  gsize la = strlen (*(const char * const *) a), lb = strlen (*(const char * const *) b);

  return la < lb ? 1 : la > lb ? -1 : strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
replace_one (const GMatchInfo *match,
             GString          *result,
             gpointer          user_data)
{
  Redaction *redaction = user_data;
  g_autofree char *name = g_match_info_fetch (match, 0);
  g_autofree char *lower = g_ascii_strdown (name, -1);
  const char *stand_in = g_hash_table_lookup (redaction->stand_ins, lower);

  g_string_append (result, stand_in != NULL ? stand_in : "(name)");
  return FALSE;
}

void
_cradle_support_report_redact_names (GPtrArray *files,
                                     GPtrArray *users,
                                     GPtrArray *domains,
                                     GPtrArray *hosts)
{
  Redaction redaction = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free), 0, 0, 0 };
  g_autoptr(GPtrArray) usable_domains = g_ptr_array_new ();
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GString) pattern = g_string_new ("(?<![" NAME_CHAR "])(?:");
  g_autoptr(GRegex) regex = NULL;
  GHashTableIter iter;
  gpointer key;
  CradleReportFile *note;

  for (guint i = 0; i < domains->len; i++)
    {
      const char *domain = g_ptr_array_index (domains, i);

      if (!usable_name (domain) || domain_stand_in (&redaction, domain) != NULL)
        continue;
      {
        g_autofree char *stand_in = g_strdup_printf ("domain%u.example", ++redaction.domains);
        g_autofree char *dn = dn_of_domain (domain);
        g_autofree char *dn_stand_in = g_strdup_printf ("DC=domain%u,DC=example", redaction.domains);

        add_stand_in (&redaction, domain, stand_in);
        add_stand_in (&redaction, dn, dn_stand_in);
        g_ptr_array_add (usable_domains, (gpointer) domain);
      }
    }
  for (guint i = 0; i < users->len; i++)
    {
      const char *user = g_ptr_array_index (users, i);
      g_autofree char *lower = NULL;

      if (!usable_name (user))
        continue;
      lower = g_ascii_strdown (user, -1);
      if (!g_hash_table_contains (redaction.stand_ins, lower))
        {
          g_autofree char *stand_in = g_strdup_printf ("user%u", ++redaction.users);

          add_stand_in (&redaction, lower, stand_in);
        }
    }
  for (guint i = 0; i < hosts->len; i++)
    add_host (&redaction, g_ptr_array_index (hosts, i), usable_domains);
  find_hosts (&redaction, files, usable_domains);

  /* One pattern of every name, the longest first, so that a host is
   * replaced whole before its domain could be. */
  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, redaction.stand_ins);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, key);
  g_ptr_array_sort (names, longer_first);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *quoted = g_regex_escape_string (g_ptr_array_index (names, i), -1);

      g_string_append_printf (pattern, "%s%s", i > 0 ? "|" : "", quoted);
    }
  g_string_append (pattern, ")(?![" NAME_CHAR "])");
  if (names->len > 0)
    regex = g_regex_new (pattern->str, G_REGEX_CASELESS | G_REGEX_RAW | G_REGEX_OPTIMIZE, 0, NULL);
  for (guint i = 0; regex != NULL && i < files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (files, i);
      g_autofree char *replaced = g_regex_replace_eval (regex, file->text->str, (gssize) file->text->len, 0, 0,
                                                       replace_one, &redaction, NULL);

      if (replaced != NULL)
        {
          g_string_truncate (file->text, 0);
          g_string_append (file->text, replaced);
        }
    }

  note = _cradle_report_file_new (files, "redacted-names.txt", "which kinds of names were replaced (never the names)");
  g_string_append_printf (note->text,
                          "User and host names in this report were replaced by stand-ins:\n"
                          "  %u user name(s) by user1, user2, …\n"
                          "  %u domain(s) by domain1.example, … (the realm in capitals and the DN's\n"
                          "    DC=…,DC=… parts too: DC=domain1,DC=example)\n"
                          "  %u host name(s) by host1.domain1.example, … (host1.example for a host\n"
                          "    outside the domain)\n"
                          "The same name has the same stand-in in every file, whatever its case.\n"
                          "Device serial numbers are kept: support staff match them with\n"
                          "`cradlectl devices`; they name hardware, not people.\n",
                          redaction.users, redaction.domains, redaction.hosts);
  g_hash_table_unref (redaction.stand_ins);
}
