/* cradle-agent-trim.c: an idle agent gives back what it does not use
 *
 * Most of an idle agent's resident memory is not its own: it is the
 * pages of libcrypto's, libc's and GLib's code and constants that loading
 * and one handshake touched (each fault maps up to 64 KiB around it),
 * about 5 MB of the 8.  They are clean copies of the files, shared with
 * the page cache, and nothing changes them; the kernel would drop them
 * itself under memory pressure.  Between requests the agent drops its
 * mappings of them at once (MADV_DONTNEED), as idle services on phones
 * and Windows have their working set trimmed, and the next request
 * faults back in only the pages it runs.
 *
 * Only what is certain to be an unchanged copy of a file is released:
 * the segments the dynamic loader mapped without write permission,
 * minus the RELRO range (written during relocation, then made
 * read-only), and nothing of an object with text relocations.  They are
 * listed with dl_iterate_phdr(), which holds the loader's lock, so no
 * object is mapped or unmapped while the list is walked.  Anonymous
 * memory (the heap, the OpenSSL secure heap with its keys) is never
 * touched; the heap's free pages go back through malloc_trim().
 */
#include "config.h"

#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/cradle-agent-trim-private.h"

typedef struct
{
  guintptr page;
  guint    released;
} Trim;

/* Whether the object's text was relocated in place (it is then no longer
 * a copy of the file). */
static gboolean
has_text_relocations (struct dl_phdr_info *info)
{
  for (ElfW (Half) i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *phdr = &info->dlpi_phdr[i];
      const ElfW (Dyn) *dyn;

      if (phdr->p_type != PT_DYNAMIC)
        continue;
      for (dyn = (const ElfW (Dyn) *) (info->dlpi_addr + phdr->p_vaddr); dyn->d_tag != DT_NULL; dyn++)
        {
          if (dyn->d_tag == DT_TEXTREL || (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_TEXTREL) != 0))
            return TRUE;
        }
    }
  return FALSE;
}

static void
release (Trim     *trim,
         guintptr  start,
         guintptr  end)
{
  /* Whole pages inside the range only. */
  start = (start + trim->page - 1) & ~(trim->page - 1);
  end &= ~(trim->page - 1);
  if (end > start && madvise ((void *) start, end - start, MADV_DONTNEED) == 0)
    trim->released++;
}

static int
trim_object (struct dl_phdr_info *info,
             size_t               size,
             void                *user_data)
{
  Trim *trim = user_data;
  guintptr relro_start = 0, relro_end = 0;

  (void) size;
  /* The vDSO is the kernel's, not a file. */
  if (info->dlpi_name != NULL && g_str_has_prefix (info->dlpi_name, "linux-vdso"))
    return 0;
  if (has_text_relocations (info))
    return 0;
  for (ElfW (Half) i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *phdr = &info->dlpi_phdr[i];

      if (phdr->p_type == PT_GNU_RELRO)
        {
          relro_start = info->dlpi_addr + phdr->p_vaddr;
          relro_end = relro_start + phdr->p_memsz;
        }
    }
  for (ElfW (Half) i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *phdr = &info->dlpi_phdr[i];
      guintptr start, end;

      if (phdr->p_type != PT_LOAD || (phdr->p_flags & PF_W) != 0 || phdr->p_memsz == 0)
        continue;
      start = info->dlpi_addr + phdr->p_vaddr;
      /* Only the part backed by the file: nothing past p_filesz. */
      end = start + phdr->p_filesz;
      if (relro_end > start && relro_start < end)
        {
          /* Keep the RELRO range (rounded out to whole pages), release around it. */
          release (trim, start, relro_start & ~(trim->page - 1));
          release (trim, (relro_end + trim->page - 1) & ~(trim->page - 1), end);
        }
      else
        release (trim, start, end);
    }
  return 0;
}

guint
cradle_agent_trim_working_set (void)
{
  Trim trim = { .page = (guintptr) sysconf (_SC_PAGESIZE) };

  malloc_trim (0);
  dl_iterate_phdr (trim_object, &trim);
  return trim.released;
}
