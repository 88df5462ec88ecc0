/* cradle-renewal-window.c: when a certificate is due for renewal, and its verdict */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"

gint64
cradle_renewal_window_for_share (gint64 not_before,
                                 gint64 not_after,
                                 guint  percent)
{
  gint64 life = not_after - not_before;

  if (not_after <= not_before)
    return not_before;
  percent = CLAMP (percent, 1, 100);
  /* life / 100 * percent, plus the remainder's share: no overflow for any
   * life a gint64 holds. */
  return not_before + (life / 100) * percent + (life % 100) * percent / 100;
}

gint64
cradle_renewal_window_for_template (gint64  not_before,
                                    gint64  not_after,
                                    guint64 overlap_seconds)
{
  gint64 eighty = cradle_renewal_window_for_share (not_before, not_after, CRADLE_RENEW_AT_DEFAULT_PERCENT);
  gint64 life = not_after - not_before;
  gint64 overlap;

  if (overlap_seconds == 0 || not_after <= not_before)
    return eighty;
  /* A period longer than the lifetime opens the window at notBefore; the
   * 80% then decides. */
  overlap = overlap_seconds >= (guint64) life ? life : (gint64) overlap_seconds;
  return MAX (eighty, not_after - overlap);
}

CradleCertVerdict
cradle_cert_verdict_at (gint64                not_before,
                        gint64                not_after,
                        gint64                renew_at,
                        CradleRevocationState revocation,
                        gint64                now)
{
  if (revocation == CRADLE_REVOCATION_REVOKED)
    return CRADLE_CERT_VERDICT_REVOKED;
  if (now < not_before || now >= not_after)
    return CRADLE_CERT_VERDICT_EXPIRED;
  if (renew_at > 0 && now >= renew_at)
    return CRADLE_CERT_VERDICT_RENEW_SOON;
  if (revocation == CRADLE_REVOCATION_UNKNOWN)
    return CRADLE_CERT_VERDICT_UNKNOWN;
  return CRADLE_CERT_VERDICT_VALID;
}
