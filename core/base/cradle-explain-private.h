/* cradle-explain-private.h: the explanation table, for its lookup and its tests */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

struct _CradleExplanation
{
  CradleExplainKind  kind;
  guint32            code;
  const char        *name;
  const char        *summary;
  const char        *user_action;
  const char        *support_action;
  gboolean           generic;
};

/* cradle-explain-table.c: every known code, in one table. */
const CradleExplanation *cradle_explain_get_table (gsize *n_entries);

G_END_DECLS
