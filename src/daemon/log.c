// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Lines going to a file get a UTC timestamp: nothing else would date them.
 * A terminal, a pipe or journald's socket get none (journald stamps lines
 * itself). Decided at the first line: stderr does not change afterwards.
 */
static bool stderr_is_file(void)
{
	static int is_file = -1;
	struct stat st;

	if (is_file < 0)
		is_file = fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode);
	return is_file;
}

static void timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	buf[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
		return;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n)
		snprintf(buf + n, size - n, ".%03ldZ ", ts.tv_nsec / 1000000);
}

void dlog(enum dlog_level level, const char *fmt, ...)
{
	char line[1024], stamp[40] = "";
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (stderr_is_file())
		timestamp(stamp, sizeof(stamp));
	/* One write per line so concurrent writers do not interleave. */
	fprintf(stderr, "%suvdpad: %s: %s\n", stamp, level_names[level], line);
}
