/* config.h: what every file of libcradle includes first (bridge) */
#pragma once

#define CRADLE_COMPILATION
#include "cradle-build-config.h"
