// SPDX-License-Identifier: MIT
/*
 * Packed ring, device side (virtio 1.2 §2.8): chains are runs of ring slots
 * the driver marks available with its wrap counter; the device overwrites
 * them with one used descriptor per chain and skips the rest of the chain.
 */
#include "vq_priv.h"

/* The indirect descriptor is a chain's last; its table is read in order. */
int vq_packed_indirect(struct uvdpa_vq_dev *vq, struct chain_walk *w, const struct desc *d)
{
	const struct vring_packed_desc *tab;
	uint32_t n, k;

	if (!vq->l.indirect || (d->flags & VRING_DESC_F_NEXT) ||
	    !d->len || d->len % sizeof(*tab))
		return -EIO;
	n = d->len / sizeof(*tab);
	if (n > vq->l.num - w->count)
		return -EIO;
	tab = walk_table(w, d->addr, d->len);
	if (!tab)
		return -EIO;
	for (k = 0; k < n; k++) {
		struct desc e;

		desc_read_packed(&tab[k], &e);
		if (e.flags & VRING_DESC_F_INDIRECT)
			return -EIO;
		w->count++;
		if (walk_add(w, e.addr, e.len, e.flags & VRING_DESC_F_WRITE))
			return -EIO;
	}
	return 0;
}

/* How far ahead of the chain being popped its buffer is prefetched. */
#define PACKED_PREFETCH_DATA 2

/*
 * Starts the miss on the buffer of the chain PACKED_PREFETCH_DATA slots
 * ahead, as the split ring does. Only a slot the driver has made available
 * is looked at: its contents are final.
 */
static inline void packed_prefetch_data(const struct uvdpa_vq_dev *vq, uint16_t i, bool wrap)
{
	const struct vring_packed_desc *d;
	uint16_t flags;

	if (vq->l.num <= PACKED_PREFETCH_DATA)
		return;   /* the slot ahead would wrap more than once */
	i += PACKED_PREFETCH_DATA;
	if (i >= vq->l.num) {
		i -= vq->l.num;
		wrap = !wrap;
	}
	d = &vq->pdesc[i];
	flags = le16toh(load_acquire(&d->flags));
	if (packed_is_avail(flags, wrap))
		prefetch_buffer(vq->hint, le64toh(load_once(&d->addr)), flags);
}

int vq_packed_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	uint16_t num = vq->l.num, i = vq->last_avail_idx, flags;
	bool wrap = vq->avail_wrap;
	struct chain_walk w;
	uint32_t ndesc = 0;
	struct desc d;
	int ret;

	flags = le16toh(load_acquire(&vq->pdesc[i].flags));
	if (!packed_is_avail(flags, wrap))
		return 0;
	desc_read_packed(&vq->pdesc[i], &d);
	d.flags = flags;
	packed_prefetch_data(vq, i, wrap);
	if (!(flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) && chain_one(vq, &d, c)) {
		c->id = d.next;
		c->ndesc = 1;
		if (++i == num) {
			i = 0;
			wrap = !wrap;
		}
		vq->last_avail_idx = i;
		vq->avail_wrap = wrap;
		return 1;
	}
	walk_start_vq(&w, c, vq);
	for (;;) {
		/* the head's flags were read above with acquire; the others
		 * were written before it, so a plain read sees them */
		desc_read_packed(&vq->pdesc[i], &d);
		if (!ndesc)
			d.flags = flags;
		if (++ndesc > num)
			return vq_violation(vq);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (vq_packed_indirect(vq, &w, &d))
				return vq_violation(vq);
		} else {
			if (++w.count > num)
				return vq_violation(vq);
			if (walk_add(&w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE))
				return vq_violation(vq);
		}
		if (++i == num) {
			i = 0;
			wrap = !wrap;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
	}
	walk_end_vq(&w, vq);
	ret = walk_finish(&w);
	if (ret == -EIO)
		return vq_violation(vq);
	/* the buffer id is in the chain's last descriptor (§2.8.6) */
	c->id = d.next;
	c->ndesc = ndesc;
	vq->last_avail_idx = i;
	vq->avail_wrap = wrap;
	return ret;
}

/* Each chain's head flags are its own availability: no index to read once. */
unsigned vq_packed_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			     unsigned n)
{
	unsigned k;
	int r;

	for (k = 0; k < n; k++) {
		r = vq_packed_pop(vq, &c[k]);
		if (r != 1 && r != -E2BIG)
			break;
		res[k] = r;
	}
	return k;
}

bool vq_packed_has_avail(const struct uvdpa_vq_dev *vq)
{
	uint16_t flags = le16toh(load_acquire(&vq->pdesc[vq->last_avail_idx].flags));

	return packed_is_avail(flags, vq->avail_wrap);
}

void vq_packed_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written)
{
	uint16_t i = vq->used_idx, flags = packed_used_flags(vq->used_wrap);
	struct vring_packed_desc *d = &vq->pdesc[i];

	store_once(&d->id, htole16(c->id));
	store_once(&d->len, htole32(written));
	if (!vq->pending) {
		/* the batch head's flags go last, so the driver sees all or none */
		vq->batch_head_idx = i;
		vq->batch_head_flags = flags;
		vq->batch_head_pending = true;
	} else {
		store_release(&d->flags, htole16(flags));
	}
	vq->used_idx += c->ndesc;
	if (vq->used_idx >= vq->l.num) {
		vq->used_idx -= vq->l.num;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->pending++;
}

void vq_packed_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, unsigned n,
			  uint32_t written)
{
	struct uvdpa_chain batch;
	unsigned k;

	if (vq->l.in_order && !written && n > 1) {
		/*
		 * In order, one used descriptor with the last buffer's id
		 * covers the batch (the spec's in-order use of descriptors):
		 * the driver frees every buffer up to it and needs no lengths,
		 * as nothing was written. The driver's CPU keeps the lines of
		 * the other slots, which it is about to fill with new buffers.
		 */
		batch.id = c[n - 1].id;
		batch.ndesc = 0;
		for (k = 0; k < n; k++)
			batch.ndesc += c[k].ndesc;
		vq_packed_push(vq, &batch, 0);
		return;
	}
	for (k = 0; k < n; k++)
		vq_packed_push(vq, &c[k], written);
}

bool vq_packed_flush(struct uvdpa_vq_dev *vq)
{
	uint16_t num = vq->l.num, new = vq->used_idx, old = vq->signalled_used;
	bool valid = vq->signalled_used_valid;
	uint16_t flags, off_wrap, off;

	if (!vq->pending)
		return false;
	vq->pending = 0;
	if (vq->batch_head_pending) {
		store_release(&vq->pdesc[vq->batch_head_idx].flags, htole16(vq->batch_head_flags));
		vq->batch_head_pending = false;
	}
	full_fence();
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	flags = le16toh(load_once(&vq->drv_event->flags));
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->l.event_idx || !valid)
		return true;
	/* ring indices: move the previous lap's positions below 0 */
	off_wrap = le16toh(load_once(&vq->drv_event->off_wrap));
	off = off_wrap & ~PACKED_WRAP_BIT;
	if (new <= old)
		old -= num;
	if (!!(off_wrap & PACKED_WRAP_BIT) != vq->used_wrap)
		off -= num;
	return vring_need_event(off, new, old);
}

bool vq_packed_enable_kicks(struct uvdpa_vq_dev *vq)
{
	if (vq->l.event_idx) {
		uint16_t off_wrap = vq->last_avail_idx | (vq->avail_wrap ? PACKED_WRAP_BIT : 0);

		store_once(&vq->dev_event->off_wrap, htole16(off_wrap));
		store_release(&vq->dev_event->flags, htole16(VRING_PACKED_EVENT_FLAG_DESC));
	} else {
		store_release(&vq->dev_event->flags, htole16(VRING_PACKED_EVENT_FLAG_ENABLE));
	}
	full_fence();
	return vq_packed_has_avail(vq);
}

void vq_packed_disable_kicks(struct uvdpa_vq_dev *vq)
{
	store_once(&vq->dev_event->flags, htole16(VRING_PACKED_EVENT_FLAG_DISABLE));
}
