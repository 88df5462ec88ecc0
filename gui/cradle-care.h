/* cradle-care.h: the application's care of the cradled device
 *
 * One per application, whether a window is open or not: the session (the
 * sign-in and the types), the device watcher, the pending store and the
 * journal, and the retriever that resumes pending requests in the
 * background.  The window borrows them; the application runs them alone
 * as a service (cradle --gapplication-service).
 */
#pragma once

#include <cradle/cradle.h>

#include "cradle-device-watcher.h"
#include "cradle-session.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_CARE (cradle_care_get_type ())
G_DECLARE_FINAL_TYPE (CradleCare, cradle_care, CRADLE, CARE, GObject)

CradleCare          *cradle_care_new           (CradleSession *session);
/* Opens the pending store and the journal (on a thread), starts following
 * plugging and signs in.  Calling it again does nothing. */
void                 cradle_care_start         (CradleCare    *self);
gboolean             cradle_care_is_started    (CradleCare    *self);
void                 cradle_care_stop          (CradleCare    *self);
CradleSession       *cradle_care_get_session   (CradleCare    *self);
CradleDeviceWatcher *cradle_care_get_watcher   (CradleCare    *self);
/* (nullable) until opened: "notify::store" */
CradlePendingStore  *cradle_care_get_store     (CradleCare    *self);
/* (nullable): without a journal enrollments still work */
CradleJournal       *cradle_care_get_journal   (CradleCare    *self);
/* (nullable): why the pending store could not be opened, for people */
const char          *cradle_care_get_problem   (CradleCare    *self);
/* (nullable) until signed in with the directory's types: "notify::retriever" */
CradleRetriever     *cradle_care_get_retriever (CradleCare    *self);
/* Looks after @device's certificates now (as when it arrives, and daily
 * while it stays): revocation and expiry checked, due ones renewed. */
void                 cradle_care_look_after    (CradleCare    *self,
                                                CradleDevice  *device);
/* Checks @certs (CradleDeviceCert) of @device, for badges; answers kept
 * from earlier checks are used where they still hold, unless @refresh. */
void                 cradle_care_check_async   (CradleCare          *self,
                                                CradleDevice        *device,
                                                GPtrArray           *certs,
                                                gboolean             refresh,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* Returns: (element-type CradleCertStatus) (transfer container) */
GPtrArray           *cradle_care_check_finish  (CradleCare          *self,
                                                GAsyncResult        *result,
                                                GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether a background renewal runs now. */
gboolean             cradle_care_is_renewing   (CradleCare    *self);
/* A renewal of @status's certificate, not yet run, or NULL with @error
 * saying why Cradle cannot renew it (no key, a type it does not know). */
CradleEnrollment    *cradle_care_new_renewal   (CradleCare       *self,
                                                CradleDevice     *device,
                                                CradleCertStatus *status,
                                                GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The user's own run has @device: nothing runs on it in the background
 * until cradle_care_release_device().  Several devices can be held at
 * once (the user enrolls several); holding one twice is holding it. */
void                 cradle_care_hold_device   (CradleCare    *self,
                                                CradleDevice  *device);
void                 cradle_care_release_device (CradleCare   *self,
                                                CradleDevice  *device);

G_END_DECLS
