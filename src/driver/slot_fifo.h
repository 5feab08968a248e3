/* SPDX-License-Identifier: MIT */
/*
 * The free buffer slots of a queue, taken oldest first. A ring the device
 * completes in order then gives each slot the descriptor it had the last
 * time, with the same contents, which the split ring's driver does not store
 * again (vq_split_drv.c): the device keeps those lines in its cache. A stack
 * would hand the slots out in reverse every other round.
 */
#ifndef UVDPA_DRIVER_SLOT_FIFO_H
#define UVDPA_DRIVER_SLOT_FIFO_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct slot_fifo {
	uint16_t *slot;
	unsigned cap, n, at;            /* n free ones from slot[at], wrapping */
};

/* Slots 0 to cap - 1, all free, 0 first. */
static inline int slot_fifo_init(struct slot_fifo *f, unsigned cap)
{
	unsigned i;

	f->slot = malloc(cap * sizeof(*f->slot));
	if (!f->slot)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		f->slot[i] = (uint16_t)i;
	f->cap = f->n = cap;
	f->at = 0;
	return 0;
}

static inline void slot_fifo_fini(struct slot_fifo *f)
{
	free(f->slot);
	f->slot = NULL;
}

/* The slot take would return; only when n > 0. */
static inline unsigned slot_fifo_peek(const struct slot_fifo *f)
{
	return f->slot[f->at];
}

/* The k-th slot take would return; only when k < n. */
static inline unsigned slot_fifo_ahead(const struct slot_fifo *f, unsigned k)
{
	unsigned at = f->at + k;

	return f->slot[at >= f->cap ? at - f->cap : at];
}

static inline unsigned slot_fifo_take(struct slot_fifo *f)
{
	unsigned s = f->slot[f->at];

	f->at = f->at + 1 == f->cap ? 0 : f->at + 1;
	f->n--;
	return s;
}

static inline void slot_fifo_put(struct slot_fifo *f, unsigned s)
{
	unsigned at = f->at + f->n;

	f->slot[at >= f->cap ? at - f->cap : at] = (uint16_t)s;
	f->n++;
}

#endif
