/* config.h: what every file of libcradle includes first */
#pragma once

#define CRADLE_COMPILATION
#include "cradle-build-config.h"
