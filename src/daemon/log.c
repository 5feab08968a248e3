// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

/* The daemon's only global: set once from the command line. */
static enum dlog_level log_level = DLOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void dlog_set_level(enum dlog_level level)
{
	log_level = level;
}

enum dlog_level dlog_get_level(void)
{
	return log_level;
}

int dlog_parse_level(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0 ||
		    (s[0] == (char)('0' + i) && s[1] == '\0'))
			return (int)i;
	return -1;
}

void dlog(enum dlog_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so concurrent writers do not interleave. */
	fprintf(stderr, "uvdpad: %s: %s\n", level_names[level], line);
}
