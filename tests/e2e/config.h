/* config.h: what every end-to-end test includes first */
#pragma once

#include "cradle-build-config.h"
