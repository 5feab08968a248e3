/* SPDX-License-Identifier: MIT */
/* uvdpad's log: one line per event on stderr, filtered by level. */
#ifndef UVDPAD_LOG_H
#define UVDPAD_LOG_H

enum dlog_level {
	DLOG_ERROR,
	DLOG_WARN,
	DLOG_INFO,
	DLOG_DEBUG,
};

void dlog_set_level(enum dlog_level level);
enum dlog_level dlog_get_level(void);
/* "error", "warn", "info", "debug" or 0-3; -1 if neither. */
int dlog_parse_level(const char *s);
void dlog(enum dlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
