/* SPDX-License-Identifier: MIT */
/*
 * Zero-copy buffer pool: fixed-size buffers carved at open time from one
 * DMA region the device sees (over vhost-user a piece of the sealed memfd
 * shared with the back end; in process a range of the device's map), handed
 * to the application to fill or read in place.
 *
 * Each buffer is free, held by the application, or lent to the device.
 * Every pointer the application gives back is checked against that state,
 * so a foreign pointer, a double release or the release of a buffer the
 * device still uses is an error, never a corrupted free list.
 *
 * Not thread-safe: the pool belongs to one struct uvdpa_net or uvdpa_blk
 * and follows its one-thread-at-a-time rule.
 */
#ifndef UVDPA_DRIVER_ZBUF_H
#define UVDPA_DRIVER_ZBUF_H

#include <stddef.h>
#include <stdint.h>

#include "driver/virtio_priv.h"

#define ZBUF_COUNT_MAX  65536u
#define ZBUF_SIZE_MAX   (1u << 20)

enum zbuf_state { ZBUF_FREE, ZBUF_APP, ZBUF_DEV };

struct zbuf_pool {
	struct vdma mem;
	size_t stride;          /* bytes per buffer, head included */
	size_t head;            /* bytes in front of the application's data */
	size_t size;            /* the application's bytes per buffer */
	unsigned count, nfree;
	uint32_t *free;         /* stack of free buffers */
	uint8_t *state;         /* enum zbuf_state per buffer */
};

/*
 * count buffers of size bytes, each with head bytes in front that the
 * driver keeps for itself (head a multiple of 64 keeps the data aligned).
 * count 0 leaves the pool empty (every get says -EOPNOTSUPP). 0, -EINVAL
 * (size 0 or above ZBUF_SIZE_MAX, count above ZBUF_COUNT_MAX), -ENOMEM or
 * the transport's -ENOSPC. The device learns of it at the next DMA sync.
 */
int zbuf_pool_init(struct uvdpa_virtio *v, struct zbuf_pool *p, unsigned count, size_t size,
		   size_t head);
/* Only once the device no longer uses the memory (after a reset). */
void zbuf_pool_fini(struct uvdpa_virtio *v, struct zbuf_pool *p);

/* A free buffer, now the application's: 0, -EOPNOTSUPP (no pool), -ENOBUFS. */
int zbuf_get(struct zbuf_pool *p, void **buf, size_t *cap);

/*
 * The buffer holding [ptr, ptr + len): its index, or -EINVAL if that range
 * is not inside the data of one buffer the application holds. exact: ptr
 * must also be the start of the data.
 */
int zbuf_find(const struct zbuf_pool *p, const void *ptr, size_t len, bool exact);

/* The application gives buf (a buffer start) back: 0, -EINVAL, or -EBUSY
 * while the device uses it. */
int zbuf_put(struct zbuf_pool *p, const void *buf);

/* Lends buffer i (held by the application) to the device, and back. */
void zbuf_lend(struct zbuf_pool *p, unsigned i);
void zbuf_return(struct zbuf_pool *p, unsigned i);
/* The device finished with buffer i: it is free again (net transmit). */
void zbuf_release(struct zbuf_pool *p, unsigned i);

static inline uint8_t *zbuf_host(const struct zbuf_pool *p, unsigned i)
{
	return (uint8_t *)p->mem.host + (size_t)i * p->stride;
}

static inline uint64_t zbuf_iova_of(const struct zbuf_pool *p, const void *host)
{
	return p->mem.iova + (uint64_t)((const uint8_t *)host - (const uint8_t *)p->mem.host);
}

/* Buffers not free (held or lent). */
static inline unsigned zbuf_busy(const struct zbuf_pool *p)
{
	return p->count - p->nfree;
}

#endif
