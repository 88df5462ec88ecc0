/* cradle-diagnose-hops-private.h: what the type, ca and certificate hops share
 *
 * Words for a template's flags (cradle-diagnose-words.c) and a deadline
 * for steps that take only a cancellable (cradle-diagnose-deadline.c).
 */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* ---- cradle-diagnose-words.c ------------------------------------------- */

/* Text from outside (nullable) escaped to one line for a check's "found"
 * or message (cradle_text_escape()); %NULL for %NULL. */
char    *_cradle_diagnose_words_escape     (const char          *text);

/* msPKI-Certificate-Name-Flag's names, in words ("UPN (userPrincipalName)
 * in the alternative name, …"); %NULL when it asks for none. */
char    *_cradle_diagnose_words_name_flags (guint32              name_flags);
/* pKIKeyUsage in words ("digital signature, key encipherment"). */
char    *_cradle_diagnose_words_key_usage  (guint                key_usage);
/* Extended key usages in words, each with its OID; "any purpose (none listed)". */
char    *_cradle_diagnose_words_ekus       (const char * const  *ekus);
/* "1 year", "6 weeks", "10 minutes". */
char    *_cradle_diagnose_words_duration   (guint64              seconds);

/* ---- cradle-diagnose-deadline.c ---------------------------------------- */

/* A cancellable cancelled at @timeout_ms from now, or when @parent is. */
typedef struct _CradleDiagnoseDeadline CradleDiagnoseDeadline;

CradleDiagnoseDeadline *_cradle_diagnose_deadline_new     (GCancellable           *parent,
                                                           guint                   timeout_ms);
void                    _cradle_diagnose_deadline_free    (CradleDiagnoseDeadline *self);
GCancellable           *_cradle_diagnose_deadline_get_cancellable (CradleDiagnoseDeadline *self);
/* TRUE once the deadline passed (not when the parent was cancelled). */
gboolean                _cradle_diagnose_deadline_expired (CradleDiagnoseDeadline *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleDiagnoseDeadline, _cradle_diagnose_deadline_free)

G_END_DECLS
