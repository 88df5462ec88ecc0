/* cradle-type-draft-private.h: what the type store sets on a draft */
#pragma once

#include <cradle/cradle.h>

#include "policy/cradle-cert-type-private.h"

G_BEGIN_DECLS

/* The draft of a file the parser read (its "source" the file). */
CradleTypeDraft *_cradle_type_draft_new_from_settings (CradleCertTypeSettings *settings);

void _cradle_type_draft_set_source         (CradleTypeDraft *self,
                                            const char      *source);
void _cradle_type_draft_set_challenge_file (CradleTypeDraft *self,
                                            const char      *challenge_file);

/* Every problem of the draft as one CRADLE_ERROR_INVALID_DATA. */
gboolean _cradle_type_draft_check          (CradleTypeDraft  *self,
                                            GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
