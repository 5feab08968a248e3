/* SPDX-License-Identifier: MIT */
/*
 * Shared internals of the virtqueue engine: memory ordering helpers, the
 * descriptor reader and the chain builder both ring formats use.
 *
 * Ordering: the other side of a ring is another thread or process, so every
 * load of an index/flags word that makes entries visible is an acquire, every
 * store that publishes entries is a release, and a full fence separates
 * "publish" from "read the other side's suppression state" (a store->load
 * ordering, as the kernel's virtio_mb()).
 */
#ifndef UVDPA_VIRTIO_VQ_PRIV_H
#define UVDPA_VIRTIO_VQ_PRIV_H

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "memmap.h"
#include "vq.h"

#define load_acquire(p)    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define load_once(p)       __atomic_load_n((p), __ATOMIC_RELAXED)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define store_once(p, v)   __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define full_fence()       __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define PACKED_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PACKED_USED  (1u << VRING_PACKED_DESC_F_USED)
#define PACKED_WRAP_BIT (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

/* Ring flags a driver writes to make a packed descriptor available. */
static inline uint16_t packed_avail_flags(bool wrap)
{
	return wrap ? PACKED_AVAIL : PACKED_USED;
}

/* Ring flags a device writes to mark a packed descriptor used. */
static inline uint16_t packed_used_flags(bool wrap)
{
	return wrap ? (PACKED_AVAIL | PACKED_USED) : 0;
}

/*
 * Starts the miss on the buffer of a descriptor the device will pop soon.
 * Only a hint: an address outside the region of the last buffer (a search
 * costs more than the miss it could save) is simply not prefetched. A
 * buffer the device fills is fetched for writing, so its line comes from
 * the driver's CPU once; an indirect table is read next and the driver may
 * still write that line, so it is only read, as other buffers.
 */
static inline void prefetch_buffer(const struct uvdpa_map_region *r, uint64_t addr,
				   uint16_t flags)
{
	const void *p;

	if (!r || !region_has(r, addr))
		return;
	p = (const char *)r->host + (addr - r->iova);
	if ((flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) == VRING_DESC_F_WRITE)
		__builtin_prefetch(p, 1);
	else
		__builtin_prefetch(p, 0);
}

static inline bool packed_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PACKED_AVAIL) == wrap && !!(flags & PACKED_USED) != wrap;
}

static inline bool packed_is_used(uint16_t flags, bool wrap)
{
	return !!(flags & PACKED_AVAIL) == wrap && !!(flags & PACKED_USED) == wrap;
}

/* Driver, VIRTIO_F_IN_ORDER: chain id joins those in flight as the newest. */
static inline void drv_order_add(struct uvdpa_vq_drv *vq, uint16_t id)
{
	if (!vq->in_order)
		return;
	if (vq->oldest == UVDPA_VQ_NO_ID)
		vq->oldest = id;
	else
		vq->state[vq->newest].after = id;
	vq->newest = id;
}

/* Driver, in order: the open batch's next chain, the oldest in flight, taken
 * off the order; *len is the entry's length for the batch's last chain and
 * 0 for the others (the device wrote nothing into those). */
static inline uint16_t drv_batch_next(struct uvdpa_vq_drv *vq, uint32_t *len)
{
	uint16_t id = vq->oldest;
	uint32_t l = 0;

	if (id == vq->batch_last) {
		vq->in_batch = false;
		l = vq->batch_len;
	}
	if (len)
		*len = l;
	vq->oldest = uvdpa_vq_drv_order_after(vq, id);
	return id;
}

/* Driver, in order: the used entry (id, len) at the driver's position
 * stands for every chain in flight up to id; false (nothing moves) for an
 * id the driver has not in flight. */
static inline bool drv_batch_open(struct uvdpa_vq_drv *vq, uint32_t id, uint32_t len)
{
	if (id >= vq->num || !vq->state[id].token || vq->oldest == UVDPA_VQ_NO_ID)
		return false;
	vq->batch_last = (uint16_t)id;
	vq->batch_len = len;
	vq->in_batch = true;
	return true;
}

/* Driver, in order: the id of the chain a used entry (id, len) hands back
 * first, with *len; UVDPA_VQ_NO_ID (nothing moves) for an id not in
 * flight. An entry for the oldest chain (no batch: a device that writes
 * every entry) takes the short way. */
static inline uint32_t drv_order_take(struct uvdpa_vq_drv *vq, uint32_t id, uint32_t elen,
				      uint32_t *len)
{
	if (vq->in_batch)
		return drv_batch_next(vq, len);
	if (id == vq->oldest && id != UVDPA_VQ_NO_ID) {
		if (len)
			*len = elen;
		vq->oldest = uvdpa_vq_drv_order_after(vq, id);
		return id;
	}
	if (!drv_batch_open(vq, id, elen))
		return UVDPA_VQ_NO_ID;
	return drv_batch_next(vq, len);
}

/* split: used_event lives after the avail ring, avail_event after the used ring */
static inline uint16_t *split_used_event(struct vring_avail *avail, uint16_t num)
{
	return (uint16_t *)&avail->ring[num];
}

static inline uint16_t *split_avail_event(struct vring_used *used, uint16_t num)
{
	return (uint16_t *)&used->ring[num];
}

/* A descriptor as the device saw it: read once, then only the copy is used,
 * so a driver rewriting the ring meanwhile cannot slip past the checks. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;   /* split: next index; packed: buffer id */
};

/* Indirect tables may be misaligned (nothing in the spec forbids it), hence
 * memcpy; both formats are 16 bytes with addr and len first. */
static inline void desc_read_split(const struct vring_desc *p, struct desc *d)
{
	struct vring_desc v;

	__builtin_memcpy(&v, (const void *)p, sizeof(v));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(v.addr);
	d->len = le32toh(v.len);
	d->flags = le16toh(v.flags);
	d->next = le16toh(v.next);
}

static inline void desc_read_packed(const struct vring_packed_desc *p, struct desc *d)
{
	struct vring_packed_desc v;

	__builtin_memcpy(&v, (const void *)p, sizeof(v));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(v.addr);
	d->len = le32toh(v.len);
	d->flags = le16toh(v.flags);
	d->next = le16toh(v.id);
}

/* Builds a struct uvdpa_chain segment by segment. */
struct chain_walk {
	struct uvdpa_chain *c;
	const struct uvdpa_memmap *map;
	const struct uvdpa_map_region *hint;   /* last region hit */
	uint64_t out_len, in_len;
	uint32_t n_out, n_in;                  /* segments seen, stored or not */
	uint32_t count;                        /* buffer descriptors seen */
	bool writing;                          /* a writable descriptor was seen */
};

static inline void walk_start(struct chain_walk *w, struct uvdpa_chain *c,
			      const struct uvdpa_memmap *map)
{
	w->c = c;
	w->map = map;
	w->hint = NULL;
	w->out_len = w->in_len = 0;
	w->n_out = w->n_in = 0;
	w->count = 0;
	w->writing = false;
}

/*
 * Adds one descriptor's buffer: each byte must be mapped with the access the
 * direction needs; a buffer crossing from one region into the adjacent one
 * becomes one segment per region. 0 or -EIO (violation).
 */
/* Starts from the queue's last region rather than a search. */
static inline void walk_start_vq(struct chain_walk *w, struct uvdpa_chain *c,
				 const struct uvdpa_vq_dev *vq)
{
	walk_start(w, c, vq->map);
	w->hint = vq->hint;
}

static inline void walk_end_vq(const struct chain_walk *w, struct uvdpa_vq_dev *vq)
{
	if (w->hint)
		vq->hint = w->hint;
}

/*
 * The common chain, one descriptor whose buffer lies in the queue's last
 * region with the access it needs, built without a walk: 1, or 0 when the
 * general walk must decide (anything else, checks included).
 */
static inline int chain_one(const struct uvdpa_vq_dev *vq, const struct desc *d,
			    struct uvdpa_chain *c)
{
	const struct uvdpa_map_region *r = vq->hint;
	bool write = d->flags & VRING_DESC_F_WRITE;
	uint32_t perm = write ? UVDPA_MAP_WRITE : UVDPA_MAP_READ;
	uint64_t off;

	if (!r || !d->len || !c->iov_cap || !region_has(r, d->addr) ||
	    (r->perm & perm) != perm)
		return 0;
	off = d->addr - r->iova;
	if (d->len > r->size - off)
		return 0;
	c->iov[0].iov_base = (char *)r->host + off;
	c->iov[0].iov_len = d->len;
	c->n_out = !write;
	c->n_in = write;
	c->out_len = write ? 0 : d->len;
	c->in_len = write ? d->len : 0;
	return 1;
}

static inline int walk_add(struct chain_walk *w, uint64_t addr, uint32_t len, bool write)
{
	uint32_t perm = write ? UVDPA_MAP_WRITE : UVDPA_MAP_READ;
	struct uvdpa_chain *c = w->c;

	if (write)
		w->writing = true;
	else if (w->writing)
		return -EIO;
	if (!len)
		return 0;
	if (addr + (len - 1) < addr)
		return -EIO;
	if (write)
		w->in_len += len;
	else
		w->out_len += len;
	do {
		const struct uvdpa_map_region *r = w->hint;
		uint32_t n = w->n_out + w->n_in;
		uint64_t off, seg;

		if (!r || !region_has(r, addr)) {
			r = memmap_find(w->map, addr);
			if (!r)
				return -EIO;
			w->hint = r;
		}
		if ((r->perm & perm) != perm)
			return -EIO;
		off = addr - r->iova;
		seg = r->size - off;
		if (seg > len)
			seg = len;
		if (n < c->iov_cap) {
			c->iov[n].iov_base = (char *)r->host + off;
			c->iov[n].iov_len = seg;
		}
		if (write)
			w->n_in++;
		else
			w->n_out++;
		addr += seg;
		len -= seg;
	} while (len);
	return 0;
}

/* An indirect table, found in the walk's last region when it lies there
 * whole and readable (no search), else through the map: NULL if it is not
 * one readable run of mapped memory. */
static inline const void *walk_table(const struct chain_walk *w, uint64_t addr, uint32_t len)
{
	const struct uvdpa_map_region *r = w->hint;
	uint64_t off;

	if (!r || !region_has(r, addr) || !(r->perm & UVDPA_MAP_READ))
		return uvdpa_memmap_translate(w->map, addr, len, UVDPA_MAP_READ);
	off = addr - r->iova;
	if (len > r->size - off)
		return NULL;
	return (const char *)r->host + off;
}

/*
 * 1; -E2BIG when the segments or totals do not fit the chain; -EIO for a
 * chain that carries no byte at all: no device has a use for one, and
 * accepting it would let a driver spin the device on empty work.
 */
static inline int walk_finish(struct chain_walk *w)
{
	struct uvdpa_chain *c = w->c;
	bool big;

	if (!w->out_len && !w->in_len)
		return -EIO;
	big = w->n_out + w->n_in > c->iov_cap ||
		   w->out_len > UINT32_MAX || w->in_len > UINT32_MAX;

	c->n_out = w->n_out < c->iov_cap ? w->n_out : c->iov_cap;
	c->n_in = w->n_in < c->iov_cap - c->n_out ? w->n_in : c->iov_cap - c->n_out;
	c->out_len = w->out_len > UINT32_MAX ? UINT32_MAX : (uint32_t)w->out_len;
	c->in_len = w->in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)w->in_len;
	return big ? -E2BIG : 1;
}

static inline int vq_violation(struct uvdpa_vq_dev *vq)
{
	vq->broken = true;
	return -EIO;
}

/* Chain walkers the inflight code shares (resubmission). */
int vq_split_walk(struct uvdpa_vq_dev *vq, uint16_t head, struct uvdpa_chain *c);
int vq_packed_indirect(struct uvdpa_vq_dev *vq, struct chain_walk *w, const struct desc *d);

/* Inflight tracking (vq_inflight.c): the device entry points divert here
 * only while an area is attached, so a queue without one pays one branch. */
int vq_inflight_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c);
void vq_inflight_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c);
bool vq_inflight_flush(struct uvdpa_vq_dev *vq);
/* Undoes the area's part of a pop; false if the ring's index must not move. */
bool vq_inflight_unpop(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c);

#define unlikely(x) __builtin_expect(!!(x), 0)

/* Per-format halves of the public device functions. */
int vq_split_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c);
unsigned vq_split_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			    unsigned n);
void vq_split_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, unsigned n,
			 uint32_t written);
bool vq_split_has_avail(const struct uvdpa_vq_dev *vq);
void vq_split_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written);
bool vq_split_flush(struct uvdpa_vq_dev *vq);
bool vq_split_enable_kicks(struct uvdpa_vq_dev *vq);
void vq_split_disable_kicks(struct uvdpa_vq_dev *vq);

int vq_packed_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c);
unsigned vq_packed_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			     unsigned n);
void vq_packed_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, unsigned n,
			  uint32_t written);
bool vq_packed_has_avail(const struct uvdpa_vq_dev *vq);
void vq_packed_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written);
bool vq_packed_flush(struct uvdpa_vq_dev *vq);
bool vq_packed_enable_kicks(struct uvdpa_vq_dev *vq);
void vq_packed_disable_kicks(struct uvdpa_vq_dev *vq);

/* Driver side halves. */
int vq_split_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		     unsigned n, void *table, uint64_t table_iova, void *token);
void vq_split_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			  void *token);
bool vq_split_drv_publish(struct uvdpa_vq_drv *vq);
void *vq_split_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len);
unsigned vq_split_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				     unsigned n);
bool vq_split_drv_enable_cb(struct uvdpa_vq_drv *vq);
void vq_split_drv_disable_cb(struct uvdpa_vq_drv *vq);

int vq_packed_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		      unsigned n, void *table, uint64_t table_iova, void *token);
void vq_packed_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			   void *token);
bool vq_packed_drv_publish(struct uvdpa_vq_drv *vq);
void *vq_packed_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len);
unsigned vq_packed_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				      unsigned n);
bool vq_packed_drv_enable_cb(struct uvdpa_vq_drv *vq);
void vq_packed_drv_disable_cb(struct uvdpa_vq_drv *vq);

bool vq_num_valid(uint32_t num, bool packed);

#endif
