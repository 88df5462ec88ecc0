/* cradle-certsrv-page-private.h: reading the outcome from a certsrv page */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_CERTSRV_PAGE_ISSUED,
  CRADLE_CERTSRV_PAGE_PENDING,
  CRADLE_CERTSRV_PAGE_DENIED,
  CRADLE_CERTSRV_PAGE_UNKNOWN_REQUEST,
} CradleCertsrvPageKind;

typedef struct {
  CradleCertsrvPageKind kind;
  char                 *request_id;  /* ISSUED, and PENDING when the page says */
  guint32               code;        /* DENIED: the HRESULT on the page */
  char                 *message;     /* DENIED: the CA's sentence, as text */
} CradleCertsrvPage;

/* INVALID_DATA for a page of a shape certsrv does not produce. */
gboolean        cradle_certsrv_page_parse          (GBytes             *html,
                                                    CradleCertsrvPage  *page,
                                                    GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void            cradle_certsrv_page_clear          (CradleCertsrvPage  *page);
/* A pending or denied answer, and clears @page; an unknown request is
 * CRADLE_ERROR_NOT_FOUND.  @request_id: when the page does not name it. */
CradleCaAnswer *cradle_certsrv_page_to_answer      (CradleCertsrvPage  *page,
                                                    const char         *request_id,
                                                    GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* certcarc.asp's "var nRenewals=N;" */
gboolean        cradle_certsrv_page_find_renewals  (GBytes             *html,
                                                    guint              *renewals,
                                                    GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
