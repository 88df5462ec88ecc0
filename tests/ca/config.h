/* config.h: what every integration test includes first */
#pragma once

#include "cradle-build-config.h"
