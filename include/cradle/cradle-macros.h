/* cradle-macros.h: symbol visibility for libcradle's public API */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

/* libcradle is built with hidden visibility; only what is marked here is ABI. */
#define CRADLE_PUBLIC __attribute__ ((visibility ("default")))
