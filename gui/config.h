/* config.h: what every file of the app includes first */
#pragma once

#include "cradle-build-config.h"

#define GETTEXT_PACKAGE "cradle"
#define APPLICATION_ID  "org.cradle.Cradle"
