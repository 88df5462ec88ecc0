/* cradle-text.h: text from outside (a device, a CA, the directory) made
 * safe to show on a terminal, in a log or in JSON */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/**
 * CradleTextEscapeFlags:
 * @CRADLE_TEXT_ESCAPE_DEFAULT: one line: every control is escaped,
 *   newlines and tabs too
 * @CRADLE_TEXT_ESCAPE_KEEP_LINES: newlines and tabs are kept (text that
 *   Cradle has already laid out, such as a whole line about to be printed)
 * @CRADLE_TEXT_ESCAPE_JSON: @text is JSON text made by a generator; what it
 *   escapes is written as `\uXXXX`, which JSON reads back as the same
 *   character, and an invalid byte as `\ufffd`; newlines are kept
 *
 * How cradle_text_escape() escapes.
 */
typedef enum {
  CRADLE_TEXT_ESCAPE_DEFAULT = 0,
  CRADLE_TEXT_ESCAPE_KEEP_LINES = 1 << 0,
  CRADLE_TEXT_ESCAPE_JSON = 1 << 1,
} CradleTextEscapeFlags;

/*
 * The one sanitiser for text from outside before it reaches a terminal, a
 * log or the journal. What a terminal would act on, or what would reorder
 * what is shown, is written out visibly instead:
 *   - C0 controls and DEL as `\xNN` (`\n`, `\r`, `\t` for those three), so
 *     an ESC starting a CSI or OSC sequence is shown as `\x1b` and the
 *     sequence that follows as plain text;
 *   - C1 controls (U+0080 to U+009F, CSI and OSC among them) as `\u009b`;
 *   - bidirectional overrides, embeddings, isolates and marks (U+202A to
 *     U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C), the line and
 *     paragraph separators U+2028 and U+2029, and U+FEFF, as `\u202e`;
 *   - each byte that is not part of valid UTF-8 as `\xNN`.
 * Everything else passes as it is, backslashes too: escaping again changes
 * nothing, so text escaped once (as the journal stores it) can go through
 * here again on its way out. @length is in bytes, or -1 when @text ends with
 * a NUL; a NUL within @length is escaped as `\x00`. Returns NULL only when
 * @text is NULL.
 */
CRADLE_PUBLIC
char *cradle_text_escape (const char            *text,
                          gssize                 length,
                          CradleTextEscapeFlags  flags);

G_END_DECLS
