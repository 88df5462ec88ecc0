/* cradle-renewal.h: which certificates are due, and what a renewal leaves to clean up
 *
 * A renewal itself is an enrollment run with an old certificate
 * (cradle_enrollment_set_renewal()).  Here: the renewal window, kept in
 * one function so that it can be swapped for the status checks' own; the
 * clean-up a renewal could not finish (the device went away between
 * installing the new certificate and deleting the old one); and removing
 * a certificate (revoked, replaced) with the device's confirmation.  Both
 * removals are journal runs of kind "remove".
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-device.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-pending-store.h>

G_BEGIN_DECLS

/* Whether @certificate of @type (nullable) is in its renewal window at
 * @now (seconds since 1970 UTC), as `cradlectl status` works it out: the
 * type's RenewAt= share of the lifetime; else, for a template with a
 * renewal period (pKIOverlapPeriod), once 80 % of the lifetime has passed
 * and within that period of its end; else 80 % of the lifetime.  An
 * expired certificate is due too; one that cannot be read is not. */
CRADLE_PUBLIC
gboolean cradle_renewal_is_due                (CradleCertificate  *certificate,
                                               CradleCertType     *type,
                                               gint64              now);

/* Removes the old certificates of renewals installed on @device whose
 * removal did not happen (the device went away between the install and
 * the delete); each removal is asked of the device's user.  Returns how
 * many were removed; a device that fails stops the clean-up with @error
 * (a declined one is recorded as kept and not asked again). */
CRADLE_PUBLIC
gboolean cradle_renewal_finish_replacements   (CradleDevice       *device,
                                               CradlePendingStore *store,
                                               CradleJournal      *journal,
                                               guint              *removed,
                                               GCancellable       *cancellable,
                                               GError            **error) G_GNUC_WARN_UNUSED_RESULT;

/* Removes @certificate from @device's MY store (DELETE_CERT: the device
 * asks its user, and retires the key); @journal: (nullable). */
CRADLE_PUBLIC
gboolean cradle_renewal_remove_certificate    (CradleDevice       *device,
                                               CradleCertificate  *certificate,
                                               CradleJournal      *journal,
                                               GCancellable       *cancellable,
                                               GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
