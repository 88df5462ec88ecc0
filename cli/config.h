/* config.h: what every file of cradlectl includes first */
#pragma once

#include "cradle-build-config.h"
