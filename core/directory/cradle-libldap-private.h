/* cradle-libldap-private.h: libldap, liblber and libsasl2, opened when the
 * first connection to a domain controller is made (cradle-dlopen-private.h
 * says why) */
#pragma once

#include <glib.h>
#include <ldap.h>
#include <lber.h>
#include <sasl/sasl.h>

#include "base/cradle-dlopen-private.h"

G_BEGIN_DECLS

#define CRADLE_LDAP_SYMBOLS(X) \
  X (ldap_connect) \
  X (ldap_control_create) \
  X (ldap_control_free) \
  X (ldap_count_entries) \
  X (ldap_err2string) \
  X (ldap_first_attribute) \
  X (ldap_first_entry) \
  X (ldap_free_urldesc) \
  X (ldap_get_attribute_ber) \
  X (ldap_get_dn) \
  X (ldap_get_dn_ber) \
  X (ldap_get_option) \
  X (ldap_get_values_len) \
  X (ldap_initialize) \
  X (ldap_memfree) \
  X (ldap_msgfree) \
  X (ldap_next_attribute) \
  X (ldap_next_entry) \
  X (ldap_sasl_bind_s) \
  X (ldap_sasl_interactive_bind_s) \
  X (ldap_search_ext_s) \
  X (ldap_set_option) \
  X (ldap_start_tls_s) \
  X (ldap_unbind_ext_s) \
  X (ldap_url_parse) \
  X (ldap_value_free_len) \
  X (ldap_whoami_s)

#define CRADLE_LBER_SYMBOLS(X) \
  X (ber_bvfree) \
  X (ber_free) \
  X (ber_memfree) \
  X (ber_sockbuf_ctrl)

#define CRADLE_SASL_SYMBOLS(X) \
  X (sasl_client_init) \
  X (sasl_errstring)

CRADLE_LDAP_SYMBOLS (CRADLE_DLOPEN_DECLARE)
CRADLE_LBER_SYMBOLS (CRADLE_DLOPEN_DECLARE)
CRADLE_SASL_SYMBOLS (CRADLE_DLOPEN_DECLARE)

/* Opens the three, once per process. */
gboolean cradle_libldap_load (GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
