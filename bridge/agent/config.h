/* config.h: what every file of the agent includes first */
#pragma once

#define CRADLE_COMPILATION
#include "cradle-build-config.h"
