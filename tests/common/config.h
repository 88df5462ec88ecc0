/* config.h: what every shared test helper includes first */
#pragma once

#include "cradle-build-config.h"
