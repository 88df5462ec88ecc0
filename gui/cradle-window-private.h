/* cradle-window-private.h: what the window's files share */
#pragma once

#include <cradle/cradle.h>

#include "cradle-batch-page.h"
#include "cradle-care.h"
#include "cradle-device-page.h"
#include "cradle-device-watcher.h"
#include "cradle-install-file.h"
#include "cradle-progress-page.h"
#include "cradle-result-page.h"
#include "cradle-session.h"
#include "cradle-window.h"

G_BEGIN_DECLS

typedef struct _CradleWindowUnlock CradleWindowUnlock;
typedef struct _CradleWindowBatch  CradleWindowBatch;

struct _CradleWindow
{
  AdwApplicationWindow parent_instance;

  /* Owned */
  GCancellable        *cancellable;      /* cancelled when the window closes */
  CradleCare          *care;             /* the application's */
  CradleSession       *session;          /* the care's */
  CradleDeviceWatcher *watcher;          /* the care's */
  CradleEnrollment    *enrollment;       /* the run the progress page shows */
  CradleEnrollment    *background;       /* a resume the retriever runs unseen */
  CradleInstallFile   *installing;       /* a certificate file going to the device */
  gboolean             removing;         /* the device is asked to remove a certificate */
  CradleWindowUnlock  *unlock;           /* a token's PIN being asked for and given */
  CradleWindowBatch   *batch;            /* several devices' runs, the batch page shows */
  guint                batch_running;    /* runs of the batch not ended yet */
  GCancellable        *enrollment_cancellable;
  CradleEnrollmentStep last_step;
  gint64               check_request_id; /* the user asked to check it now */
  guint                check_timeout;
  gboolean             asked_password;
  gboolean             password_tried;   /* a typed password is being tried */
  gboolean             started;          /* the care started */
  gboolean             refresh_status;   /* Refresh: ask the responders again */
  guint                start_timeout;

  /* Borrowed */
  AdwToast            *toast;            /* the last one, while shown */
  gint64               bench_start_time; /* --bench: when main() started; else 0 */

  /* Template widgets */
  AdwToastOverlay     *toast_overlay;
  AdwWindowTitle      *window_title;
  GtkMenuButton       *device_button;
  GtkStack            *stack;
  AdwStatusPage       *no_device_page;
  CradleDevicePage    *device_page;
  CradleProgressPage  *progress_page;
  CradleResultPage    *result_page;
  CradleBatchPage     *batch_page;
};

/* The window's files call down this list, never up it: cradle-window.c
 * (the object, the device and the session), cradle-window-enroll.c
 * (running enrollments and the retriever), cradle-window-batch.c
 * (several devices' runs at once), cradle-window-certs.c (a
 * certificate's details and removal, installing files),
 * cradle-window-token.c (a token's PIN before a run),
 * cradle-window-pages.c (what is shown). */

/* cradle-window-enroll.c */
void     _cradle_window_enroll_class_init (GtkWidgetClass *widget_class);
void     _cradle_window_follow_care       (CradleWindow *self);

/* cradle-window-batch.c */
void     _cradle_window_batch_class_init  (GtkWidgetClass *widget_class);
/* Enrolls every device of @devices (bridge devices) at once with @type,
 * each its own CradleEnrollment, the batch page showing them. */
void     _cradle_window_enroll_several    (CradleWindow   *self,
                                           GPtrArray      *devices,
                                           CradleCertType *type);
/* Cancel: every run of the batch; FALSE when there is no batch running. */
gboolean _cradle_window_batch_cancel      (CradleWindow   *self);
void     _cradle_window_batch_dispose     (CradleWindow   *self);

/* cradle-window-certs.c */
void     _cradle_window_certs_class_init  (GtkWidgetClass *widget_class);
void     _cradle_window_certs_init        (CradleWindow *self);
void     _cradle_window_certs_dispose     (CradleWindow *self);
/* A file being installed, or a certificate removed: the device is busy. */
gboolean _cradle_window_is_installing     (CradleWindow *self);

/* cradle-window-token.c */
/* The run to start once @device is unlocked; @data is the caller's. */
typedef void (*CradleWindowUnlocked) (CradleWindow *self,
                                      CradleDevice *device,
                                      gpointer      data);
/* Before a run on @device: a token's PIN (and its officer's secret) asked
 * for and given when it needs them, the device held from the retriever
 * meanwhile; then @unlocked runs, unless the user cancels, the PIN is
 * locked or the token left (the device is released then).  Any other
 * device: @unlocked at once.  @destroy frees @data either way. */
void     _cradle_window_unlock            (CradleWindow        *self,
                                           CradleDevice        *device,
                                           CradleWindowUnlocked unlocked,
                                           gpointer             data,
                                           GDestroyNotify       destroy);
gboolean _cradle_window_is_unlocking      (CradleWindow *self);
/* @unlocked could not start its run: a token goes back to the retriever
 * (a bridge device was never taken from it). */
void     _cradle_window_unlock_give_back  (CradleWindow *self,
                                           CradleDevice *device);
/* The watcher's device changed: a PIN asked for a token that left is
 * given up (its dialog closed). */
void     _cradle_window_unlock_follow_device (CradleWindow *self);
void     _cradle_window_token_dispose     (CradleWindow *self);

/* cradle-window-pages.c */
gboolean _cradle_window_is_running        (CradleWindow *self);
/* Another device may be shown: nothing runs, installs or asks a PIN. */
gboolean _cradle_window_can_choose_device (CradleWindow *self);
void     _cradle_window_show_page         (CradleWindow *self,
                                           const char   *name);
/* The device page or the no-device page, unless a run or a result is shown. */
void     _cradle_window_update_page       (CradleWindow *self);
void     _cradle_window_toast             (CradleWindow *self,
                                           const char   *text);
void     _cradle_window_update_actions    (CradleWindow *self);
/* Reads a token's PIN state (on a thread) for the device page. */
void     _cradle_window_update_pin_state  (CradleWindow *self);
/* Reads the device's certificates and its pending requests again (and a
 * token's PIN state). */
void     _cradle_window_reload_device     (CradleWindow *self);

G_END_DECLS
