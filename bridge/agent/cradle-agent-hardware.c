/* cradle-agent-hardware.c: the manufacturer and model of the machine the
 * agent runs on, from DMI or the device tree, escaped and bounded */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-hardware-private.h"

/* sysfs and device-tree values are short; more is not a name. */
#define READ_MAX 256

/* What firmware writes when the maker filled in nothing. */
static const char * const placeholders[] = {
  "To Be Filled By O.E.M.",
  "To be filled by O.E.M.",
  "System manufacturer",
  "System Product Name",
  "System Version",
  "Default string",
  "Not Specified",
  "Not Applicable",
  "None",
  "OEM",
  "O.E.M.",
  "Unknown",
};

/* The first @max bytes of @path, or NULL. */
static GBytes *
read_bounded (const char *path,
              gsize       max)
{
  g_autofree guint8 *buffer = g_malloc (max);
  gsize filled = 0;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return NULL;
  while (filled < max)
    {
      ssize_t got = read (fd, buffer + filled, max - filled);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      filled += (gsize) got;
    }
  close (fd);
  return g_bytes_new (buffer, filled);
}

/* The text of @data up to its first NUL or line end, trimmed, escaped and
 * bounded; NULL when empty or a placeholder. */
static char *
name_from (GBytes *data)
{
  gsize size;
  const char *bytes = g_bytes_get_data (data, &size);
  gsize length = 0;
  g_autofree char *raw = NULL;
  g_autofree char *escaped = NULL;

  while (length < size && bytes[length] != '\0' && bytes[length] != '\n')
    length++;
  raw = g_strstrip (g_strndup (bytes, length));
  if (raw[0] == '\0')
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    if (g_ascii_strcasecmp (raw, placeholders[i]) == 0)
      return NULL;
  escaped = cradle_text_escape (raw, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  if (g_utf8_strlen (escaped, -1) > CRADLE_AGENT_HARDWARE_MAX_CHARS)
    return g_utf8_substring (escaped, 0, CRADLE_AGENT_HARDWARE_MAX_CHARS);
  return g_steal_pointer (&escaped);
}

static char *
read_name (const char *root,
           const char *relative)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autoptr(GBytes) data = read_bounded (path, READ_MAX);

  return data != NULL ? name_from (data) : NULL;
}

/* "raspberrypi,4-model-b" names its vendor before the comma. */
static char *
read_compatible_vendor (const char *root)
{
  g_autofree char *path = g_build_filename (root, "proc/device-tree/compatible", NULL);
  g_autoptr(GBytes) data = read_bounded (path, READ_MAX);
  g_autoptr(GBytes) vendor = NULL;
  const char *bytes;
  const char *comma;
  gsize size;

  if (data == NULL)
    return NULL;
  bytes = g_bytes_get_data (data, &size);
  comma = memchr (bytes, ',', strnlen (bytes, size));
  if (comma == NULL)
    return NULL;
  vendor = g_bytes_new (bytes, (gsize) (comma - bytes));
  return name_from (vendor);
}

void
cradle_agent_hardware_describe (const char  *root,
                                char       **manufacturer,
                                char       **model)
{
  *manufacturer = read_name (root, "sys/class/dmi/id/sys_vendor");
  *model = read_name (root, "sys/class/dmi/id/product_name");
  /* Boards without DMI (ARM) describe themselves in the device tree. */
  if (*model == NULL)
    *model = read_name (root, "proc/device-tree/model");
  if (*manufacturer == NULL)
    *manufacturer = read_compatible_vendor (root);
}
