/* fuzz-renewal-check.c: libFuzzer harness for what a device reads before it
 * signs a renewal (bridge SIGN purposes 1 with the renewal attribute, 4 and
 * 5: bridge/agent/cradle-agent-renewal-check.c, cradle-agent-request-info.c,
 * cradle-agent-scep-check.c)
 *
 * The first byte picks the reader, modulo 5: 0, a CertificationRequest
 * taken apart; 1, a CertificationRequestInfo's renewal attribute; 2, a
 * pkcsPKIEnvelope opened with the key below; 3, a CertPoll's
 * IssuerAndSubject against the issuer below; 4, the signed attributes of a
 * renewal's CMS with a SHA-256 digest. */
#include "config.h"

#include <glib.h>

#include "agent/cradle-agent-renewal-check-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "agent/cradle-agent-scep-check-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* The content-encryption key the corpus's envelope was made with. */
static const guint8 content_key[16] = "content-key-16b";
/* Name ::= CN=Renewal CA, the corpus poll's issuer. */
static const guint8 issuer[] = {
  0x30, 0x15, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0a,
  'R', 'e', 'n', 'e', 'w', 'a', 'l', ' ', 'C', 'A',
};

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) key = g_bytes_new_static (content_key, sizeof content_key);
  g_autoptr(GBytes) name = g_bytes_new_static (issuer, sizeof issuer);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) renewed = NULL;
  g_autoptr(GBytes) message_digest = NULL;
  g_autofree char *transaction_id = NULL;
  g_autoptr(GError) error = NULL;
  guint message_type = 7;
  gboolean accepted;

  if (size < 1)
    return 0;
  bytes = g_bytes_new (data + 1, size - 1);
  switch (data[0] % 5)
    {
    case 0:
      accepted = cradle_agent_renewal_split_request (bytes, &out, &error);
      g_assert (!accepted || g_bytes_get_size (out) < size);
      break;
    case 1:
      accepted = cradle_agent_request_info_renewal (bytes, &out, &renewed, &error);
      g_assert (!accepted || g_bytes_get_size (out) > 0);
      g_assert (!accepted || renewed == NULL || g_bytes_get_size (renewed) >= 2);
      break;
    case 2:
      out = cradle_agent_renewal_open_envelope (bytes, key, &error);
      accepted = out != NULL;
      g_assert (!accepted || g_bytes_get_size (out) < size);
      break;
    case 3:
      accepted = cradle_agent_renewal_check_poll (bytes, name, &error);
      break;
    default:
      accepted = cradle_agent_scep_check_attributes_for (CRADLE_AGENT_ATTRIBUTES_CMS, bytes, 32, &message_type,
                                                         &message_digest, &transaction_id, &error);
      g_assert (!accepted || (message_type == 0 && transaction_id == NULL
                              && g_bytes_get_size (message_digest) == 32));
      break;
    }
  g_assert (accepted == (error == NULL));
  return 0;
}
