/* cradle-revocation-result.c: one revocation answer, and the times it holds */
#include "config.h"

#include <time.h>

#include "revocation/cradle-revocation-private.h"

CradleRevocationResult *
cradle_revocation_result_new (void)
{
  CradleRevocationResult *result = g_new0 (CradleRevocationResult, 1);

  result->state = CRADLE_REVOCATION_UNKNOWN;
  result->reason = -1;
  return result;
}

void
cradle_revocation_result_free (CradleRevocationResult *result)
{
  if (result == NULL)
    return;
  g_free (result->url);
  g_free (result->detail);
  g_free (result);
}

gboolean
cradle_revocation_time_to_unix (const ASN1_TIME *time,
                                gint64          *seconds)
{
  struct tm tm = { 0 };

  if (time == NULL || ASN1_TIME_to_tm (time, &tm) != 1)
    return FALSE;
  *seconds = (gint64) timegm (&tm);
  return TRUE;
}
