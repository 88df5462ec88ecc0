/* cradle-pending-store.h: every enrollment request, kept until it is finished */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>

G_BEGIN_DECLS

/**
 * CradlePendingStatus:
 * @CRADLE_PENDING_STATUS_SUBMITTING: recorded, and being sent to the CA; the
 *   CA may or may not have it (after a crash, ask again or resend)
 * @CRADLE_PENDING_STATUS_PENDING: the CA said it will decide later
 * @CRADLE_PENDING_STATUS_ISSUED: the certificate arrived and is kept here;
 *   it is not on the device yet
 * @CRADLE_PENDING_STATUS_INSTALLED: on the device; finished
 * @CRADLE_PENDING_STATUS_DENIED: the CA refused it; finished
 * @CRADLE_PENDING_STATUS_FAILED: given up for another reason; finished
 *
 * The life of a request; the store refuses every other step:
 *
 *   add         -> submitting (recorded before the request goes to the CA)
 *   submitting  -> pending | issued | denied | failed
 *   pending     -> pending (still pending when polled) | issued | denied | failed
 *   issued      -> installed | failed (the certificate does not fit the key)
 *   installed, denied, failed: finished; only remove
 *
 * submitting, pending and issued are unfinished: an engine that starts
 * again resumes them.  A try that ends without an answer (the CA or the
 * device is unreachable) keeps the status and only records the attempt.
 */
typedef enum {
  CRADLE_PENDING_STATUS_SUBMITTING,
  CRADLE_PENDING_STATUS_PENDING,
  CRADLE_PENDING_STATUS_ISSUED,
  CRADLE_PENDING_STATUS_INSTALLED,
  CRADLE_PENDING_STATUS_DENIED,
  CRADLE_PENDING_STATUS_FAILED,
} CradlePendingStatus;

/* The size of a key id, as the device chooses it (bridge protocol). */
#define CRADLE_PENDING_KEY_ID_SIZE 16

/* "submitting", "pending", … as stored, shown and printed in --json. */
CRADLE_PUBLIC
const char *cradle_pending_status_to_string  (CradlePendingStatus  status);
CRADLE_PUBLIC
gboolean    cradle_pending_status_from_string (const char          *name,
                                               CradlePendingStatus *status);
/* TRUE for installed, denied and failed: nothing more will happen. */
CRADLE_PUBLIC
gboolean    cradle_pending_status_is_finished (CradlePendingStatus  status);
/* Whether the store lets a request go from @from to @to. */
CRADLE_PUBLIC
gboolean    cradle_pending_status_can_become  (CradlePendingStatus  from,
                                               CradlePendingStatus  to);

/* ---- one request, as read from the store (a snapshot; never changes) -- */

#define CRADLE_TYPE_PENDING_REQUEST (cradle_pending_request_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradlePendingRequest, cradle_pending_request, CRADLE, PENDING_REQUEST, GObject)

/* The store's own number for the request, from 1; never reused. */
CRADLE_PUBLIC
gint64              cradle_pending_request_get_id            (CradlePendingRequest *self);
/* "certsrv", "wstep", "scep" or "est" */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_connector     (CradlePendingRequest *self);
/* Where the request was sent. */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_endpoint      (CradlePendingRequest *self);
/* (nullable): the CA's number for it; %NULL until the CA answered. */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_ca_request_id (CradlePendingRequest *self);
/* (nullable): where to ask later, when not the endpoint. */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_retrieve_uri  (CradlePendingRequest *self);
/* (nullable): the template's cn */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_template_name (CradlePendingRequest *self);
CRADLE_PUBLIC
const char         *cradle_pending_request_get_device_serial (CradlePendingRequest *self);
/* CRADLE_PENDING_KEY_ID_SIZE bytes: the key on the device. */
CRADLE_PUBLIC
GBytes             *cradle_pending_request_get_key_id        (CradlePendingRequest *self);
/* The DER PKCS#10 as sent. */
CRADLE_PUBLIC
GBytes             *cradle_pending_request_get_csr           (CradlePendingRequest *self);
CRADLE_PUBLIC
CradlePendingStatus cradle_pending_request_get_status        (CradlePendingRequest *self);
/* Seconds since 1970-01-01 UTC. */
CRADLE_PUBLIC
gint64              cradle_pending_request_get_created       (CradlePendingRequest *self);
CRADLE_PUBLIC
gint64              cradle_pending_request_get_updated       (CradlePendingRequest *self);
/* Tries that ended without a final answer: polls that found it still
 * pending, and exchanges that failed on the way (for back-off). */
CRADLE_PUBLIC
guint               cradle_pending_request_get_attempts      (CradlePendingRequest *self);
/* Seconds since 1970 UTC before which not to try again; 0 for at once. */
CRADLE_PUBLIC
gint64              cradle_pending_request_get_next_attempt  (CradlePendingRequest *self);
/* (nullable): why the last try or the request failed, for people. */
CRADLE_PUBLIC
const char         *cradle_pending_request_get_last_error    (CradlePendingRequest *self);
/* TRUE when denied, with the CA's code (its meaning depends on the
 * connector: HRESULT, SCEP failInfo or HTTP status) and its own words
 * (nullable, untrusted text). */
CRADLE_PUBLIC
gboolean            cradle_pending_request_get_denial        (CradlePendingRequest *self,
                                                              guint32              *code,
                                                              const char          **message);
/* (nullable): the issued certificate, once issued. */
CRADLE_PUBLIC
CradleCertificate  *cradle_pending_request_get_leaf          (CradlePendingRequest *self);
/* (element-type CradleCertificate): the CA certificates that came with it;
 * empty until issued. */
CRADLE_PUBLIC
GPtrArray          *cradle_pending_request_get_chain         (CradlePendingRequest *self);

/* ---- the store --------------------------------------------------------- */

#define CRADLE_TYPE_PENDING_STORE (cradle_pending_store_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradlePendingStore, cradle_pending_store, CRADLE, PENDING_STORE, GObject)

typedef enum {
  CRADLE_PENDING_LIST_ALL,
  CRADLE_PENDING_LIST_UNFINISHED,
} CradlePendingListFilter;

/* @path: the database file, or %NULL for requests.sqlite in
 * cradle_paths_dup_state_dir().  Several programs (cradlectl and the app)
 * may keep the same store open; each change is one durable transaction.
 * A store object may be used from several threads. */
CRADLE_PUBLIC
CradlePendingStore   *cradle_pending_store_open           (const char             *path,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
const char           *cradle_pending_store_get_path       (CradlePendingStore     *self);

/* Records a request as submitting, before it goes to the CA.
 * Returns: its id, or 0 with @error set. */
CRADLE_PUBLIC
gint64                cradle_pending_store_add            (CradlePendingStore     *self,
                                                           const char             *connector,
                                                           const char             *endpoint,
                                                           const char             *template_name,
                                                           const char             *device_serial,
                                                           GBytes                 *key_id,
                                                           GBytes                 *csr,
                                                           GError                **error);

/* The CA will decide later.  @ca_request_id and @retrieve_uri: %NULL
 * keeps what is stored.  @retry_after: seconds before asking again (the
 * CA's Retry-After, or the engine's back-off). Counts one attempt. */
CRADLE_PUBLIC
gboolean              cradle_pending_store_mark_pending   (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           const char             *ca_request_id,
                                                           const char             *retrieve_uri,
                                                           guint                   retry_after,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @chain: (element-type CradleCertificate) (nullable) */
CRADLE_PUBLIC
gboolean              cradle_pending_store_mark_issued    (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           const char             *ca_request_id,
                                                           CradleCertificate      *leaf,
                                                           GPtrArray              *chain,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean              cradle_pending_store_mark_installed (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @message: the CA's words (nullable); kept on one line and cut at 2 KiB. */
CRADLE_PUBLIC
gboolean              cradle_pending_store_mark_denied    (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           const char             *ca_request_id,
                                                           guint32                 code,
                                                           const char             *message,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Gives up: @error_message says why, for people (no secrets). */
CRADLE_PUBLIC
gboolean              cradle_pending_store_mark_failed    (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           const char             *error_message,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* A try that got no final answer (CA unreachable, device absent): the
 * status stays, the attempt is counted, the next one is @retry_after
 * seconds away. */
CRADLE_PUBLIC
gboolean              cradle_pending_store_record_attempt (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           const char             *error_message,
                                                           guint                   retry_after,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
CradlePendingRequest *cradle_pending_store_get            (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* (element-type CradlePendingRequest): oldest first. */
CRADLE_PUBLIC
GPtrArray            *cradle_pending_store_list           (CradlePendingStore     *self,
                                                           CradlePendingListFilter filter,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean              cradle_pending_store_remove         (CradlePendingStore     *self,
                                                           gint64                  id,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* While a program works on a request, the store holds its claim (renewed
 * as the work goes on, lapsing a minute after a crash). FALSE with
 * CRADLE_ERROR_BUSY while another program's claim on @id lasts. */
CRADLE_PUBLIC
gboolean              cradle_pending_store_check_unclaimed (CradlePendingStore    *self,
                                                            gint64                 id,
                                                            GError               **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
