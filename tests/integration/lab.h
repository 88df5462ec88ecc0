/* lab.h: what an integration test needs from the running lab */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CradleTestLab CradleTestLab;

CradleTestLab *cradle_test_lab_get       (void);
const char    *cradle_test_lab_skip_reason (void);
const char    *cradle_test_lab_env       (CradleTestLab *lab,
                                          const char    *name);
const char    *cradle_test_lab_dir       (CradleTestLab *lab);
char          *cradle_test_lab_kinit     (CradleTestLab *lab,
                                          const char    *user);
char          *cradle_test_lab_dup_json_path (CradleTestLab *lab);
void           cradle_test_lab_cleanup   (void);

G_END_DECLS
