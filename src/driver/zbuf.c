// SPDX-License-Identifier: MIT
/* Zero-copy buffer pool (see zbuf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/zbuf.h"

#define ZBUF_ALIGN 64

int zbuf_pool_init(struct uvdpa_virtio *v, struct zbuf_pool *p, unsigned count, size_t size,
		   size_t head)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	if (!count)
		return 0;
	if (!size || size > ZBUF_SIZE_MAX || count > ZBUF_COUNT_MAX)
		return -EINVAL;
	p->head = head;
	p->size = size;
	p->stride = (head + size + ZBUF_ALIGN - 1) & ~(size_t)(ZBUF_ALIGN - 1);
	p->free = malloc(count * sizeof(*p->free));
	p->state = calloc(count, 1);
	if (!p->free || !p->state) {
		zbuf_pool_fini(v, p);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++)
		p->free[i] = count - 1 - i;
	p->count = p->nfree = count;
	return vdrv_dma_alloc(v, (size_t)count * p->stride, &p->mem);
}

void zbuf_pool_fini(struct uvdpa_virtio *v, struct zbuf_pool *p)
{
	vdrv_dma_free(v, &p->mem);
	free(p->free);
	free(p->state);
	memset(p, 0, sizeof(*p));
}

int zbuf_get(struct zbuf_pool *p, void **buf, size_t *cap)
{
	unsigned i;

	if (!p->count)
		return -EOPNOTSUPP;
	if (!p->nfree)
		return -ENOBUFS;
	i = p->free[--p->nfree];
	p->state[i] = ZBUF_APP;
	*buf = zbuf_host(p, i) + p->head;
	if (cap)
		*cap = p->size;
	return 0;
}

int zbuf_find(const struct zbuf_pool *p, const void *ptr, size_t len, bool exact)
{
	uintptr_t base = (uintptr_t)p->mem.host, at = (uintptr_t)ptr;
	size_t off, in;
	unsigned i;

	/* Compared as integers: ptr may come from anywhere. */
	if (!p->count || at < base || at - base >= (size_t)p->count * p->stride)
		return -EINVAL;
	off = at - base;
	i = (unsigned)(off / p->stride);
	in = off % p->stride;
	if (in < p->head || (exact && in != p->head) || len > p->size - (in - p->head))
		return -EINVAL;
	if (p->state[i] != ZBUF_APP)
		return -EINVAL;
	return (int)i;
}

int zbuf_put(struct zbuf_pool *p, const void *buf)
{
	uintptr_t base = (uintptr_t)p->mem.host, at = (uintptr_t)buf;
	unsigned i;

	if (!p->count || at < base || at - base >= (size_t)p->count * p->stride ||
	    (at - base) % p->stride != p->head)
		return -EINVAL;
	i = (unsigned)((at - base) / p->stride);
	if (p->state[i] == ZBUF_DEV)
		return -EBUSY;
	if (p->state[i] != ZBUF_APP)
		return -EINVAL;         /* already free: a double release */
	zbuf_release(p, i);
	return 0;
}

void zbuf_lend(struct zbuf_pool *p, unsigned i)
{
	p->state[i] = ZBUF_DEV;
}

void zbuf_return(struct zbuf_pool *p, unsigned i)
{
	p->state[i] = ZBUF_APP;
}

void zbuf_release(struct zbuf_pool *p, unsigned i)
{
	p->state[i] = ZBUF_FREE;
	p->free[p->nfree++] = i;
}
