// SPDX-License-Identifier: MIT
/*
 * Split ring, device side (virtio 1.2 §2.7): take chains from the avail
 * ring, return them through the used ring, and decide notifications in both
 * directions (flags, or event idx when negotiated).
 */
#include "vq_priv.h"

/* The general walk, out of line so the common chain pays no stack frame
 * for it; see vq.h for what is refused. */
static __attribute__((noinline)) int split_walk_all(struct uvdpa_vq_dev *vq, uint16_t head,
						     struct uvdpa_chain *c)
{
	const struct vring_desc *tab = vq->sdesc;
	uint32_t tab_n = vq->l.num, num = vq->l.num;
	bool in_indirect = false;
	struct chain_walk w;
	uint32_t i = head;

	walk_start_vq(&w, c, vq);
	for (;;) {
		struct desc d;

		desc_read_split(&tab[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* one table, as the whole chain's tail (§2.7.5.3.1) */
			if (in_indirect || !vq->l.indirect || (d.flags & VRING_DESC_F_NEXT) ||
			    !d.len || d.len % sizeof(struct vring_desc))
				return -EIO;
			tab = walk_table(&w, d.addr, d.len);
			if (!tab)
				return -EIO;
			tab_n = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			i = 0;
			continue;
		}
		/* bounds every walk, so loops end here too */
		if (++w.count > num)
			return -EIO;
		if (walk_add(&w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= tab_n)
			return -EIO;
	}
	c->id = head;
	c->ndesc = 1;
	walk_end_vq(&w, vq);
	return walk_finish(&w);
}

/* Follows a chain from head. */
int vq_split_walk(struct uvdpa_vq_dev *vq, uint16_t head, struct uvdpa_chain *c)
{
	struct desc d;

	desc_read_split(&vq->sdesc[head], &d);
	if (!(d.flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) && chain_one(vq, &d, c)) {
		c->id = head;
		c->ndesc = 1;
		return 1;
	}
	return split_walk_all(vq, head, c);
}

/*
 * The driver wrote the descriptors and buffers on another CPU, so the first
 * read of each is a cache miss. Asking for them before they are needed lets
 * the misses overlap instead of queueing one after the other: the head
 * descriptors of every newly published chain at once, and the first buffer
 * of the chain after next (its descriptor is in cache by then).
 */
#define SPLIT_PREFETCH_BATCH 32
#define SPLIT_PREFETCH_DATA   2

static void split_prefetch_descs(const struct uvdpa_vq_dev *vq, uint16_t from, uint16_t to)
{
	uint16_t n = to - from, mask = vq->l.num - 1, i;

	if (n > SPLIT_PREFETCH_BATCH)
		n = SPLIT_PREFETCH_BATCH;
	for (i = 0; i < n; i++) {
		uint16_t head = le16toh(load_once(&vq->avail->ring[(uint16_t)(from + i) & mask]));

		if (head <= mask)
			__builtin_prefetch(&vq->sdesc[head]);
	}
}

static inline void split_prefetch_data(const struct uvdpa_vq_dev *vq)
{
	uint16_t ahead = vq->last_avail_idx + SPLIT_PREFETCH_DATA, head;
	const struct vring_desc *d;

	if ((uint16_t)(vq->shadow_avail_idx - ahead - 1) >= vq->l.num)
		return;   /* not published yet: the entry may still change */
	head = le16toh(load_once(&vq->avail->ring[ahead & (vq->l.num - 1)]));
	if (head >= vq->l.num)
		return;
	d = &vq->sdesc[head];
	prefetch_buffer(vq->hint, le64toh(load_once(&d->addr)), le16toh(load_once(&d->flags)));
}

int vq_split_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	uint16_t num = vq->l.num, head;
	int ret;

	if (vq->shadow_avail_idx == vq->last_avail_idx) {
		uint16_t idx = le16toh(load_acquire(&vq->avail->idx));

		if ((uint16_t)(idx - vq->last_avail_idx) > num)
			return vq_violation(vq);
		vq->shadow_avail_idx = idx;
		if (idx == vq->last_avail_idx)
			return 0;
		split_prefetch_descs(vq, vq->last_avail_idx, idx);
	}
	head = le16toh(load_once(&vq->avail->ring[vq->last_avail_idx & (num - 1)]));
	if (head >= num)
		return vq_violation(vq);
	split_prefetch_data(vq);
	ret = vq_split_walk(vq, head, c);
	if (ret == -EIO)
		return vq_violation(vq);
	vq->last_avail_idx++;
	return ret;
}

/* pop's loop with the avail index read once, when fewer than n are known. */
unsigned vq_split_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			    unsigned n)
{
	uint16_t num = vq->l.num, mask = num - 1, head;
	unsigned k, ready = (uint16_t)(vq->shadow_avail_idx - vq->last_avail_idx);
	int ret;

	if (ready < n) {
		uint16_t idx = le16toh(load_acquire(&vq->avail->idx));

		if ((uint16_t)(idx - vq->last_avail_idx) > num) {
			vq_violation(vq);
			return 0;
		}
		if (idx != vq->shadow_avail_idx)
			split_prefetch_descs(vq, vq->shadow_avail_idx, idx);
		vq->shadow_avail_idx = idx;
		ready = (uint16_t)(idx - vq->last_avail_idx);
		if (ready < n)
			n = ready;
	}
	for (k = 0; k < n; k++) {
		head = le16toh(load_once(&vq->avail->ring[vq->last_avail_idx & mask]));
		if (head >= num) {
			vq_violation(vq);
			break;
		}
		split_prefetch_data(vq);
		ret = vq_split_walk(vq, head, &c[k]);
		if (ret == -EIO) {
			vq_violation(vq);
			break;
		}
		res[k] = ret;
		vq->last_avail_idx++;
	}
	return k;
}

bool vq_split_has_avail(const struct uvdpa_vq_dev *vq)
{
	return vq->shadow_avail_idx != vq->last_avail_idx ||
	       le16toh(load_acquire(&vq->avail->idx)) != vq->last_avail_idx;
}

/*
 * A ring used in order with the same buffers (a driver's fixed receive
 * buffers, say) gets the same used entry at the same place every round.
 * Storing it again would still take the line out of the driver's cache, and
 * the driver's next read of it would miss: an entry that holds the value
 * already is left alone.
 */
static inline void used_put(struct vring_used_elem *e, uint32_t id, uint32_t len)
{
	if (load_once(&e->id) != htole32(id))
		store_once(&e->id, htole32(id));
	if (load_once(&e->len) != htole32(len))
		store_once(&e->len, htole32(len));
}

void vq_split_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written)
{
	used_put(&vq->used->ring[vq->used_idx & (vq->l.num - 1)], c->id, written);
	vq->used_idx++;
	vq->pending++;
}

void vq_split_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, unsigned n,
			 uint32_t written)
{
	uint16_t mask = vq->l.num - 1, idx = vq->used_idx;
	unsigned k;

	for (k = 0; k < n; k++, idx++)
		used_put(&vq->used->ring[idx & mask], c[k].id, written);
	vq->used_idx = idx;
	vq->pending += n;
}

bool vq_split_flush(struct uvdpa_vq_dev *vq)
{
	uint16_t num = vq->l.num, new = vq->used_idx, old = vq->signalled_used;
	bool valid = vq->signalled_used_valid;

	if (!vq->pending)
		return false;
	vq->pending = 0;
	store_release(&vq->used->idx, htole16(new));
	/* the idx store must be visible before we read the driver's wishes */
	full_fence();
	if (!vq->l.event_idx)
		return !(le16toh(load_once(&vq->avail->flags)) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	return vring_need_event(le16toh(load_once(split_used_event(vq->avail, num))), new, old);
}

bool vq_split_enable_kicks(struct uvdpa_vq_dev *vq)
{
	if (vq->l.event_idx)
		store_once(split_avail_event(vq->used, vq->l.num), htole16(vq->last_avail_idx));
	else
		store_once(&vq->used->flags, htole16(0));
	/* the driver may have published just before seeing the store */
	full_fence();
	return vq_split_has_avail(vq);
}

void vq_split_disable_kicks(struct uvdpa_vq_dev *vq)
{
	/*
	 * With event idx there is no flag: an event just behind what the
	 * driver has published cannot be crossed until its index wraps.
	 */
	if (vq->l.event_idx)
		store_once(split_avail_event(vq->used, vq->l.num), htole16(vq->last_avail_idx - 1));
	else
		store_once(&vq->used->flags, htole16(VRING_USED_F_NO_NOTIFY));
}
