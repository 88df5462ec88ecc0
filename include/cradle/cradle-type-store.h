/* cradle-type-store.h: saving, removing and listing administrators' certificate types
 *
 * The user's types are files in cradle_paths_dup_config_dir()/types.d,
 * the administrator's in cradle_paths_dup_system_config_dir()/types.d;
 * each type is NAME.conf.  A SCEP challenge is kept in NAME.challenge
 * beside it, mode 0600, and the type file names it in ChallengeFile: the
 * challenge itself is never in the type file, a log or an error.
 *
 * The user's folder is written here, atomically (a whole new file or
 * none).  The administrator's is written by the polkit-authorised helper:
 *   pkexec LIBEXECDIR/cradle-types-helper save NAME
 *   pkexec LIBEXECDIR/cradle-types-helper remove NAME
 * which checks what it reads again, as hostile.  For save, standard input
 * holds the type file's text (at most 64 KiB, UTF-8, no NUL byte); when a
 * challenge comes with it, a NUL byte follows the text, then the
 * challenge to the end of input (at most 1 KiB; empty: remove the
 * challenge file).  Without a NUL byte the challenge file is left as it
 * is.  The text names the challenge file as ChallengeFile=
 * <the system types.d>/NAME.challenge when there is one.  LIBEXECDIR is
 * the build's (CRADLE_TYPES_HELPER in config.h).
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-type-draft.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_TYPE_SCOPE_USER,    /* ~/.config/cradle/types.d */
  CRADLE_TYPE_SCOPE_SYSTEM,  /* /etc/cradle/types.d, through pkexec */
} CradleTypeScope;

/* Saves @draft as NAME.conf of @scope's types.d, replacing a type of the
 * same name there.  @challenge: (nullable): SCEP's challenge password,
 * written to NAME.challenge (0600) and named by ChallengeFile; %NULL keeps
 * the draft's "challenge-file" as it is, "" removes the challenge file.
 * Nothing is written when the draft does not validate
 * (CRADLE_ERROR_INVALID_DATA, every problem one per line); on success the
 * draft's "source" and "challenge-file" say where it went. */
CRADLE_PUBLIC
gboolean   cradle_type_store_save   (CradleTypeDraft  *draft,
                                     CradleTypeScope   scope,
                                     const char       *challenge,
                                     GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes NAME.conf (and NAME.challenge) of @scope's types.d;
 * CRADLE_ERROR_NOT_FOUND when there is no such type there. */
CRADLE_PUBLIC
gboolean   cradle_type_store_remove (const char       *name,
                                     CradleTypeScope   scope,
                                     GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* Every type file of both folders, the administrator's first, each
 * sorted by name (a user's type of the same name as an administrator's
 * is listed after it: the user's wins, as cradle_cert_type_list() says),
 * with its "source".  A file that cannot be read is left out (see
 * cradle_type_store_list_full()); CRADLE_ERROR_FAILED only when a folder
 * cannot be read at all.
 * Returns: (element-type CradleTypeDraft) (transfer full) */
CRADLE_PUBLIC
GPtrArray *cradle_type_store_list   (GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, and the files that could not be read: @problems (out)
 * (optional) (element-type utf8): "FILE:LINE: what is wrong", one per
 * file left out. */
CRADLE_PUBLIC
GPtrArray *cradle_type_store_list_full (GPtrArray      **problems,
                                        GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* The folder of @scope: (transfer full). */
CRADLE_PUBLIC
char      *cradle_type_store_dup_folder (CradleTypeScope scope);

G_END_DECLS
