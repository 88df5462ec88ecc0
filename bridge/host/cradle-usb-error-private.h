/* cradle-usb-error-private.h: libusb's error codes as CRADLE_ERRORs */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets @error from the negative libusb error code @code, met with the device
 * @id while @doing ("sending to it"), with what the user can do about it. */
void cradle_usb_set_error (GError     **error,
                           int          code,
                           const char  *id,
                           const char  *doing);

G_END_DECLS
