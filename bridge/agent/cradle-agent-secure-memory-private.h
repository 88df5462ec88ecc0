/* cradle-agent-secure-memory-private.h: where the agent keeps its secrets
 *
 * The KEK, decrypted PKCS#8 keys and the private parts of the keys OpenSSL
 * decodes (RSA d, p, q and the CRT values, the EC private scalar: OpenSSL 3
 * puts those BIGNUMs in its secure heap) live in OpenSSL's secure heap: one
 * mmap()ed arena with guard pages, mlock()ed where RLIMIT_MEMLOCK allows and
 * marked MADV_DONTDUMP, so no core dump and no gcore (which honours
 * MADV_DONTDUMP) holds them. Everything in it is wiped when freed.
 * tests/unit/test-agent-memory.c checks which of them really land there.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Large enough for the KEK, an RSA 4096 key being generated (its
 * BN_CTX is secure too) and one being used, many times over. A power of 2. */
#define CRADLE_AGENT_SECURE_HEAP_SIZE (512 * 1024)

/* Makes every block OpenSSL frees (or moves, in realloc) wiped first: its
 * ASN.1 code leaves private keys in buffers it frees without wiping (an EC
 * key's scalar when encoding or decoding ECPrivateKey, for one). Must come
 * before OpenSSL's first allocation; FALSE if it came too late. */
gboolean cradle_agent_secure_memory_wipe_openssl_frees (void);

/* Sets up the secure heap once per process; later calls do nothing. */
G_GNUC_WARN_UNUSED_RESULT
gboolean cradle_agent_secure_memory_init     (GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0): the kernel
 * writes no core file for it, and processes of the same user can no longer
 * ptrace it or read /proc/PID/mem. Root still can: see docs/security.md. */
G_GNUC_WARN_UNUSED_RESULT
gboolean cradle_agent_secure_memory_protect_process (GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Zeroed memory in the secure heap; plain memory (still wiped when freed
 * with cradle_agent_secure_free()) if the heap is full, with a warning. */
gpointer cradle_agent_secure_alloc (gsize    size);
void     cradle_agent_secure_free  (gpointer data,
                                    gsize    size);

G_END_DECLS
