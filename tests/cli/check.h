/* SPDX-License-Identifier: MIT */
/* Tiny check helpers shared by the CLI unit tests: one line per check. */
#ifndef UVDPA_TESTS_CLI_CHECK_H
#define UVDPA_TESTS_CLI_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, ...) do {                                           \
	if (cond) {                                                     \
		printf("ok   ");                                        \
	} else {                                                        \
		printf("FAIL ");                                        \
		check_failures++;                                       \
	}                                                               \
	printf(__VA_ARGS__);                                            \
	printf("\n");                                                   \
} while (0)

/* Compares two strings and shows both when they differ. */
#define CHECK_STR(got, want, ...) do {                                  \
	const char *g_ = (got), *w_ = (want);                           \
	CHECK(strcmp(g_, w_) == 0, __VA_ARGS__);                        \
	if (strcmp(g_, w_))                                             \
		printf("---- want:\n%s---- got:\n%s----\n", w_, g_);   \
} while (0)

#endif
