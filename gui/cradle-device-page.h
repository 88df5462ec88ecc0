/* cradle-device-page.h: the cradled device, the account, the types, pending requests and certificates */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

#include "cradle-session.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_DEVICE_PAGE (cradle_device_page_get_type ())
G_DECLARE_FINAL_TYPE (CradleDevicePage, cradle_device_page, CRADLE, DEVICE_PAGE, AdwBin)

void            cradle_device_page_set_device        (CradleDevicePage *self,
                                                      CradleDevice     *device);
/* The device row's words, escaped: a bridge device by its maker and
 * model, with its serial, system and agent; a token by its label, with
 * its transport, maker, model and serial. */
char           *cradle_device_page_dup_device_title    (CradleDevice *device);
/* The title, with the serial when another of @devices has the same title. */
char           *cradle_device_page_dup_distinct_title  (GPtrArray    *devices,
                                                        CradleDevice *device);
char           *cradle_device_page_dup_device_subtitle (CradleDevice *device);
/* For g_ptr_array_sort() of CradleDevice: by title, then serial (natural
 * order: "Phone 2" before "Phone 10"), then id. */
int             cradle_device_page_compare_devices     (gconstpointer a,
                                                        gconstpointer b);
/* A token's PIN, as the window read it: the PIN row's words (the error
 * table's for a PIN that has few tries left or is locked); %NULL hides it. */
void            cradle_device_page_set_pin_state     (CradleDevicePage     *self,
                                                      CradleDevicePinState  state);
const char     *cradle_device_page_describe_pin_state (CradleDevicePinState state);
/* Follows the session's state: the account row and the list of types. */
void            cradle_device_page_set_session       (CradleDevicePage *self,
                                                      CradleSession    *session);
/* @certs: (element-type CradleDeviceCert) (nullable): NULL and no @error
 * while they are being read. */
void            cradle_device_page_set_certs         (CradleDevicePage *self,
                                                      GPtrArray        *certs,
                                                      const GError     *error);
/* @statuses: (element-type CradleCertStatus): the status checks' word on
 * the certificates shown, as badges (and Renew, Remove) on their rows. */
void            cradle_device_page_set_cert_statuses (CradleDevicePage *self,
                                                      GPtrArray        *statuses);
/* (nullable): the row's status of the certificate whose SHA-256 (hex) is @sha256 */
CradleCertStatus *cradle_device_page_lookup_status   (CradleDevicePage *self,
                                                      const char       *sha256);
/* (nullable): the certificate shown whose SHA-256 (hex) is @sha256 (the
 * personal one first), with its row's status (nullable) in @status. */
CradleDeviceCert *cradle_device_page_lookup_cert     (CradleDevicePage  *self,
                                                      const char        *sha256,
                                                      CradleCertStatus **status);
/* (nullable) (element-type CradleDeviceCert): the device's certificates shown */
GPtrArray      *cradle_device_page_get_certs         (CradleDevicePage *self);
/* @requests: (element-type CradlePendingRequest): this device's unfinished
 * requests; @types (nullable) names them. */
void            cradle_device_page_set_pending       (CradleDevicePage *self,
                                                      GPtrArray        *requests,
                                                      GPtrArray        *types);
void            cradle_device_page_set_checking      (CradleDevicePage *self,
                                                      gint64            request_id,
                                                      gboolean          busy);
/* (nullable): the type chosen, enrollable */
CradleCertType *cradle_device_page_get_selected_type (CradleDevicePage *self);
/* Every device connected (@devices, element-type CradleDevice), @shown
 * the one this page is about: with more than one bridge device, a check
 * row for each (the device shown checked the first time), sorted by title
 * then serial whatever order they arrived in, tokens left out (a token is
 * enrolled on its own, after its PIN). */
void            cradle_device_page_set_devices       (CradleDevicePage *self,
                                                      GPtrArray        *devices,
                                                      CradleDevice     *shown);
/* (transfer full) (element-type CradleDevice): the devices Get Certificate
 * enrolls: those checked, in the list's order, or the device shown when
 * there is no list ("n-chosen" says how many). */
GPtrArray      *cradle_device_page_dup_chosen_devices (CradleDevicePage *self);
guint           cradle_device_page_get_n_chosen      (CradleDevicePage *self);
/* (nullable): the subject typed, when the chosen type wants one and one
 * device is chosen */
char           *cradle_device_page_dup_subject       (CradleDevicePage *self);

G_END_DECLS
