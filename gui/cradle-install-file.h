/* cradle-install-file.h: one certificate file onto the device, asked step by step */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_INSTALL_FILE (cradle_install_file_get_type ())
G_DECLARE_FINAL_TYPE (CradleInstallFile, cradle_install_file, CRADLE, INSTALL_FILE, GObject)

/* Installing @file (a PFX/P12, CER or P7B) on @device, with dialogs over
 * @parent: its password when it has one, what goes where before anything
 * goes, the device's confirmation, and how it ended.  @pending (nullable):
 * where keys waiting for their certificate are found.
 *
 * Signals: "installing" when it starts using the device (the window keeps
 * others off it); "finished" (guint added, GError *error: %NULL when
 * installed, G_IO_ERROR_CANCELLED when the user stopped) once the last
 * dialog is up. */
CradleInstallFile *cradle_install_file_new   (GtkWindow          *parent,
                                              CradleDevice       *device,
                                              CradlePendingStore *pending,
                                              GFile              *file);
void               cradle_install_file_start (CradleInstallFile  *self);
/* Stops it (the window closes): the device is told to cancel what it asks
 * its user; "finished" follows with G_IO_ERROR_CANCELLED. */
void               cradle_install_file_cancel (CradleInstallFile *self);
CradleDevice      *cradle_install_file_get_device (CradleInstallFile *self);
/* What a certificate of a file is for, in words: "Trusted root", … */
char              *cradle_install_file_describe_role (CradleCertRole  role,
                                                      gboolean        with_key,
                                                      const char     *sha256);

G_END_DECLS
