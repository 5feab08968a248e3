/* SPDX-License-Identifier: MIT */
/* A fuzz input read as a program: one byte at a time, 0 once it runs out. */
#ifndef UVDPA_FUZZ_PROG_H
#define UVDPA_FUZZ_PROG_H

#include <stddef.h>
#include <stdint.h>

struct prog {
	const uint8_t *p;
	size_t left;
};

static inline unsigned next(struct prog *g)
{
	if (!g->left)
		return 0;
	g->left--;
	return *g->p++;
}

#endif
