/* cradle-bridge-socket-private.h: the simulator's Unix-socket transport */
#pragma once

#include "protocol/cradle-bridge-transport-private.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_BRIDGE_SOCKET (cradle_bridge_socket_get_type ())
G_DECLARE_FINAL_TYPE (CradleBridgeSocket, cradle_bridge_socket, CRADLE, BRIDGE_SOCKET, CradleBridgeTransport)

CradleBridgeTransport *cradle_bridge_socket_connect  (const char  *path,
                                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
CradleBridgeTransport *cradle_bridge_socket_new_for_fd (int         fd,
                                                      const char  *id,
                                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
char                  *cradle_bridge_socket_dup_devices_dir (void);
GPtrArray             *cradle_bridge_socket_list_paths (void);
/* socket:<file name without .sock> */
char                  *cradle_bridge_socket_id_for_path (const char *path);

G_END_DECLS
