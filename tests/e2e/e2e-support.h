/* e2e-support.h: what the end-to-end cases share — a test's own folders and
 * configuration, the simulated device, the stoppable CA forwarder, type
 * files, cradlectl and its JSON, and the CA officer */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab.h"

G_BEGIN_DECLS

typedef struct {
  const char *protocol;       /* certsrv, wstep, scep, est */
} Connector;

typedef struct {
  CradleTestLab *lab;
  const char    *protocol;
  char          *home;
  char          *runtime;
  char          *state;
  char          *config;
  char          *anchors;      /* the TrustAnchors file of cradle.conf and the types */
  char          *store;
  char          *serial;
  GSubprocess   *agent;
  GSubprocess   *forwarder;
  guint          forward_port;
} E2e;

/* ---- the fixture: @data is the Connector (NULL: certsrv) ---------------- */
void         e2e_set_up                  (E2e           *e2e,
                                          gconstpointer  data);
void         e2e_tear_down               (E2e           *e2e,
                                          gconstpointer  data);
/* Skips the test when the lab does not run. */
gboolean     skipped                     (E2e           *e2e);
const char  *env                         (E2e           *e2e,
                                          const char    *name);
const char  *alice_ccache                (E2e           *e2e);
void         write_file                  (const char    *path,
                                          const char    *content);
void         stop_process                (GSubprocess  **process,
                                          int            signal_number);

/* ---- the simulated device ------------------------------------------------ */
void         start_agent                 (E2e           *e2e,
                                          const char    *first_arg,
                                          ...) G_GNUC_NULL_TERMINATED;
void         kill_agent                  (E2e           *e2e);
/* Another simulated device, @serial, with its own store under the test's
 * folder, in the same runtime folder; @first_arg: more agent options. */
GSubprocess *start_device                (E2e           *e2e,
                                          const char    *serial,
                                          const char    *first_arg,
                                          ...) G_GNUC_NULL_TERMINATED;

/* ---- a CA front-end that can be stopped ---------------------------------- */
void         start_forwarder             (E2e           *e2e,
                                          guint          target_port);
void         stop_forwarder              (E2e           *e2e);
char        *through_forwarder           (E2e           *e2e,
                                          const char    *url);
guint        ca_port                     (E2e           *e2e);
const char  *ca_url_name                 (E2e           *e2e);

/* ---- certificate types --------------------------------------------------- */
char        *write_type                  (E2e           *e2e,
                                          const char    *template_name,
                                          const char    *url_override,
                                          const char    *challenge);

/* ---- cradlectl and its JSON ---------------------------------------------- */
int          finish_cradlectl            (GSubprocess   *process,
                                          char         **out,
                                          char         **err);
/* cradlectl with @args, started; finish_cradlectl() reads its end. */
GSubprocess *spawn_cradlectl             (E2e                *e2e,
                                          const char * const *args);
int          cradlectl                   (E2e                *e2e,
                                          const char * const *args,
                                          char              **out,
                                          char              **err);
JsonNode    *parse_json                  (const char    *text);
GSubprocess *spawn_enroll                (E2e           *e2e,
                                          const char    *type,
                                          const char    *ccache);
JsonNode    *enroll_as                   (E2e           *e2e,
                                          const char    *type,
                                          const char    *ccache,
                                          int            expected_exit);
JsonNode    *enroll                      (E2e           *e2e,
                                          const char    *type,
                                          int            expected_exit);
GSubprocess *spawn_retrieve              (E2e           *e2e,
                                          gint64         request);
JsonNode    *retrieve_as                 (E2e           *e2e,
                                          gint64         request,
                                          const char    *ccache,
                                          int            expected_exit);
JsonNode    *retrieve                    (E2e           *e2e,
                                          gint64         request,
                                          int            expected_exit);
JsonNode    *stored_request              (E2e           *e2e,
                                          gint64         id);
JsonNode    *journal                     (E2e           *e2e,
                                          gint64         request);
JsonObject  *newest_step                 (JsonNode      *runs,
                                          const char    *name);
gboolean     wait_for_step               (E2e           *e2e,
                                          GSubprocess   *process,
                                          const char    *name);
const char  *member                      (JsonNode      *node,
                                          const char    *name);
gint64       int_member                  (JsonNode      *node,
                                          const char    *name);
const char  *error_code                  (JsonNode      *node);
void         assert_installed            (E2e           *e2e,
                                          JsonNode      *result);
void         assert_no_challenge_on_disk (E2e           *e2e);

/* ---- the CA officer ------------------------------------------------------ */
void         officer                     (const char    *verb,
                                          const char    *ca_request_id);
char        *officer_id_for              (E2e           *e2e,
                                          JsonNode      *result);
const char  *approval_ccache             (E2e           *e2e);
const char  *issued_template             (E2e           *e2e);
JsonNode    *enroll_with_ca_down         (E2e           *e2e,
                                          char         **type,
                                          guint         *port);

G_END_DECLS
