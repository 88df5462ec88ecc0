/* cradle.h: the umbrella header of libcradle */
#pragma once

#define CRADLE_INSIDE
#include <cradle/cradle-macros.h>
#include <cradle/cradle-error.h>
#include <cradle/cradle-explain.h>
#include <cradle/cradle-paths.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-pending-store.h>
#include <cradle/cradle-device.h>
#include <cradle/cradle-device-monitor.h>
#include <cradle/cradle-directory-user.h>
#include <cradle/cradle-directory.h>
#include <cradle/cradle-template.h>
#include <cradle/cradle-enrollment-service.h>
#include <cradle/cradle-request-policy.h>
#include <cradle/cradle-catalog.h>
#include <cradle/cradle-ca.h>
#include <cradle/cradle-ca-connector.h>
#include <cradle/cradle-enrollment-policy.h>
#include <cradle/cradle-wstep-connector.h>
#include <cradle/cradle-credentials.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-enrollment.h>
#include <cradle/cradle-retriever.h>
#undef CRADLE_INSIDE
