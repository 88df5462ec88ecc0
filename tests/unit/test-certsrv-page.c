/* test-certsrv-page.c: reading outcomes from certsrv pages of every shape */
#include "config.h"

#include "ca/certsrv/cradle-certsrv-page-private.h"

static gboolean
parse (const char         *html,
       CradleCertsrvPage  *page,
       GError            **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (html, strlen (html));

  return cradle_certsrv_page_parse (bytes, page, error);
}

static void
test_issued (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;

  g_assert_true (parse ("<html><p>Certificate Issued</p>"
                        "<a href=\"certnew.cer?ReqID=4021&amp;Enc=b64\">Download</a>"
                        "<script>sPKCS7=\"certnew.p7b?ReqID=4021&\";</script></html>",
                        &page, &error));
  g_assert_no_error (error);
  g_assert_cmpint (page.kind, ==, CRADLE_CERTSRV_PAGE_ISSUED);
  g_assert_cmpstr (page.request_id, ==, "4021");
  cradle_certsrv_page_clear (&page);
}

static void
test_pending (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_true (parse ("<html><title>Microsoft Active Directory Certificate Services</title>"
                        "<P>Certificate Pending</P><P>Your certificate request has been received. "
                        "However, you must wait for an administrator to issue the certificate "
                        "you requested.</P><P>Your Request Id is 57.</P></html>",
                        &page, &error));
  g_assert_cmpint (page.kind, ==, CRADLE_CERTSRV_PAGE_PENDING);
  answer = cradle_certsrv_page_to_answer (&page, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, "57");
  g_assert_null (page.request_id);
}

static void
test_still_pending_uses_known_id (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_true (parse ("<html><body>Your certificate request is still pending: "
                        "Taken Under Submission</body></html>", &page, &error));
  answer = cradle_certsrv_page_to_answer (&page, "88", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, "88");
}

static void
test_denied (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_true (parse ("<html><P>Certificate Request Denied</P><P>Your certificate request was "
                        "denied.</P><P>Contact your administrator for further information.</P>"
                        "<!-- Disposition message --><P>The disposition message is "
                        "\"Denied by Policy Module  0x80094012, The permissions on the "
                        "certificate template do not allow the current user to enroll for "
                        "this type of certificate.&nbsp;\"</P></html>", &page, &error));
  g_assert_cmpint (page.kind, ==, CRADLE_CERTSRV_PAGE_DENIED);
  g_assert_cmphex (page.code, ==, 0x80094012);
  answer = cradle_certsrv_page_to_answer (&page, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, 0x80094012);
  /* The CA's sentence, folded to one line without markup. */
  g_assert_nonnull (strstr (cradle_ca_answer_get_message (answer),
                            "Denied by Policy Module 0x80094012, The permissions"));
  g_assert_null (strchr (cradle_ca_answer_get_message (answer), '<'));
}

static void
test_unsupported_template_text (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;

  g_assert_true (parse ("<p>The request was for a certificate template that is not supported "
                        "by the Active Directory Certificate Services policy</p>", &page, &error));
  g_assert_cmpint (page.kind, ==, CRADLE_CERTSRV_PAGE_DENIED);
  g_assert_cmphex (page.code, ==, 0x80094800);
  cradle_certsrv_page_clear (&page);
}

static void
test_unknown_request (void)
{
  CradleCertsrvPage page;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_true (parse ("<p>Error: The requested property value is empty. 0x80094004 "
                        "(-2146877436 CERTSRV_E_PROPERTY_EMPTY)</p>", &page, &error));
  g_assert_cmpint (page.kind, ==, CRADLE_CERTSRV_PAGE_UNKNOWN_REQUEST);
  answer = cradle_certsrv_page_to_answer (&page, "12", &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "12"));
}

static void
test_unknown_shape (void)
{
  static const char * const pages[] = {
    "",
    "<html><title>Welcome to nginx!</title><body>It works</body></html>",
    "certnew.cer?ReqID=&",              /* no number */
    "certnew.cer?ReqID=99999999999&",   /* too long to be a request number */
    "<title>" "unterminated",
    "\xff\xfe\x00garbage",
  };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      CradleCertsrvPage page;
      g_autoptr(GError) error = NULL;

      g_assert_false (parse (pages[i], &page, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, "does not recognise"));
    }
}

static void
test_renewals (void)
{
  g_autoptr(GBytes) good = g_bytes_new_static ("<script>\nvar nRenewals=2;\n</script>", 34);
  g_autoptr(GBytes) bad = g_bytes_new_static ("<script>var nRenewals=x;</script>", 33);
  g_autoptr(GError) error = NULL;
  guint renewals = 0;

  g_assert_true (cradle_certsrv_page_find_renewals (good, &renewals, &error));
  g_assert_cmpuint (renewals, ==, 2);
  g_assert_false (cradle_certsrv_page_find_renewals (bad, &renewals, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/certsrv-page/issued", test_issued);
  g_test_add_func ("/certsrv-page/pending", test_pending);
  g_test_add_func ("/certsrv-page/still-pending", test_still_pending_uses_known_id);
  g_test_add_func ("/certsrv-page/denied", test_denied);
  g_test_add_func ("/certsrv-page/unsupported-template", test_unsupported_template_text);
  g_test_add_func ("/certsrv-page/unknown-request", test_unknown_request);
  g_test_add_func ("/certsrv-page/unknown-shape", test_unknown_shape);
  g_test_add_func ("/certsrv-page/renewals", test_renewals);

  return g_test_run ();
}
