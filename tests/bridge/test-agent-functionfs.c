/* test-agent-functionfs.c: the agent's USB endpoint transport
 *
 * FunctionFS needs a USB device controller, which these machines lack, so
 * the endpoint files are stood in for by Unix sockets: SOCK_SEQPACKET keeps
 * every write() a record of its own, as a bulk transfer is, so the transfer
 * sizes and zero-length packets can be checked; SOCK_STREAM carries whole
 * sessions with the real host client at the other end.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "test-files.h"
#include "agent/cradle-agent-functionfs-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "protocol/cradle-bridge-socket-private.h"
#include "host/cradle-device-private.h"

#define MAX_PACKET 512

static void
make_pair (int  type,
           int *agent_end,
           int *host_end)
{
  int fds[2];

  g_assert_no_errno (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, fds));
  *agent_end = fds[0];
  *host_end = fds[1];
}

/* The agent's end serves as both endpoint files. */
static CradleBridgeTransport *
transport_on (int agent_end)
{
  int in_fd = dup (agent_end);

  g_assert_cmpint (in_fd, >=, 0);
  return cradle_agent_functionfs_transport_new (in_fd, agent_end, MAX_PACKET, "usb:test");
}

static GBytes *
frame_of_size (gsize total,
               guint8 fill)
{
  gsize payload_size = total - CRADLE_BRIDGE_HEADER_SIZE;
  g_autofree guint8 *payload = g_malloc (payload_size);
  g_autoptr(GBytes) bytes = NULL;

  memset (payload, fill, payload_size);
  bytes = g_bytes_new (payload, payload_size);
  return cradle_bridge_frame_encode (CRADLE_BRIDGE_LIST_CERTS, CRADLE_BRIDGE_FLAG_RESPONSE, 7, bytes);
}

/* The sizes of the records (transfers) waiting on @fd, in order. */
static GArray *
read_transfers (int fd)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (gssize));
  g_autofree guint8 *buffer = g_malloc (64 * 1024);

  for (;;)
    {
      gssize got = recv (fd, buffer, 64 * 1024, MSG_DONTWAIT);

      if (got < 0)
        {
          g_assert_cmpint (errno, ==, EAGAIN);
          return sizes;
        }
      g_array_append_val (sizes, got);
    }
}

static void
assert_transfers (GArray       *sizes,
                  const gssize *expected,
                  guint         count)
{
  g_assert_cmpuint (sizes->len, ==, count);
  for (guint i = 0; i < count; i++)
    g_assert_cmpint (g_array_index (sizes, gssize, i), ==, expected[i]);
}

static void
send_and_check (CradleBridgeTransport *transport,
                int                    host_end,
                gsize                  total,
                const gssize          *expected,
                guint                  count)
{
  g_autoptr(GBytes) frame = frame_of_size (total, 0xA5);
  g_autoptr(GArray) sizes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_no_error (error);
  sizes = read_transfers (host_end);
  assert_transfers (sizes, expected, count);
}

static void
test_transfer_sizes (void)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  int agent_end;
  int host_end;
  const gssize large[] = { 16384, 16384, 7232 };
  const gssize whole_packets[] = { 16384, 16384, 0 };
  const gssize one_packet_multiple[] = { 1024, 0 };
  const gssize small[] = { 100 };

  make_pair (SOCK_SEQPACKET, &agent_end, &host_end);
  transport = transport_on (agent_end);

  send_and_check (transport, host_end, 40000, large, G_N_ELEMENTS (large));
  send_and_check (transport, host_end, 32768, whole_packets, G_N_ELEMENTS (whole_packets));
  send_and_check (transport, host_end, 1024, one_packet_multiple, G_N_ELEMENTS (one_packet_multiple));
  send_and_check (transport, host_end, 100, small, G_N_ELEMENTS (small));

  cradle_agent_functionfs_transport_disconnect (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport), "test over");
  g_clear_object (&transport);
  close (host_end);
}

static void
send_record (int           fd,
             const guint8 *data,
             gsize         size)
{
  g_assert_cmpint (send (fd, data, size, 0), ==, (gssize) size);
}

static void
assert_frame (CradleBridgeFrame *frame,
              GBytes            *expected)
{
  g_autoptr(GBytes) encoded = NULL;

  g_assert_nonnull (frame);
  encoded = cradle_bridge_frame_encode (frame->header.type, frame->header.flags,
                                        frame->header.request_id, frame->payload);
  g_assert_true (g_bytes_equal (encoded, expected));
}

/* Frames come back whole whatever the transfers cut them into, and
 * zero-length packets in between change nothing. */
static void
test_reassembly (void)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) big = frame_of_size (20000, 0x11);
  g_autoptr(GBytes) first = frame_of_size (40, 0x22);
  g_autoptr(GBytes) second = frame_of_size (60, 0x33);
  g_autoptr(GByteArray) both = g_byte_array_new ();
  g_autoptr(CradleBridgeFrame) frame = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  int agent_end;
  int host_end;

  make_pair (SOCK_SEQPACKET, &agent_end, &host_end);
  transport = transport_on (agent_end);

  data = g_bytes_get_data (big, NULL);
  send_record (host_end, data, 16384);
  send_record (host_end, data + 16384, 20000 - 16384);
  send_record (host_end, data, 0);
  g_byte_array_append (both, g_bytes_get_data (first, NULL), 40);
  g_byte_array_append (both, g_bytes_get_data (second, NULL), 60);
  send_record (host_end, both->data, both->len);

  frame = cradle_bridge_transport_receive_frame (transport, 5000, NULL, &error);
  g_assert_no_error (error);
  assert_frame (frame, big);
  g_clear_pointer (&frame, cradle_bridge_frame_free);
  frame = cradle_bridge_transport_receive_frame (transport, 5000, NULL, &error);
  g_assert_no_error (error);
  assert_frame (frame, first);
  g_clear_pointer (&frame, cradle_bridge_frame_free);
  frame = cradle_bridge_transport_receive_frame (transport, 5000, NULL, &error);
  g_assert_no_error (error);
  assert_frame (frame, second);
  g_clear_pointer (&frame, cradle_bridge_frame_free);

  /* Nothing more: a timeout, not an error of the link. */
  frame = cradle_bridge_transport_receive_frame (transport, 50, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_null (frame);

  cradle_agent_functionfs_transport_disconnect (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport), "test over");
  g_clear_object (&transport);
  close (host_end);
}

static gpointer
receive_in_thread (gpointer data)
{
  CradleBridgeTransport *transport = data;
  GError *error = NULL;
  CradleBridgeFrame *frame = cradle_bridge_transport_receive_frame (transport, 60 * 1000, NULL, &error);

  g_assert_null (frame);
  return error;
}

/* DISABLE or UNBIND: a wait in progress fails at once with device-gone,
 * and so does every later call. */
static void
test_disconnect (void)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = frame_of_size (64, 0);
  g_autoptr(GError) error = NULL;
  GThread *waiter;
  int agent_end;
  int host_end;

  make_pair (SOCK_SEQPACKET, &agent_end, &host_end);
  transport = transport_on (agent_end);
  waiter = g_thread_new ("waiter", receive_in_thread, transport);
  g_usleep (50 * 1000);

  cradle_agent_functionfs_transport_disconnect (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport),
                                                "the host disabled the function");
  error = g_thread_join (waiter);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_nonnull (strstr (error->message, "the host disabled the function"));
  g_clear_error (&error);

  g_assert_false (cradle_agent_functionfs_transport_is_connected (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (transport)));
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);

  g_clear_object (&transport);
  close (host_end);
}

typedef struct {
  CradleBridgeTransport *transport;
  gint                   sent;
} Sender;

/* Sends until a send fails, as the agent sends KEEPALIVEs to a host that
 * stopped reading: the socket's buffer fills and write() blocks. */
static gpointer
send_in_thread (gpointer data)
{
  Sender *sender = data;
  g_autoptr(GBytes) frame = frame_of_size (1000, 0x5A);
  GError *error = NULL;

  while (cradle_bridge_transport_send (sender->transport, frame, NULL, &error))
    g_atomic_int_inc (&sender->sent);
  return error;
}

/* A host that stops reading (its program killed, the device still plugged
 * in) leaves the agent blocked in write() on the IN endpoint and its reader
 * in read() on the OUT one, where no timeout applies. Disconnecting (the
 * agent stopping, or the function disabled) interrupts both: the send fails
 * with device-gone, and both endpoint files get closed. */
static void
test_disconnect_interrupts (void)
{
  Sender sender = { 0 };
  GError *error = NULL;
  GThread *thread;
  struct pollfd hangup;
  int agent_end;
  int host_end;
  int sent;

  make_pair (SOCK_SEQPACKET, &agent_end, &host_end);
  sender.transport = transport_on (agent_end);
  thread = g_thread_new ("sender", send_in_thread, &sender);
  /* The buffer holds a few hundred frames; then the sender blocks. */
  do
    {
      sent = g_atomic_int_get (&sender.sent);
      g_usleep (100 * 1000);
    }
  while (sent == 0 || g_atomic_int_get (&sender.sent) != sent);

  cradle_agent_functionfs_transport_disconnect (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (sender.transport),
                                                "the agent is stopping");
  error = g_thread_join (thread);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_nonnull (strstr (error->message, "the agent is stopping"));
  g_clear_error (&error);
  g_assert_cmpint (g_atomic_int_get (&sender.sent), ==, sent);

  /* The reader left its read() too, and closed the OUT file: with the IN
   * file closed by the transport, the host sees the other end hang up. */
  g_clear_object (&sender.transport);
  for (;;)
    {
      g_autoptr(GArray) drained = NULL;

      hangup = (struct pollfd) { .fd = host_end, .events = POLLIN };
      /* A guard, not a timing: the hang-up comes at once or never. */
      g_assert_cmpint (poll (&hangup, 1, 60 * 1000), ==, 1);
      if (hangup.revents & POLLHUP)
        break;
      drained = read_transfers (host_end);
    }
  close (host_end);
}

typedef struct {
  char                  *store;
  CradleAgentConfig      config;
  char                  *host_state;
  CradleBridgeTransport *transport;
  GThread               *serving;
} EndpointFixture;

static gpointer
serve_in_thread (gpointer data)
{
  EndpointFixture *fixture = data;

  cradle_agent_functionfs_serve_endpoints (&fixture->config,
                                           CRADLE_AGENT_FUNCTIONFS_TRANSPORT (fixture->transport));
  return NULL;
}

static void
endpoint_fixture_start (EndpointFixture *fixture,
                        int              agent_end)
{
  g_autoptr(GError) error = NULL;

  fixture->store = g_dir_make_tmp ("cradle-ffs-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->config.keystore = cradle_agent_keystore_open (fixture->store, FALSE, &error);
  g_assert_no_error (error);
  fixture->config.manufacturer = g_strdup ("Cradle");
  fixture->config.model = g_strdup ("Gadget");
  fixture->config.serial = g_strdup ("FFS-0001");
  fixture->config.confirm_max_seconds = 60;
  fixture->config.identity = cradle_agent_keystore_load_identity (fixture->config.keystore, &error);
  g_assert_no_error (error);
  fixture->config.folder = g_strdup (fixture->store);
  /* This computer's side of pairing, fresh per test. */
  fixture->host_state = g_build_filename (fixture->store, "host", NULL);
  g_setenv ("CRADLE_STATE_DIR", fixture->host_state, TRUE);
  for (guint i = 0; i < CRADLE_CONFIRM_N_OPERATIONS; i++)
    fixture->config.policy[i] = CRADLE_CONFIRM_APPROVE;
  fixture->transport = transport_on (agent_end);
  fixture->serving = g_thread_new ("serving", serve_in_thread, fixture);
}

static void
endpoint_fixture_stop (EndpointFixture *fixture)
{
  cradle_agent_functionfs_transport_disconnect (CRADLE_AGENT_FUNCTIONFS_TRANSPORT (fixture->transport),
                                                "the device was unplugged");
  g_thread_join (fixture->serving);
  g_clear_object (&fixture->transport);
  g_clear_object (&fixture->config.keystore);
  g_clear_pointer (&fixture->config.identity, EVP_PKEY_free);
  g_clear_pointer (&fixture->config.folder, g_free);
  g_clear_pointer (&fixture->host_state, g_free);
  g_free (fixture->config.manufacturer);
  g_free (fixture->config.model);
  g_free (fixture->config.serial);
  test_remove_tree (fixture->store);
  g_free (fixture->store);
}

static CradleBridgeFrame *
read_frame (int fd)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  guint8 buffer[4096];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      CradleBridgeFrame *frame = cradle_bridge_frame_reader_pop (reader);
      gssize got;

      if (frame != NULL)
        return frame;
      got = read (fd, buffer, sizeof buffer);
      g_assert_cmpint (got, >, 0);
      g_assert_true (cradle_bridge_frame_reader_feed (reader, buffer, (gsize) got, &error));
      g_assert_no_error (error);
    }
}

/* The real host client, through the endpoint transport, to the agent's
 * sessions; broken framing ends a session but not the endpoints. */
static void
test_sessions (void)
{
  EndpointFixture fixture = { 0 };
  g_autoptr(CradleBridgeTransport) host = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(CradleBridgeFrame) reply = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;
  /* One header's worth, so nothing of it is left for the next session. */
  const char garbage[CRADLE_BRIDGE_HEADER_SIZE] = "NOT A CRADLE FRM";
  int agent_end;
  int host_end;

  make_pair (SOCK_STREAM, &agent_end, &host_end);
  endpoint_fixture_start (&fixture, agent_end);

  g_assert_cmpint (write (host_end, garbage, sizeof garbage), ==, sizeof garbage);
  reply = read_frame (host_end);
  g_assert_cmpuint (reply->header.type, ==, CRADLE_BRIDGE_ERROR);
  g_assert_cmpuint (reply->header.request_id, ==, 0);

  host = cradle_bridge_socket_new_for_fd (host_end, "socket:ffs", &error);
  g_assert_no_error (error);
  device = cradle_device_new_for_transport (host);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_device_get_model (device), ==, "Gadget");
  g_assert_cmpstr (cradle_device_get_serial (device), ==, "FFS-0001");
  g_assert_true (cradle_device_pair (device, NULL, &error));
  g_assert_no_error (error);

  key_id = cradle_device_generate_key (device, "p256", "test", &public_key, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key_id);
  g_assert_nonnull (public_key);
  certs = cradle_device_list_certs (device, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (certs);

  endpoint_fixture_stop (&fixture);

  /* The host hears of the unplug as device-gone. */
  g_clear_pointer (&certs, g_ptr_array_unref);
  certs = cradle_device_list_certs (device, NULL, NULL, NULL, &error);
  g_assert_null (certs);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/functionfs/transfer-sizes", test_transfer_sizes);
  g_test_add_func ("/agent/functionfs/reassembly", test_reassembly);
  g_test_add_func ("/agent/functionfs/disconnect", test_disconnect);
  g_test_add_func ("/agent/functionfs/disconnect-interrupts", test_disconnect_interrupts);
  g_test_add_func ("/agent/functionfs/sessions", test_sessions);
  return g_test_run ();
}
