/* cradle-settings.h: the domain settings the app and cradlectl share
 *
 * Each setting comes from, in this order: the command-line option, the
 * environment variable, the user's cradle.conf, the administrator's
 * cradle.conf (cradle_paths_dup_config_dir() and
 * cradle_paths_dup_system_config_dir()):
 *
 *   setting   option     variable       cradle.conf
 *   domain    --domain   CRADLE_DOMAIN  [Directory] Domain=corp.example.com
 *   dc        --dc       CRADLE_DC      [Directory] DC=ldap://dc1.corp.example.com
 *   user      --user     CRADLE_USER    (none: a user name is the session's)
 *   ccache    --ccache   CRADLE_CCACHE  (none)
 *
 * An empty value counts as unset.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_SETTING_DOMAIN,
  CRADLE_SETTING_DC,
  CRADLE_SETTING_USER,
  CRADLE_SETTING_CCACHE,
} CradleSetting;

/* The setting's value: @option (nullable: the command line's) when set,
 * else the environment's, else cradle.conf's; (nullable). */
CRADLE_PUBLIC
char       *cradle_settings_dup           (CradleSetting  setting,
                                           const char    *option);
/* The domain and its controller, each as cradle_settings_dup() finds it,
 * except that a controller is dropped when it was set further down the
 * order than the domain (`--domain other.example` with $CRADLE_DC set
 * looks up other.example's controllers).  @domain, @dc: (out) (nullable)
 * (transfer full). */
CRADLE_PUBLIC
void        cradle_settings_dup_directory (const char    *domain_option,
                                           const char    *dc_option,
                                           char         **domain,
                                           char         **dc);
/* Where @setting came from, for messages: "--dc", "CRADLE_DC",
 * "/etc/cradle/cradle.conf", …; (nullable) when unset.  (transfer full) */
CRADLE_PUBLIC
char       *cradle_settings_dup_origin    (CradleSetting  setting,
                                           const char    *option);
/* The environment variable of @setting: "CRADLE_DC", … */
CRADLE_PUBLIC
const char *cradle_settings_get_variable  (CradleSetting  setting);

/* [Renewal] Automatic= of cradle.conf (the user's, else the
 * administrator's): whether the app renews certificates in their renewal
 * window by itself while the device is connected; TRUE unless set to
 * false.  Renew in the app and `cradlectl renew` work either way. */
CRADLE_PUBLIC
gboolean    cradle_settings_get_automatic_renewal (void);

/* [Tokens] of cradle.conf (docs/cradlectl.md, "Tokens"), the user's else
 * the administrator's:
 * - Modules=: PKCS#11 module files to load besides p11-kit's, absolute
 *   paths separated by ';' (others are ignored with a warning); never
 *   %NULL (transfer full);
 * - UseP11Kit=: whether p11-kit's configured modules are loaded (TRUE;
 *   $CRADLE_TOKENS_USE_P11KIT, true or false, comes first);
 * - PollSeconds=: how often the device monitor looks for tokens (2; 1 to
 *   3600);
 * - AttestationRoots=: a PEM file of the vendors' attestation roots
 *   (Yubico's PIV CA), or %NULL (transfer full). */
CRADLE_PUBLIC
GStrv       cradle_settings_dup_token_modules      (void);
CRADLE_PUBLIC
gboolean    cradle_settings_get_token_use_p11kit   (void);
CRADLE_PUBLIC
guint       cradle_settings_get_token_poll_seconds (void);
CRADLE_PUBLIC
char       *cradle_settings_dup_attestation_roots  (void);

G_END_DECLS
