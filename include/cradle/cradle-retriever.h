/* cradle-retriever.h: finishing unfinished requests while a device is cradled
 *
 * While the app runs, each cradled device's unfinished requests (in the
 * pending store, by the device's serial) are resumed one at a time: when
 * the device arrives, when a request's next attempt is due (back-off: 30 s
 * doubling to 1 h, never sooner than the CA's Retry-After, recorded in the
 * store's next_attempt), and on demand.  Each resume is a
 * #CradleEnrollment, announced so the app can show its steps.  A token
 * whose PIN is not given yet (cradle_device_get_pin_state()) is left alone,
 * with one message saying so: its requests are resumed once the PIN is
 * entered and the device is added again or cradle_retriever_retrieve_now()
 * is called.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-enrollment.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_RETRIEVER (cradle_retriever_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleRetriever, cradle_retriever, CRADLE, RETRIEVER, GObject)

/* Works on the thread-default main context of the caller.
 * @journal: (nullable) */
CRADLE_PUBLIC
CradleRetriever *cradle_retriever_new            (CradlePendingStore *store,
                                                  CradleJournal      *journal,
                                                  CradleCredentials  *credentials);
/* The types requests may have been made with, for their connectors'
 * settings (TLS anchors, plain HTTP, timeouts); (element-type CradleCertType). */
CRADLE_PUBLIC
void             cradle_retriever_set_cert_types (CradleRetriever    *self,
                                                  GPtrArray          *types);
/* @device (opened: its serial is known) is cradled: its requests are due
 * at once, then as their next attempts come. */
CRADLE_PUBLIC
void             cradle_retriever_add_device     (CradleRetriever    *self,
                                                  CradleDevice       *device);
/* @device is gone, or the app enrolls it itself: no more resumes (one
 * running is cancelled). */
CRADLE_PUBLIC
void             cradle_retriever_remove_device  (CradleRetriever    *self,
                                                  CradleDevice       *device);
/* Resume @request_id now (0: every unfinished request of a cradled device),
 * whatever its back-off says. */
CRADLE_PUBLIC
void             cradle_retriever_retrieve_now   (CradleRetriever    *self,
                                                  gint64              request_id);
/* Whether a resume runs now. */
CRADLE_PUBLIC
gboolean         cradle_retriever_is_busy        (CradleRetriever    *self);
/* Cancels what runs and stops scheduling; also done on dispose. */
CRADLE_PUBLIC
void             cradle_retriever_stop           (CradleRetriever    *self);

/* Signals:
 *
 * "enrollment-started" (CradleEnrollment *enrollment): a resume begins;
 *   connect to its "step-changed" and "waiting-for-device".
 * "enrollment-finished" (CradleEnrollment *enrollment): it ended; see
 *   cradle_enrollment_get_outcome() and _get_error().
 */

G_END_DECLS
