// SPDX-License-Identifier: MIT
/*
 * Packed ring, driver side (virtio 1.2 §2.8.21): chains take consecutive
 * slots and a buffer id from a private free list. The first chain of a
 * batch gets its head flags at publish, so the device sees the batch at once.
 */
#include "vq_priv.h"

static void fill_pdesc(struct vring_packed_desc *d, uint64_t addr, uint32_t len, uint16_t id)
{
	store_once(&d->addr, htole64(addr));
	store_once(&d->len, htole32(len));
	store_once(&d->id, htole16(id));
}

/* table == NULL: direct chain of n slots; else one indirect descriptor */
int vq_packed_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		      unsigned n, void *table, uint64_t table_iova, void *token)
{
	uint16_t id = vq->free_head, head = vq->avail_idx_shadow, i = head, last = head;
	uint16_t head_flags = 0, avail = packed_avail_flags(vq->avail_wrap);
	unsigned k, slots = table ? 1 : n;
	bool wrap = vq->avail_wrap;

	if (table) {
		struct vring_packed_desc *t = table;

		for (k = 0; k < n; k++) {
			t[k].addr = htole64(bufs[k].addr);
			t[k].len = htole32(bufs[k].len);
			t[k].id = 0;
			t[k].flags = htole16(bufs[k].write ? VRING_DESC_F_WRITE : 0);
		}
		fill_pdesc(&vq->pdesc[i], table_iova, n * sizeof(*t), id);
		head_flags = VRING_DESC_F_INDIRECT | avail;
		if (++i == vq->num) {
			i = 0;
			wrap = !wrap;
		}
	} else {
		for (k = 0; k < n; k++) {
			uint16_t flags = (bufs[k].write ? VRING_DESC_F_WRITE : 0) |
					 (k + 1 < n ? VRING_DESC_F_NEXT : 0) |
					 packed_avail_flags(wrap);

			fill_pdesc(&vq->pdesc[i], bufs[k].addr, bufs[k].len, id);
			if (k)
				store_once(&vq->pdesc[i].flags, htole16(flags));
			else
				head_flags = flags;
			last = i;
			if (++i == vq->num) {
				i = 0;
				wrap = !wrap;
			}
		}
	}
	vq->free_head = vq->next[id];
	vq->num_free -= slots;
	vq->state[id].token = token;
	vq->state[id].ndesc = slots;
	vq->state[id].last = last;
	drv_order_add(vq, id);
	/* the head's flags make the chain visible: they go after the rest */
	if (vq->added_since_kick)
		store_release(&vq->pdesc[head].flags, htole16(head_flags));
	else
		vq->batch_head_flags = head_flags;
	vq->avail_idx_shadow = i;
	vq->avail_wrap = wrap;
	vq->added_since_kick += slots;
	return 0;
}

/* vq_packed_drv_add of one direct buffer, without its loops. */
void vq_packed_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			   void *token)
{
	uint16_t id = vq->free_head, head = vq->avail_idx_shadow;
	uint16_t flags = (write ? VRING_DESC_F_WRITE : 0) | packed_avail_flags(vq->avail_wrap);

	fill_pdesc(&vq->pdesc[head], addr, len, id);
	vq->free_head = vq->next[id];
	vq->num_free--;
	vq->state[id].token = token;
	vq->state[id].ndesc = 1;
	vq->state[id].last = head;
	drv_order_add(vq, id);
	/* the head's flags make the chain visible: they go after the rest */
	if (vq->added_since_kick)
		store_release(&vq->pdesc[head].flags, htole16(flags));
	else
		vq->batch_head_flags = flags;
	if (++head == vq->num) {
		head = 0;
		vq->avail_wrap = !vq->avail_wrap;
	}
	vq->avail_idx_shadow = head;
	vq->added_since_kick++;
}

bool vq_packed_drv_publish(struct uvdpa_vq_drv *vq)
{
	uint16_t new = vq->avail_idx_shadow, old = new - vq->added_since_kick;
	uint16_t flags, off_wrap, off;

	store_release(&vq->pdesc[vq->kicked_avail].flags, htole16(vq->batch_head_flags));
	vq->kicked_avail = new;
	vq->added_since_kick = 0;
	full_fence();
	flags = le16toh(load_once(&vq->dev_event->flags));
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !vq->event_idx)
		return true;
	off_wrap = le16toh(load_once(&vq->dev_event->off_wrap));
	off = off_wrap & ~PACKED_WRAP_BIT;
	if (!!(off_wrap & PACKED_WRAP_BIT) != vq->avail_wrap)
		off -= vq->num;
	return vring_need_event(off, new, old);
}

/* In order, the rest of an open batch is used: its slots hold no used
 * descriptor of their own. */
static bool packed_more_used(const struct uvdpa_vq_drv *vq)
{
	uint16_t flags;

	if (vq->in_batch)
		return true;
	flags = le16toh(load_acquire(&vq->pdesc[vq->last_used_idx].flags));
	return packed_is_used(flags, vq->used_wrap);
}

static uint16_t used_off_wrap(const struct uvdpa_vq_drv *vq)
{
	return vq->last_used_idx | (vq->used_wrap ? PACKED_WRAP_BIT : 0);
}

/* The used descriptor at the driver's position, known to be used: its
 * token, its chain's descriptors freed; NULL (nothing moves) for an id the
 * driver has not in flight. In order, a used descriptor may stand for a
 * batch (the batch's last id, the ring moved on by all of the batch's
 * descriptors): its chains come out one per call. */
static inline __attribute__((always_inline)) void *packed_take(struct uvdpa_vq_drv *vq, uint32_t *len)
{
	const struct vring_packed_desc *d = &vq->pdesc[vq->last_used_idx];
	uint16_t id, ndesc;
	void *token;

	if (vq->in_order) {
		uint32_t t = vq->in_batch ? 0 : le16toh(load_once(&d->id));

		t = drv_order_take(vq, t, vq->in_batch ? 0 : le32toh(load_once(&d->len)), len);
		if (t == UVDPA_VQ_NO_ID)
			return NULL;
		id = (uint16_t)t;
	} else {
		id = le16toh(load_once(&d->id));
		if (id >= vq->num || !vq->state[id].token)
			return NULL;
		if (len)
			*len = le32toh(load_once(&d->len));
	}
	token = vq->state[id].token;
	ndesc = vq->state[id].ndesc;
	vq->state[id].token = NULL;
	vq->next[id] = vq->free_head;
	vq->free_head = id;
	vq->num_free += ndesc;
	vq->last_used_idx += ndesc;
	if (vq->last_used_idx >= vq->num) {
		vq->last_used_idx -= vq->num;
		vq->used_wrap = !vq->used_wrap;
	}
	return token;
}

void *vq_packed_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len)
{
	void *token;

	if (!packed_more_used(vq)) {
		if (!vq->event_idx || vq->cb_disabled)
			return NULL;
		/* about to go idle: ask for a notification at the next entry */
		store_once(&vq->drv_event->off_wrap, htole16(used_off_wrap(vq)));
		full_fence();
		if (!packed_more_used(vq))
			return NULL;
	}
	token = packed_take(vq, len);
	if (token && vq->event_idx && !vq->cb_disabled)
		store_once(&vq->drv_event->off_wrap, htole16(used_off_wrap(vq)));
	return token;
}

/* get_used's loop with the driver event written once for the burst. */
unsigned vq_packed_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				      unsigned n)
{
	unsigned k;

	if (!packed_more_used(vq)) {
		tok[0] = vq_packed_drv_get_used(vq, &len[0]);   /* sets the event if idle */
		return tok[0] ? 1 : 0;
	}
	for (k = 0; k < n && packed_more_used(vq); k++) {
		tok[k] = packed_take(vq, &len[k]);
		if (!tok[k])
			break;
	}
	if (k && vq->event_idx && !vq->cb_disabled)
		store_once(&vq->drv_event->off_wrap, htole16(used_off_wrap(vq)));
	return k;
}

bool vq_packed_drv_enable_cb(struct uvdpa_vq_drv *vq)
{
	if (vq->event_idx) {
		store_once(&vq->drv_event->off_wrap, htole16(used_off_wrap(vq)));
		store_release(&vq->drv_event->flags, htole16(VRING_PACKED_EVENT_FLAG_DESC));
	} else {
		store_release(&vq->drv_event->flags, htole16(VRING_PACKED_EVENT_FLAG_ENABLE));
	}
	full_fence();
	return packed_more_used(vq);
}

void vq_packed_drv_disable_cb(struct uvdpa_vq_drv *vq)
{
	store_once(&vq->drv_event->flags, htole16(VRING_PACKED_EVENT_FLAG_DISABLE));
}
