/* cradle-bridge-transport.c: the base of the bridge's transports */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-pairing-private.h"
#include "protocol/cradle-bridge-transport-private.h"

typedef struct
{
  /* Owned */
  char                    *kind;
  char                    *id;
  CradleBridgeFrameReader *reader;   /* bytes past the last whole frame stay here */
  GByteArray              *record_sent;
  GByteArray              *record_received;
  CradleBridgeSeal        *seal;     /* set once the session is authenticated */
} CradleBridgeTransportPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (CradleBridgeTransport, cradle_bridge_transport, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cradle_bridge_transport_finalize (GObject *object)
{
  CradleBridgeTransportPrivate *priv =
    cradle_bridge_transport_get_instance_private (CRADLE_BRIDGE_TRANSPORT (object));

  g_clear_pointer (&priv->kind, g_free);
  g_clear_pointer (&priv->id, g_free);
  g_clear_pointer (&priv->reader, cradle_bridge_frame_reader_free);
  g_clear_pointer (&priv->record_sent, g_byte_array_unref);
  g_clear_pointer (&priv->record_received, g_byte_array_unref);
  g_clear_pointer (&priv->seal, cradle_bridge_seal_free);

  G_OBJECT_CLASS (cradle_bridge_transport_parent_class)->finalize (object);
}

static void
cradle_bridge_transport_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  CradleBridgeTransportPrivate *priv =
    cradle_bridge_transport_get_instance_private (CRADLE_BRIDGE_TRANSPORT (object));

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_string (value, priv->kind);
      break;
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_bridge_transport_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  CradleBridgeTransportPrivate *priv =
    cradle_bridge_transport_get_instance_private (CRADLE_BRIDGE_TRANSPORT (object));

  switch (prop_id)
    {
    case PROP_KIND:
      priv->kind = g_value_dup_string (value);
      break;
    case PROP_ID:
      priv->id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_bridge_transport_class_init (CradleBridgeTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cradle_bridge_transport_finalize;
  object_class->get_property = cradle_bridge_transport_get_property;
  object_class->set_property = cradle_bridge_transport_set_property;

  properties[PROP_KIND] =
    g_param_spec_string ("kind", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cradle_bridge_transport_init (CradleBridgeTransport *self)
{
  CradleBridgeTransportPrivate *priv = cradle_bridge_transport_get_instance_private (self);

  priv->reader = cradle_bridge_frame_reader_new ();
}

const char *
cradle_bridge_transport_get_kind (CradleBridgeTransport *self)
{
  CradleBridgeTransportPrivate *priv = cradle_bridge_transport_get_instance_private (self);

  return priv->kind;
}

const char *
cradle_bridge_transport_get_id (CradleBridgeTransport *self)
{
  CradleBridgeTransportPrivate *priv = cradle_bridge_transport_get_instance_private (self);

  return priv->id;
}

/**
 * cradle_bridge_transport_record:
 * @sent: (nullable): gets every byte sent from now on
 * @received: (nullable): gets every byte received
 *
 * For tests that must see exactly what crossed the wire.
 */
void
cradle_bridge_transport_record (CradleBridgeTransport *self,
                                GByteArray            *sent,
                                GByteArray            *received)
{
  CradleBridgeTransportPrivate *priv = cradle_bridge_transport_get_instance_private (self);

  g_clear_pointer (&priv->record_sent, g_byte_array_unref);
  g_clear_pointer (&priv->record_received, g_byte_array_unref);
  priv->record_sent = sent != NULL ? g_byte_array_ref (sent) : NULL;
  priv->record_received = received != NULL ? g_byte_array_ref (received) : NULL;
}

/* The sealed copy of a frame may hold a key being imported (IMPORT_KEY):
 * it is wiped once written, whatever it holds (the caller wipes its own). */
static void
wipe_sealed (GBytes *sealed)
{
  gsize size = 0;
  guint8 *data = sealed != NULL ? (guint8 *) g_bytes_get_data (sealed, &size) : NULL;

  if (data != NULL && size > 0)
    explicit_bzero (data, size);
}

gboolean
cradle_bridge_transport_send (CradleBridgeTransport  *self,
                              GBytes                 *frame,
                              GCancellable           *cancellable,
                              GError                **error)
{
  CradleBridgeTransportPrivate *priv;
  g_autoptr(GBytes) sealed = NULL;

  g_return_val_if_fail (CRADLE_IS_BRIDGE_TRANSPORT (self), FALSE);
  priv = cradle_bridge_transport_get_instance_private (self);

  /* No GIO call here: the agent links none (a caller that may cancel checks
   * first, cradle-bridge-transport-private.h). */
  if (priv->seal != NULL)
    {
      sealed = cradle_bridge_seal_frame (priv->seal, frame, error);
      if (sealed == NULL)
        return FALSE;
      frame = sealed;
    }
  if (!CRADLE_BRIDGE_TRANSPORT_GET_CLASS (self)->send (self, frame, cancellable, error))
    {
      wipe_sealed (sealed);
      return FALSE;
    }
  if (priv->record_sent != NULL)
    g_byte_array_append (priv->record_sent, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  wipe_sealed (sealed);
  return TRUE;
}

/* What the last chunk held (part of an imported key, perhaps) is wiped
 * before the buffer is freed. */
#define RECEIVE_BUFFER_SIZE (16 * 1024)
typedef guint8 ReceiveBuffer;

static void
receive_buffer_free (ReceiveBuffer *buffer)
{
  explicit_bzero (buffer, RECEIVE_BUFFER_SIZE);
  g_free (buffer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReceiveBuffer, receive_buffer_free)

static CradleBridgeFrame *
receive_raw_frame (CradleBridgeTransport  *self,
                   guint                   timeout_ms,
                   GCancellable           *cancellable,
                   GError                **error)
{
  CradleBridgeTransportPrivate *priv;
  CradleBridgeFrame *frame;
  /* 16 KiB: one USB bulk transfer, the size the binding writes in. */
  g_autoptr(ReceiveBuffer) buffer = NULL;

  g_return_val_if_fail (CRADLE_IS_BRIDGE_TRANSPORT (self), NULL);
  priv = cradle_bridge_transport_get_instance_private (self);

  frame = cradle_bridge_frame_reader_pop (priv->reader);
  if (frame != NULL)
    return frame;

  buffer = g_malloc (16 * 1024);
  for (;;)
    {
      gssize got;

      got = CRADLE_BRIDGE_TRANSPORT_GET_CLASS (self)->receive (self, buffer, 16 * 1024, timeout_ms,
                                                               cancellable, error);
      if (got < 0)
        return NULL;
      if (got == 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                       "The device stopped answering (nothing for %u seconds). "
                       "Check that the Cradle agent runs on it, then connect it again.",
                       timeout_ms / 1000);
          return NULL;
        }
      if (priv->record_received != NULL)
        g_byte_array_append (priv->record_received, buffer, (guint) got);
      if (!cradle_bridge_frame_reader_feed (priv->reader, buffer, (gsize) got, error))
        return NULL;
      frame = cradle_bridge_frame_reader_pop (priv->reader);
      if (frame != NULL)
        return frame;
    }
}

/* In an authenticated session every frame must carry the seal; before it,
 * none may. */
CradleBridgeFrame *
cradle_bridge_transport_receive_frame (CradleBridgeTransport  *self,
                                       guint                   timeout_ms,
                                       GCancellable           *cancellable,
                                       GError                **error)
{
  CradleBridgeTransportPrivate *priv;
  g_autoptr(CradleBridgeFrame) frame = NULL;

  g_return_val_if_fail (CRADLE_IS_BRIDGE_TRANSPORT (self), NULL);
  priv = cradle_bridge_transport_get_instance_private (self);

  frame = receive_raw_frame (self, timeout_ms, cancellable, error);
  if (frame == NULL)
    return NULL;
  if (priv->seal != NULL)
    {
      if (!cradle_bridge_seal_open (priv->seal, frame, error))
        return NULL;
    }
  else if ((frame->header.flags & CRADLE_BRIDGE_FLAG_SEALED) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Malformed frame: a sealed frame arrived before the session was authenticated");
      return NULL;
    }
  return g_steal_pointer (&frame);
}

/**
 * cradle_bridge_transport_set_seal:
 * @seal: (transfer full) (nullable): the session's keys, or %NULL to stop
 *
 * From now on every frame sent is sealed and every frame received must be.
 * Closing the transport ends the session and drops the seal.
 */
void
cradle_bridge_transport_set_seal (CradleBridgeTransport *self,
                                  CradleBridgeSeal      *seal)
{
  CradleBridgeTransportPrivate *priv = cradle_bridge_transport_get_instance_private (self);

  g_clear_pointer (&priv->seal, cradle_bridge_seal_free);
  priv->seal = seal;
}

void
cradle_bridge_transport_close (CradleBridgeTransport *self)
{
  CradleBridgeTransportPrivate *priv;

  g_return_if_fail (CRADLE_IS_BRIDGE_TRANSPORT (self));
  priv = cradle_bridge_transport_get_instance_private (self);

  CRADLE_BRIDGE_TRANSPORT_GET_CLASS (self)->close (self);
  /* A half-read frame of this session must not leak into the next one. */
  cradle_bridge_frame_reader_free (priv->reader);
  priv->reader = cradle_bridge_frame_reader_new ();
  g_clear_pointer (&priv->seal, cradle_bridge_seal_free);
}
