/* test-krb5-kdc.c: Kerberos against a KDC that fails: one that refuses
 * connections, one that never answers, and one that answers late, where a
 * sign-in left behind at its deadline must send nothing more and keep no
 * ticket. */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <krb5.h>
#include <cradle/cradle.h>

#include "kerberos/cradle-krb5-private.h"
#include "krb5-test-support.h"

static void
test_kdc_unreachable (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *alice = NULL;
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 elapsed;

  SKIP_WITHOUT_LAB (fixture);

  alice = cradle_test_lab_kinit (fixture->lab, "alice");
  use_config_with_kdc (fixture, "127.0.0.1:1");

  start = g_get_monotonic_time ();
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"),
                                       TIMEOUT_SECONDS, &error);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("password sign-in with the KDC refusing: %.3f s", elapsed / 1e6);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_false (cradle_krb5_get_service_ticket (alice, DC_SERVICE, "other.corp.example.test",
                                                  TIMEOUT_SECONDS, &error));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("service ticket with the KDC refusing: %.3f s", elapsed / 1e6);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
}

/* A KDC that takes requests and never answers (libkrb5 alone would wait
 * 27 s per exchange): the caller's wait ends at its deadline. */
static void
test_kdc_silent (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GSocket) udp = NULL;
  g_autoptr(GSocket) tcp = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *kdc = NULL;
  g_autofree char *ccache = NULL;
  guint16 port = 0;
  gint64 start;
  gint64 elapsed;

  SKIP_WITHOUT_LAB (fixture);

  alice = cradle_test_lab_kinit (fixture->lab, "alice");

  /* UDP and TCP on one port: bound, listening, never read. The port UDP
   * gets may be taken for TCP (a connection winding down): try another. */
  for (guint attempt = 0; tcp == NULL; attempt++)
    {
      g_autoptr(GError) bind_error = NULL;

      g_assert_cmpuint (attempt, <, 50);
      g_clear_object (&udp);
      g_clear_object (&any);
      g_clear_object (&bound);
      udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
      g_assert_no_error (error);
      any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
      g_socket_bind (udp, any, FALSE, &error);
      g_assert_no_error (error);
      bound = g_socket_get_local_address (udp, &error);
      g_assert_no_error (error);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_no_error (error);
      if (!g_socket_bind (tcp, bound, FALSE, &bind_error))
        {
          g_assert_error (bind_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
          g_clear_object (&tcp);
        }
    }
  g_socket_listen (tcp, &error);
  g_assert_no_error (error);
  kdc = g_strdup_printf ("127.0.0.1:%u", port);
  use_config_with_kdc (fixture, kdc);

  start = g_get_monotonic_time ();
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 2, &error);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("password sign-in with a silent KDC, 2 s allowed: %.3f s", elapsed / 1e6);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_false (cradle_krb5_get_service_ticket (alice, DC_SERVICE, "other.corp.example.test",
                                                  1, &error));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("service ticket with a silent KDC, 1 s allowed: %.3f s", elapsed / 1e6);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);

  /* Closing the sockets ends the exchanges left behind. */
}

/* A KDC that answers late: a relay to the lab's KDC that holds each
 * request for its own delay before passing it on. It takes requests over
 * UDP and asks the KDC over TCP, so that even a ticket (too big for the
 * KDC's UDP) comes back in the one UDP exchange the relay serves. */
typedef struct {
  GSocket      *socket;
  GCancellable *stop;
  guint         delays_ms[2];
  guint         requests;    /* atomic: how many reached the KDC */
  gint64        last_reply;  /* when the last answer went back; read after joining */
} SlowKdc;

static GBytes *
ask_lab_kdc (const char *request,
             gsize       length)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint32 prefix = GUINT32_TO_BE ((guint32) length);
  guint32 reply_length = 0;
  g_autofree char *reply = NULL;
  GInputStream *in;
  GOutputStream *out;

  g_socket_client_set_timeout (client, 5);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", 88, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_output_stream_write_all (out, &prefix, sizeof prefix, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (out, request, length, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (in, &reply_length, sizeof reply_length, NULL, NULL, &error);
  g_assert_no_error (error);
  reply_length = GUINT32_FROM_BE (reply_length);
  g_assert_cmpuint (reply_length, <, 65536);
  reply = g_malloc (reply_length);
  g_input_stream_read_all (in, reply, reply_length, NULL, NULL, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (g_steal_pointer (&reply), reply_length);
}

static gpointer
slow_kdc_thread (gpointer data)
{
  SlowKdc *kdc = data;

  for (guint i = 0; i < G_N_ELEMENTS (kdc->delays_ms); i++)
    {
      g_autoptr(GSocketAddress) client = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      char request[8192];
      gssize length;

      length = g_socket_receive_from (kdc->socket, &client, request, sizeof request, kdc->stop,
                                      &error);
      if (length <= 0)
        return NULL;  /* the test is over */
      g_usleep (kdc->delays_ms[i] * 1000);
      reply = ask_lab_kdc (request, length);
      g_atomic_int_inc (&kdc->requests);
      g_socket_send_to (kdc->socket, client, g_bytes_get_data (reply, NULL),
                        g_bytes_get_size (reply), NULL, &error);
      g_assert_no_error (error);
      kdc->last_reply = g_get_monotonic_time ();
    }
  return NULL;
}

static GThread *
slow_kdc_start (Fixture *fixture,
                SlowKdc *kdc)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  kdc->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (kdc->socket, 10);
  kdc->stop = g_cancellable_new ();
  g_socket_bind (kdc->socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (kdc->socket, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  use_config_with_kdc (fixture, address);
  return g_thread_new ("slow-kdc", slow_kdc_thread, kdc);
}

static void
slow_kdc_stop (SlowKdc *kdc,
               GThread *thread)
{
  g_cancellable_cancel (kdc->stop);
  g_thread_join (thread);
  g_clear_object (&kdc->socket);
  g_clear_object (&kdc->stop);
}

/* The serial number in a name cradle_krb5_password_login() gave,
 * MEMORY:cradle-PID-SERIAL-RANDOM. */
static guint64
serial_of (const char *ccache)
{
  g_auto(GStrv) parts = g_strsplit (ccache, "-", -1);
  guint64 serial = 0;

  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_true (g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT, &serial, NULL));
  return serial;
}

static guint64
login_serial (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = cradle_krb5_password_login ("alice", NULL,
                                                        password_of (fixture, "alice"),
                                                        TIMEOUT_SECONDS, &error);

  g_assert_no_error (error);
  cradle_krb5_ccache_destroy (ccache);
  return serial_of (ccache);
}

/* The caller gave up while the first answer (pre-authentication required)
 * was on its way: the password-derived request is never sent. */
static void
test_kdc_late_first (Fixture       *fixture,
                     gconstpointer  data)
{
  SlowKdc kdc = { .delays_ms = { 1500, 0 } };
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = NULL;
  GThread *thread;

  SKIP_WITHOUT_LAB (fixture);

  thread = slow_kdc_start (fixture, &kdc);
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 1, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);

  /* The first answer arrives at 1.5 s; a second request would follow at once. */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpuint (g_atomic_int_get (&kdc.requests), ==, 1);
  slow_kdc_stop (&kdc, thread);
}

/* The caller gave up while the ticket was on its way: the ticket is
 * dropped and no cache made, as the serial of the caches shows. */
static void
test_kdc_late_ticket (Fixture       *fixture,
                      gconstpointer  data)
{
  SlowKdc kdc = { .delays_ms = { 0, 1500 } };
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = NULL;
  guint64 before;
  GThread *thread;

  SKIP_WITHOUT_LAB (fixture);

  before = login_serial (fixture);
  thread = slow_kdc_start (fixture, &kdc);
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 1, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);

  g_thread_join (thread);
  g_assert_cmpuint (g_atomic_int_get (&kdc.requests), ==, 2);
  /* Time for the worker to take the ticket the relay passed on. */
  while (g_get_monotonic_time () < kdc.last_reply + G_USEC_PER_SEC / 2)
    g_usleep (G_USEC_PER_SEC / 20);
  g_clear_object (&kdc.socket);
  g_clear_object (&kdc.stop);

  g_setenv ("KRB5_CONFIG", fixture->saved_config, TRUE);
  g_assert_cmpuint (login_serial (fixture), ==, before + 1);
}

static void
assert_kerberos_detail (const GError *error,
                        guint32       expected)
{
  CradleExplainKind kind;
  guint32 code;

  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_KERBEROS);
  g_assert_cmpuint (code, ==, expected);
}

/* What a diagnosis asks: a service ticket from the KDC, kept nowhere (a
 * second look asks the KDC again), or the cache's own once it holds one;
 * only times and enctypes come back. */
static void
test_peek_service_ticket (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;
  CradleKrb5TicketInfo info = { 0 };
  CradleKrb5TicketInfo tgt = { 0 };
  g_autofree char *principal = NULL;
  g_autofree char *name = NULL;
  g_autofree char *enctype = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  SKIP_WITHOUT_LAB (fixture);

  ccache = kinit_with (fixture, "peek", "alice", (const char *[]) { NULL });
  g_assert_true (cradle_krb5_inspect_ccache (ccache, &principal, &name, &tgt, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (principal, "alice@"));
  g_assert_cmpstr (name, ==, ccache);
  g_assert_cmpint (tgt.endtime, >, now);
  g_assert_cmpint (tgt.session_enctype, !=, 0);

  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (cradle_krb5_peek_service_ticket (ccache, DC_SERVICE, fixture->dc_host,
                                                      TIMEOUT_SECONDS, &info, &error));
      g_assert_no_error (error);
      /* Not stored: the second look asks the KDC again. */
      g_assert_true (info.from_kdc);
      g_assert_cmpint (info.endtime, >, now);
      g_assert_cmpint (info.session_enctype, !=, 0);
      g_assert_cmpint (info.ticket_enctype, !=, 0);
    }
  enctype = cradle_krb5_dup_enctype_name (info.session_enctype);
  g_test_message ("ldap/%s: session key %s", fixture->dc_host, enctype);
  g_assert_false (cradle_krb5_enctype_is_weak (info.session_enctype));
  g_assert_true (cradle_krb5_enctype_is_weak (ENCTYPE_ARCFOUR_HMAC));
  g_assert_true (cradle_krb5_enctype_is_weak (ENCTYPE_DES_CBC_MD5));
  g_assert_false (cradle_krb5_enctype_is_weak (ENCTYPE_AES256_CTS_HMAC_SHA1_96));

  g_assert_true (cradle_krb5_get_service_ticket (ccache, DC_SERVICE, fixture->dc_host,
                                                 TIMEOUT_SECONDS, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_krb5_peek_service_ticket (ccache, DC_SERVICE, fixture->dc_host,
                                                  TIMEOUT_SECONDS, &info, &error));
  g_assert_no_error (error);
  g_assert_false (info.from_kdc);

  /* A service the domain does not know: the table's SERVER_UNKNOWN. */
  g_assert_false (cradle_krb5_peek_service_ticket (ccache, "HTTP", "nowhere.corp.example.test",
                                                   TIMEOUT_SECONDS, &info, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  assert_kerberos_detail (error, CRADLE_KERBEROS_FAILURE_SERVER_UNKNOWN);
  g_clear_error (&error);

  /* No KDC: the table's KDC_UNREACHABLE, for the clock too. */
  use_config_with_kdc (fixture, "127.0.0.1:1");
  g_assert_false (cradle_krb5_peek_service_ticket (ccache, "HTTP", "other.corp.example.test",
                                                   TIMEOUT_SECONDS, &info, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  assert_kerberos_detail (error, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE);
}

/* The KDC's clock, from the KRB-ERROR it answers a request without
 * pre-authentication: with the cache's client, or with none. */
static void
test_kdc_time (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autofree char *realm = NULL;
  g_autoptr(GError) error = NULL;
  gint64 skew_us = G_MAXINT64;

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_test_lab_kinit (fixture->lab, "alice");
  g_assert_true (cradle_krb5_read_kdc_time (ccache, TRUE, NULL, TIMEOUT_SECONDS, &skew_us,
                                            &realm, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (realm, ==, fixture->realm);
  g_test_message ("this computer minus the KDC: %.3f s", skew_us / 1e6);
  /* The lab's KDC runs on this computer, on the same clock. */
  g_assert_cmpint (ABS (skew_us), <, 5 * G_USEC_PER_SEC);
  g_clear_pointer (&realm, g_free);

  skew_us = G_MAXINT64;
  g_assert_true (cradle_krb5_read_kdc_time (NULL, FALSE, fixture->realm, TIMEOUT_SECONDS,
                                            &skew_us, &realm, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (realm, ==, fixture->realm);
  g_assert_cmpint (ABS (skew_us), <, 5 * G_USEC_PER_SEC);

  use_config_with_kdc (fixture, "127.0.0.1:1");
  g_assert_false (cradle_krb5_read_kdc_time (ccache, TRUE, NULL, TIMEOUT_SECONDS, &skew_us,
                                             NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  assert_kerberos_detail (error, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/krb5/kdc/unreachable", test_kdc_unreachable);
  ADD ("/krb5/kdc/silent", test_kdc_silent);
  ADD ("/krb5/kdc/late-first-answer", test_kdc_late_first);
  ADD ("/krb5/kdc/late-ticket", test_kdc_late_ticket);
  ADD ("/krb5/kdc/peek-service-ticket", test_peek_service_ticket);
  ADD ("/krb5/kdc/time", test_kdc_time);

#undef ADD

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
