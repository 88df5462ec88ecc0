/* cradle-device-watcher.h: the cradled device, opened, following plugging */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_DEVICE_WATCHER (cradle_device_watcher_get_type ())
G_DECLARE_FINAL_TYPE (CradleDeviceWatcher, cradle_device_watcher, CRADLE, DEVICE_WATCHER, GObject)

CradleDeviceWatcher *cradle_device_watcher_new          (void);
/* Lists what is connected now and starts following plugging. */
void                 cradle_device_watcher_start        (CradleDeviceWatcher *self);
/* (nullable): the device shown, opened (HELLO and GET_INFO done) */
CradleDevice        *cradle_device_watcher_get_device   (CradleDeviceWatcher *self);
/* (element-type CradleDevice): every device opened, in the order they
 * answered; the one shown among them */
GPtrArray           *cradle_device_watcher_get_devices  (CradleDeviceWatcher *self);
/* Shows @device, one of the devices opened (another is ignored); it stays
 * shown until it leaves or another is chosen. */
void                 cradle_device_watcher_choose       (CradleDeviceWatcher *self,
                                                         CradleDevice        *device);
/* (nullable): why a connected device cannot be used, for people */
const char          *cradle_device_watcher_get_problem  (CradleDeviceWatcher *self);
/* An operation found @device gone (CRADLE_ERROR_DEVICE_GONE): forget it. */
void                 cradle_device_watcher_device_gone  (CradleDeviceWatcher *self,
                                                         CradleDevice        *device);

G_END_DECLS
