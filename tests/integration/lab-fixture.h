/* lab-fixture.h: the fixture the directory tests share: the lab, what it
 * says it loaded (lab.json), and a session opened as one of its users */
#pragma once

#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

#include "lab.h"

G_BEGIN_DECLS

typedef struct {
  CradleTestLab *lab;        /* NULL when the lab is not running */
  JsonParser    *parser;
  JsonObject    *manifest;   /* lab.json */
} CradleLabFixture;

void             cradle_lab_fixture_set_up    (CradleLabFixture *fixture,
                                               gconstpointer     data);
void             cradle_lab_fixture_tear_down (CradleLabFixture *fixture,
                                               gconstpointer     data);
/* An open directory session with @user's own fresh ticket. */
CradleDirectory *cradle_lab_fixture_open_as   (CradleLabFixture *fixture,
                                               const char       *user);

G_END_DECLS
