/* cradle-pending-store-private.h: what the pending store's files share */
#pragma once

#include <sqlite3.h>
#include <cradle/cradle.h>

#include "state/cradle-request-db-private.h"

G_BEGIN_DECLS

/* Limits on what is stored; CA answers and device data are untrusted. */
#define CRADLE_PENDING_MAX_CSR_SIZE     (64 * 1024)
#define CRADLE_PENDING_MAX_TEXT_SIZE    4096
#define CRADLE_PENDING_MAX_MESSAGE_SIZE 2048
#define CRADLE_PENDING_MAX_CHAIN        16

/* ---- what the store's files share (cradle-pending-store.c) ------------- */

/* For the crash tests: called inside every write transaction, after its
 * changes and before COMMIT. */
typedef void (*CradlePendingStoreHook) (gpointer user_data);

struct _CradlePendingStore
{
  GObject parent_instance;

  /* Owned */
  sqlite3                *db;
  char                   *path;

  /* One connection, one transaction at a time. */
  GMutex                  lock;
  CradlePendingStoreHook  before_commit;
  gpointer                before_commit_data;
};

/* A parameter bound to a statement: PARAM_INT (id), PARAM_TEXT (text)
 * (NULL binds NULL), PARAM_BLOB (bytes). */
typedef enum {
  CRADLE_PENDING_PARAM_NULL,
  CRADLE_PENDING_PARAM_INT,
  CRADLE_PENDING_PARAM_TEXT,
  CRADLE_PENDING_PARAM_BLOB,
} CradlePendingParamKind;

typedef struct {
  CradlePendingParamKind   kind;
  gint64      number;
  const char *text;
  GBytes     *blob;
} CradlePendingParam;

#define PARAM_INT(v)  ((CradlePendingParam) { CRADLE_PENDING_PARAM_INT, (v), NULL, NULL })
#define PARAM_TEXT(t) ((CradlePendingParam) { (t) != NULL ? CRADLE_PENDING_PARAM_TEXT : CRADLE_PENDING_PARAM_NULL, 0, (t), NULL })
#define PARAM_BLOB(b) ((CradlePendingParam) { CRADLE_PENDING_PARAM_BLOB, 0, NULL, (b) })

gint64        _cradle_pending_store_now          (void);
sqlite3_stmt *_cradle_pending_store_prepare      (CradlePendingStore        *self,
                                                  const char                *sql,
                                                  const CradlePendingParam  *params,
                                                  guint                      n_params,
                                                  const char                *doing,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* A statement that returns no rows. */
gboolean      _cradle_pending_store_execute      (CradlePendingStore        *self,
                                                  const char                *sql,
                                                  const CradlePendingParam  *params,
                                                  guint                      n_params,
                                                  const char                *doing,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
void          _cradle_pending_store_rollback     (CradlePendingStore        *self);
/* BEGIN IMMEDIATE: the write lock at once, so a status read inside stays true. */
gboolean      _cradle_pending_store_begin_write  (CradlePendingStore        *self,
                                                  const char                *doing,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _cradle_pending_store_commit_write (CradlePendingStore        *self,
                                                  const char                *doing,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _cradle_pending_store_read_status  (CradlePendingStore        *self,
                                                  gint64                     id,
                                                  const char                *doing,
                                                  CradlePendingStatus       *status,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* @what: its name for people ("endpoint"); NULL is fine unless @required. */
gboolean      _cradle_pending_store_check_text   (const char                *what,
                                                  const char                *value,
                                                  gboolean                   required,
                                                  GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
/* Text for people from outside: valid UTF-8 on one line, at most @max_size bytes. */
char         *_cradle_pending_store_dup_one_line (const char                *text,
                                                  gsize                      max_size);

/* cradle-pending-store-installed.c: the type each installed certificate
 * came from, by the SHA-256 of its DER (schema 3). */
gboolean  cradle_pending_store_record_installed_type (CradlePendingStore  *self,
                                                      GBytes              *certificate,
                                                      const char          *type_name,
                                                      const char          *device_serial,
                                                      gint64               request_id,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The type recorded for @certificate; else the template of an installed
 * request whose leaf it is (installs before schema 3); %NULL when neither
 * (no error) or on error. */
char     *cradle_pending_store_dup_installed_type    (CradlePendingStore  *self,
                                                      GBytes              *certificate,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-pending-request.c: building a record from a row */
CradlePendingRequest *cradle_pending_request_new_from_row (sqlite3_stmt  *row,
                                                           GPtrArray     *certificates,
                                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The columns cradle_pending_request_new_from_row() reads, in order. */
#define CRADLE_PENDING_REQUEST_COLUMNS                                            \
  "id, connector, endpoint, ca_request_id, retrieve_uri, template_name, "         \
  "device_serial, key_id, csr, status, created, updated, attempts, next_attempt, " \
  "last_error, denial_code, denial_message"

/* Claims: a request being worked on belongs to one program at a time.
 * The lease is renewed every CRADLE_PENDING_CLAIM_RENEW_SECONDS while the
 * work goes on; a program that crashed loses its claim when it expires. */
#define CRADLE_PENDING_CLAIM_LEASE_SECONDS 60
#define CRADLE_PENDING_CLAIM_RENEW_SECONDS 20

/* A new owner for claims: "PID:TOKEN", unique to the caller. */
char     *cradle_pending_claim_owner_new       (void);
/* Records a request as submitting, claimed by @owner, in one transaction. */
gint64    cradle_pending_store_add_claimed     (CradlePendingStore  *self,
                                                const char          *connector,
                                                const char          *endpoint,
                                                const char          *template_name,
                                                const char          *device_serial,
                                                GBytes              *key_id,
                                                GBytes              *csr,
                                                const char          *owner,
                                                GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* ---- renewals (cradle-pending-store-renewals.c) ------------------------ */

/* What a recorded renewal renews. */
typedef struct {
  GBytes   *old_certificate;  /* DER */
  GBytes   *old_key_id;       /* its key on the device */
  GBytes   *signed_data;      /* nullable: the MS-WCCE SignedData as sent */
  gboolean  old_removed;      /* the clean-up is done: removed, gone, or kept by its user */
  gint64    request_id;
} CradlePendingRenewal;

void                  cradle_pending_renewal_free (CradlePendingRenewal *renewal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradlePendingRenewal, cradle_pending_renewal_free)

gint64    cradle_pending_store_add_renewal_claimed (CradlePendingStore         *self,
                                                    const char                 *connector,
                                                    const char                 *endpoint,
                                                    const char                 *template_name,
                                                    const char                 *device_serial,
                                                    GBytes                     *key_id,
                                                    GBytes                     *csr,
                                                    const CradlePendingRenewal *renewal,
                                                    const char                 *owner,
                                                    GError                    **error) G_GNUC_WARN_UNUSED_RESULT;
/* What request @id renews; %NULL without @error when it renews nothing. */
CradlePendingRenewal *cradle_pending_store_get_renewal       (CradlePendingStore  *self,
                                                              gint64               id,
                                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The old certificate of renewal @id is gone from the device. */
gboolean              cradle_pending_store_mark_old_removed  (CradlePendingStore  *self,
                                                              gint64               id,
                                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* (element-type CradlePendingRenewal): installed renewals on
 * @device_serial whose old certificate was not removed yet. */
GPtrArray            *cradle_pending_store_list_unreplaced   (CradlePendingStore  *self,
                                                              const char          *device_serial,
                                                              GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Takes, or renews, @owner's claim on request @id for @lease_seconds.
 * CRADLE_ERROR_BUSY when another owner's claim has not expired; then
 * @expires (nullable) says when it does, in seconds since 1970 UTC. */
gboolean  cradle_pending_store_claim           (CradlePendingStore  *self,
                                                gint64               id,
                                                const char          *owner,
                                                guint                lease_seconds,
                                                gint64              *expires,
                                                GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Gives @owner's claim up; another owner's claim is left alone. */
gboolean  cradle_pending_store_release         (CradlePendingStore  *self,
                                                gint64               id,
                                                const char          *owner,
                                                GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-pending-claim.c: a claim held, and renewed on a thread of its own */
typedef struct _CradlePendingClaim CradlePendingClaim;

CradlePendingClaim *cradle_pending_claim_take      (CradlePendingStore  *store,
                                                    gint64               id,
                                                    gint64              *busy_until,
                                                    GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CradlePendingClaim *cradle_pending_claim_keep      (CradlePendingStore  *store,
                                                    gint64               id,
                                                    const char          *owner);
const char         *cradle_pending_claim_get_owner (CradlePendingClaim  *claim);
void                cradle_pending_claim_release   (CradlePendingClaim  *claim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradlePendingClaim, cradle_pending_claim_release)

void cradle_pending_store_set_before_commit_hook (CradlePendingStore     *self,
                                                  CradlePendingStoreHook  hook,
                                                  gpointer                user_data);

G_END_DECLS
