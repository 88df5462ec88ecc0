/* cradle-pkcs7-private.h: PKCS#7 certificate bags, as CAs send their certificates */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* The certificates of a DER PKCS#7/CMS SignedData (certs-only or not). */
G_GNUC_WARN_UNUSED_RESULT
GPtrArray *cradle_pkcs7_dup_certificates (GBytes  *der,
                                          GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Same, from base64 (whitespace and line breaks allowed) or PEM. */
G_GNUC_WARN_UNUSED_RESULT
GPtrArray *cradle_pkcs7_dup_certificates_from_base64 (const char  *text,
                                                      gsize        length,
                                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
