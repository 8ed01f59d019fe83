// SPDX-License-Identifier: GPL-2.0
/*
 * The one object that instantiates modkvm's trace events (modkvm_trace.h);
 * every other file includes the header to call them.
 */
#define CREATE_TRACE_POINTS
#include "modkvm_trace.h"
