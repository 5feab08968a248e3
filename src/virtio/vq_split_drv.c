// SPDX-License-Identifier: MIT
/*
 * Split ring, driver side (virtio 1.2 §2.7.13): descriptors come from a free
 * list kept in private memory (the device never gets to corrupt it), chains
 * go into the avail ring, publish stores avail->idx once per batch.
 */
#include "vq_priv.h"

/*
 * Descriptors and avail entries are only stored when they change. The free
 * list is a queue, so a ring the device completes in order hands each
 * buffer the descriptor it had last time (a receive ring's fixed buffers,
 * the net driver's transmit slots): the same values at the same places.
 * Storing them again would take their lines out of the device's cache, and
 * the device's next read of each would miss.
 */
static inline void desc_put(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	if (d->addr == htole64(addr) && d->len == htole32(len) && d->flags == htole16(flags) &&
	    d->next == htole16(next))
		return;
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static inline void avail_put(struct uvdpa_vq_drv *vq, uint16_t head)
{
	__virtio16 *e = &vq->avail->ring[vq->avail_idx_shadow & (vq->num - 1)];

	if (load_once(e) != htole16(head))
		store_once(e, htole16(head));
	vq->avail_idx_shadow++;
	vq->added_since_kick++;
}

static void fill_desc(struct vring_desc *d, const struct uvdpa_vq_buf *b, bool more,
		      uint16_t next)
{
	desc_put(d, b->addr, b->len,
		 (b->write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0),
		 more ? next : 0);
}

/* table == NULL: direct chain of n descriptors; else one indirect descriptor */
int vq_split_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		     unsigned n, void *table, uint64_t table_iova, void *token)
{
	uint16_t head = vq->free_head, i = head, last = head;
	unsigned k, used = table ? 1 : n;

	if (table) {
		struct vring_desc *t = table;

		for (k = 0; k < n; k++)
			fill_desc(&t[k], &bufs[k], k + 1 < n, k + 1);
		desc_put(&vq->sdesc[head], table_iova, (uint32_t)(n * sizeof(*t)),
			 VRING_DESC_F_INDIRECT, 0);
		i = vq->next[head];
	} else {
		for (k = 0; k < n; k++) {
			last = i;
			fill_desc(&vq->sdesc[i], &bufs[k], k + 1 < n, vq->next[i]);
			i = vq->next[i];
		}
	}
	vq->free_head = i;
	vq->num_free -= used;
	vq->state[head].token = token;
	vq->state[head].ndesc = used;
	vq->state[head].last = last;
	drv_order_add(vq, head);
	avail_put(vq, head);
	return 0;
}

/* vq_split_drv_add of one direct buffer, without its loops. */
void vq_split_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			  void *token)
{
	uint16_t head = vq->free_head;

	desc_put(&vq->sdesc[head], addr, len, write ? VRING_DESC_F_WRITE : 0, 0);
	vq->free_head = vq->next[head];
	vq->num_free--;
	vq->state[head].token = token;
	vq->state[head].ndesc = 1;
	vq->state[head].last = head;
	drv_order_add(vq, head);
	avail_put(vq, head);
}

bool vq_split_drv_publish(struct uvdpa_vq_drv *vq)
{
	uint16_t new = vq->avail_idx_shadow, old = vq->kicked_avail;

	store_release(&vq->avail->idx, htole16(new));
	vq->kicked_avail = new;
	vq->added_since_kick = 0;
	/* the idx store must be visible before we read the device's wishes */
	full_fence();
	if (vq->event_idx)
		return vring_need_event(le16toh(load_once(split_avail_event(vq->used, vq->num))),
					new, old);
	return !(le16toh(load_once(&vq->used->flags)) & VRING_USED_F_NO_NOTIFY);
}

static bool split_more_used(const struct uvdpa_vq_drv *vq)
{
	return le16toh(load_acquire(&vq->used->idx)) != vq->last_used_idx;
}

/* The used entry at position last, known to be there: its token, its
 * chain's descriptors freed; NULL for an id the driver has not in flight,
 * which is ignored rather than allowed to corrupt the free list. The
 * caller moves last_used_idx (kept in a register over a burst). In order,
 * an entry may stand for a batch (the device writes the batch's last id
 * and moves the used index by the batch's size): the chains of a batch
 * come one per position, and only the first position is read. */
static inline __attribute__((always_inline)) void *split_take(struct uvdpa_vq_drv *vq,
							       uint16_t num, uint16_t last,
							       uint32_t *len)
{
	const struct vring_used_elem *e = &vq->used->ring[last & (num - 1)];
	uint32_t id;
	void *token;

	if (vq->in_order) {
		id = vq->in_batch ? 0 : le32toh(load_once(&e->id));
		id = drv_order_take(vq, id, vq->in_batch ? 0 : le32toh(load_once(&e->len)), len);
		if (id == UVDPA_VQ_NO_ID)
			return NULL;
	} else {
		id = le32toh(load_once(&e->id));
		if (id >= num || !vq->state[id].token)
			return NULL;
		if (len)
			*len = le32toh(load_once(&e->len));
	}
	token = vq->state[id].token;
	vq->state[id].token = NULL;
	/* to the tail: the queue order desc_put counts on */
	if (vq->num_free)
		vq->next[vq->free_tail] = (uint16_t)id;
	else
		vq->free_head = (uint16_t)id;
	vq->free_tail = vq->state[id].last;
	vq->num_free += vq->state[id].ndesc;
	return token;
}

void *vq_split_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len)
{
	uint16_t num = vq->num, last = vq->last_used_idx, idx;
	void *token;

	idx = le16toh(load_acquire(&vq->used->idx));
	if (idx == last) {
		if (!vq->event_idx || vq->cb_disabled)
			return NULL;
		/* about to go idle: ask for a notification at the next entry */
		store_once(split_used_event(vq->avail, num), htole16(last));
		full_fence();
		idx = le16toh(load_acquire(&vq->used->idx));
		if (idx == last)
			return NULL;
	}
	/* a device returning more than it got is ignored */
	if ((uint16_t)(idx - last) > num)
		return NULL;
	token = split_take(vq, num, last, len);
	if (!token)
		return NULL;
	vq->last_used_idx = ++last;
	if (vq->event_idx && !vq->cb_disabled)
		store_once(split_used_event(vq->avail, num), htole16(last));
	return token;
}

/* get_used's loop with the used index read once, and the used event
 * written once, for the whole burst. */
unsigned vq_split_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				     unsigned n)
{
	uint16_t num = vq->num, last = vq->last_used_idx;
	uint16_t ready = (uint16_t)(le16toh(load_acquire(&vq->used->idx)) - last);
	unsigned k;

	if (!ready || ready > num) {
		/* idle (the event is set by the single call), or a device
		 * returning more than it got: left to it */
		tok[0] = vq_split_drv_get_used(vq, &len[0]);
		return tok[0] ? 1 : 0;
	}
	if (n > ready)
		n = ready;
	for (k = 0; k < n; k++, last++) {
		tok[k] = split_take(vq, num, last, &len[k]);
		if (!tok[k])
			break;
	}
	vq->last_used_idx = last;
	if (k && vq->event_idx && !vq->cb_disabled)
		store_once(split_used_event(vq->avail, num), htole16(last));
	return k;
}

bool vq_split_drv_enable_cb(struct uvdpa_vq_drv *vq)
{
	if (vq->event_idx)
		store_once(split_used_event(vq->avail, vq->num), htole16(vq->last_used_idx));
	else
		store_once(&vq->avail->flags, htole16(0));
	full_fence();
	return split_more_used(vq);
}

void vq_split_drv_disable_cb(struct uvdpa_vq_drv *vq)
{
	/* event idx: an event just behind the used index is never crossed */
	if (vq->event_idx)
		store_once(split_used_event(vq->avail, vq->num), htole16(vq->last_used_idx - 1));
	else
		store_once(&vq->avail->flags, htole16(VRING_AVAIL_F_NO_INTERRUPT));
}
