// SPDX-License-Identifier: MIT
/*
 * Inflight tracking in the vhost-user spec's layout ("Inflight I/O
 * tracking"): what the device records while it takes and completes chains,
 * and how the record of a device that died is repaired and replayed.
 *
 * Nobody reads the area while this device lives: the next device reads it
 * after this one is gone. So what matters is program order at the moment of
 * a crash, kept with compiler barriers between the steps the spec orders.
 * The area is also the driver's side's memory: every index read from it is
 * read once and bounded before use.
 */
#include <stdlib.h>

#include "vq_priv.h"

#define INFLIGHT_VERSION 1

/* Program order at a crash is all that counts (see top). */
#define crash_order() __atomic_signal_fence(__ATOMIC_SEQ_CST)

struct inflight_desc_split {
	uint8_t inflight;               /* head taken and not yet used */
	uint8_t padding[5];
	uint16_t next;                  /* links the last batch of used heads */
	uint64_t counter;               /* order in which heads were taken */
};

struct inflight_split {
	uint64_t features;
	uint16_t version;               /* 0: never used */
	uint16_t desc_num;
	uint16_t last_batch_head;
	uint16_t used_idx;              /* used->idx once the batch is cleared */
	struct inflight_desc_split desc[];
};

struct inflight_desc_packed {
	uint8_t inflight;
	uint8_t padding;
	uint16_t next;                  /* free list, and a chain's entries */
	uint16_t last;                  /* head: the chain's last entry */
	uint16_t num;                   /* head: ring slots of the chain */
	uint64_t counter;
	uint16_t id;                    /* copy of the ring descriptor */
	uint16_t flags;
	uint32_t len;
	uint64_t addr;
};

struct inflight_packed {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t free_head;
	uint16_t old_free_head;         /* old_*: as of the last published batch */
	uint16_t used_idx;
	uint16_t old_used_idx;
	uint8_t used_wrap_counter;
	uint8_t old_used_wrap_counter;
	uint8_t padding[7];
	struct inflight_desc_packed desc[];
};

_Static_assert(sizeof(struct inflight_desc_split) == 16, "split entry layout");
_Static_assert(sizeof(struct inflight_split) == 16, "split header layout");
_Static_assert(sizeof(struct inflight_desc_packed) == 32, "packed entry layout");
_Static_assert(sizeof(struct inflight_packed) == 32, "packed header layout");

size_t uvdpa_vq_inflight_size(uint16_t num, bool packed)
{
	if (packed)
		return sizeof(struct inflight_packed) + (size_t)num * sizeof(struct inflight_desc_packed);
	return sizeof(struct inflight_split) + (size_t)num * sizeof(struct inflight_desc_split);
}

static int by_counter(const void *a, const void *b)
{
	const struct uvdpa_vq_resubmit *x = a, *y = b;

	if (x->counter != y->counter)
		return x->counter < y->counter ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The chains to resubmit, oldest first; the next counter goes after them. */
static void resubmit_start(struct uvdpa_vq_dev *vq, struct uvdpa_vq_resubmit *list, uint16_t n)
{
	uint64_t max = 0;

	qsort(list, n, sizeof(*list), by_counter);
	if (n)
		max = list[n - 1].counter;
	vq->resubmit = list;
	vq->resubmit_n = n;
	vq->resubmit_pos = 0;
	vq->inflight_counter = max + 1;
	vq->signalled_used_valid = false;
}

/* ------------------------------------------------------------------ */
/* split                                                               */
/* ------------------------------------------------------------------ */

static struct inflight_split *isplit(const struct uvdpa_vq_dev *vq)
{
	return vq->inflight;
}

static int split_attach(struct uvdpa_vq_dev *vq, struct inflight_split *r,
			struct uvdpa_vq_resubmit *list)
{
	uint16_t num = vq->l.num, used, recorded, n = 0;

	if (load_once(&r->version) == 0) {
		memset(r->desc, 0, (size_t)num * sizeof(r->desc[0]));
		store_once(&r->features, 0);
		store_once(&r->desc_num, num);
		store_once(&r->last_batch_head, 0);
		store_once(&r->used_idx, vq->used_idx);
		crash_order();
		store_once(&r->version, INFLIGHT_VERSION);
		resubmit_start(vq, list, 0);
		return 0;
	}
	if (load_once(&r->version) != INFLIGHT_VERSION || load_once(&r->desc_num) != num)
		return -EBADMSG;
	/* A batch published in the ring but not cleared here: clear it now. */
	used = le16toh(load_acquire(&vq->used->idx));
	recorded = load_once(&r->used_idx);
	if (recorded != used) {
		uint16_t batch = used - recorded, i = load_once(&r->last_batch_head);

		if (batch > num)
			return -EBADMSG;
		while (batch--) {
			if (i >= num)
				return -EBADMSG;
			store_once(&r->desc[i].inflight, 0);
			i = load_once(&r->desc[i].next);
		}
		crash_order();
		store_once(&r->used_idx, used);
	}
	for (uint32_t i = 0; i < num; i++) {
		if (!load_once(&r->desc[i].inflight))
			continue;
		list[n].counter = load_once(&r->desc[i].counter);
		list[n].idx = (uint16_t)i;
		n++;
	}
	/* every chain taken is either used or still in flight */
	vq->used_idx = used;
	vq->last_avail_idx = (uint16_t)(used + n);
	vq->shadow_avail_idx = vq->last_avail_idx;
	resubmit_start(vq, list, n);
	return 0;
}

static void split_mark(struct uvdpa_vq_dev *vq, uint16_t head)
{
	struct inflight_desc_split *e = &isplit(vq)->desc[head & (vq->l.num - 1)];

	store_once(&e->counter, vq->inflight_counter++);
	crash_order();
	store_once(&e->inflight, 1);
	crash_order();
}

static int split_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	int ret;

	if (vq->resubmit_pos < vq->resubmit_n) {
		/* still marked: taking it again changes nothing in the area */
		ret = vq_split_walk(vq, vq->resubmit[vq->resubmit_pos].idx, c);
		if (ret == -EIO)
			return vq_violation(vq);
		vq->resubmit_pos++;
		c->resubmitted = true;
		return ret;
	}
	ret = vq_split_pop(vq, c);
	if (ret == 1 || ret == -E2BIG) {
		split_mark(vq, c->id);
		c->resubmitted = false;
	}
	return ret;
}

static void split_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c)
{
	struct inflight_split *r = isplit(vq);
	uint16_t head = c->id & (vq->l.num - 1);

	store_once(&r->desc[head].next, load_once(&r->last_batch_head));
	crash_order();
	store_once(&r->last_batch_head, head);
}

/* Spec order: used->idx, then the batch's marks, then used_idx. */
static bool split_flush(struct uvdpa_vq_dev *vq)
{
	struct inflight_split *r = isplit(vq);
	uint16_t n = vq->pending, mask = vq->l.num - 1, i;
	bool notify = vq_split_flush(vq);

	crash_order();
	i = load_once(&r->last_batch_head);
	while (n--) {
		i &= mask;
		store_once(&r->desc[i].inflight, 0);
		i = load_once(&r->desc[i].next);
	}
	crash_order();
	store_once(&r->used_idx, vq->used_idx);
	return notify;
}

/* ------------------------------------------------------------------ */
/* packed                                                              */
/* ------------------------------------------------------------------ */

static struct inflight_packed *ipacked(const struct uvdpa_vq_dev *vq)
{
	return vq->inflight;
}

static void packed_init(struct uvdpa_vq_dev *vq, struct inflight_packed *r)
{
	uint16_t num = vq->l.num;

	memset(r->desc, 0, (size_t)num * sizeof(r->desc[0]));
	for (uint32_t i = 0; i < num; i++)
		r->desc[i].next = (uint16_t)(i + 1);
	store_once(&r->features, 0);
	store_once(&r->desc_num, num);
	store_once(&r->free_head, 0);
	store_once(&r->old_free_head, 0);
	store_once(&r->used_idx, vq->used_idx);
	store_once(&r->old_used_idx, vq->used_idx);
	store_once(&r->used_wrap_counter, vq->used_wrap);
	store_once(&r->old_used_wrap_counter, vq->used_wrap);
	crash_order();
	store_once(&r->version, INFLIGHT_VERSION);
}

/* Keeps or rolls back the batch that was being published (spec order). */
static int packed_roll_back(struct uvdpa_vq_dev *vq, struct inflight_packed *r)
{
	uint16_t num = vq->l.num, old = load_once(&r->old_used_idx);
	bool old_wrap = load_once(&r->old_used_wrap_counter);

	if (load_once(&r->used_idx) != old ||
	    !!load_once(&r->used_wrap_counter) != old_wrap) {
		if (old >= num)
			return -EBADMSG;
		/* the batch head no longer available: the ring has the batch */
		if (!packed_is_avail(le16toh(load_acquire(&vq->pdesc[old].flags)), old_wrap)) {
			store_once(&r->old_free_head, load_once(&r->free_head));
			store_once(&r->old_used_idx, load_once(&r->used_idx));
			store_once(&r->old_used_wrap_counter, !!load_once(&r->used_wrap_counter));
		}
	}
	store_once(&r->free_head, load_once(&r->old_free_head));
	store_once(&r->used_idx, load_once(&r->old_used_idx));
	store_once(&r->used_wrap_counter, load_once(&r->old_used_wrap_counter));
	return load_once(&r->used_idx) < num ? 0 : -EBADMSG;
}

static int packed_attach(struct uvdpa_vq_dev *vq, struct inflight_packed *r,
			 struct uvdpa_vq_resubmit *list)
{
	uint16_t num = vq->l.num, n = 0, i, avail;
	uint32_t slots = 0;
	bool wrap;
	int err;

	if (load_once(&r->version) == 0) {
		packed_init(vq, r);
		resubmit_start(vq, list, 0);
		return 0;
	}
	if (load_once(&r->version) != INFLIGHT_VERSION || load_once(&r->desc_num) != num)
		return -EBADMSG;
	err = packed_roll_back(vq, r);
	if (err)
		return err;
	/* marks left on free entries belong to chains already published */
	i = load_once(&r->free_head);
	for (uint32_t k = 0; k < num && i < num; k++) {
		store_once(&r->desc[i].inflight, 0);
		i = load_once(&r->desc[i].next);
	}
	for (uint32_t e = 0; e < num; e++) {
		const struct inflight_desc_packed *d = &r->desc[e];
		uint16_t cnt = load_once(&d->num), j = (uint16_t)e;

		if (!load_once(&d->inflight))
			continue;
		/* all chains in flight fit in the ring together */
		if (!cnt || cnt > num - slots)
			return -EBADMSG;
		for (uint16_t k = 1; k < cnt; k++) {
			j = load_once(&r->desc[j].next);
			if (j >= num)
				return -EBADMSG;
		}
		if (j != load_once(&d->last))
			return -EBADMSG;
		slots += cnt;
		list[n].counter = load_once(&d->counter);
		list[n].idx = (uint16_t)e;
		n++;
	}
	/* the slots between the used index and the next avail one hold the
	 * chains still in flight */
	vq->used_idx = load_once(&r->used_idx);
	vq->used_wrap = wrap = load_once(&r->used_wrap_counter);
	avail = vq->used_idx;
	if (slots >= (uint32_t)(num - avail)) {
		avail = (uint16_t)(slots - (num - avail));
		wrap = !wrap;
	} else {
		avail = (uint16_t)(avail + slots);
	}
	vq->last_avail_idx = avail;
	vq->avail_wrap = wrap;
	vq->pend_n = 0;
	resubmit_start(vq, list, n);
	return 0;
}

/* Copies the chain's ring descriptors into free entries, then marks it. */
static int packed_record(struct uvdpa_vq_dev *vq, uint16_t slot, struct uvdpa_chain *c)
{
	struct inflight_packed *r = ipacked(vq);
	uint16_t num = vq->l.num, head = load_once(&r->free_head), e = head, last = head;
	struct inflight_desc_packed *h;

	for (uint16_t k = 0; k < c->ndesc; k++) {
		struct inflight_desc_packed *p;
		struct desc d;

		if (e >= num)
			return -EIO;
		p = &r->desc[e];
		desc_read_packed(&vq->pdesc[slot], &d);
		store_once(&p->addr, d.addr);
		store_once(&p->len, d.len);
		store_once(&p->flags, d.flags);
		store_once(&p->id, d.next);
		store_once(&p->inflight, 0);
		last = e;
		e = load_once(&p->next);
		if (++slot == num)
			slot = 0;
	}
	h = &r->desc[head];
	store_once(&h->num, c->ndesc);
	store_once(&h->last, last);
	store_once(&h->counter, vq->inflight_counter++);
	crash_order();
	store_once(&h->inflight, 1);
	crash_order();
	store_once(&r->free_head, e);
	crash_order();
	store_once(&r->old_free_head, e);
	c->slot = head;
	return 0;
}

/* Builds the chain from the area's copies of its descriptors. */
static int packed_resubmit(struct uvdpa_vq_dev *vq, uint16_t head, struct uvdpa_chain *c)
{
	struct inflight_packed *r = ipacked(vq);
	uint16_t num = vq->l.num, cnt = load_once(&r->desc[head].num), e = head;
	struct desc d = { 0 };
	struct chain_walk w;
	int ret;

	if (!cnt || cnt > num)
		return -EIO;
	walk_start(&w, c, vq->map);
	for (uint16_t k = 0; k < cnt; k++) {
		const struct inflight_desc_packed *p;

		if (e >= num)
			return -EIO;
		p = &r->desc[e];
		d.addr = load_once(&p->addr);
		d.len = load_once(&p->len);
		d.flags = load_once(&p->flags);
		d.next = load_once(&p->id);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (vq_packed_indirect(vq, &w, &d))
				return -EIO;
		} else {
			if (++w.count > num)
				return -EIO;
			if (walk_add(&w, d.addr, d.len, d.flags & VRING_DESC_F_WRITE))
				return -EIO;
		}
		e = load_once(&p->next);
	}
	ret = walk_finish(&w);
	if (ret == -EIO)
		return ret;
	c->id = d.next;
	c->ndesc = cnt;
	c->slot = head;
	return ret;
}

static int packed_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	uint16_t start = vq->last_avail_idx;
	int ret;

	if (vq->resubmit_pos < vq->resubmit_n) {
		ret = packed_resubmit(vq, vq->resubmit[vq->resubmit_pos].idx, c);
		if (ret == -EIO)
			return vq_violation(vq);
		vq->resubmit_pos++;
		c->resubmitted = true;
		return ret;
	}
	ret = vq_packed_pop(vq, c);
	if (ret != 1 && ret != -E2BIG)
		return ret;
	c->resubmitted = false;
	/* a free list that runs out: the driver's side wrote over it */
	if (packed_record(vq, start, c))
		return vq_violation(vq);
	return ret;
}

/* The chain's entries wait on a list of their own until the batch is
 * published: a pop meanwhile must not reuse them (see vq.h). */
static void packed_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c)
{
	struct inflight_packed *r = ipacked(vq);
	uint16_t num = vq->l.num, e = c->slot, last;

	if (e >= num)
		return;
	last = load_once(&r->desc[e].last);
	if (last >= num)
		return;
	if (!vq->pend_n)
		vq->pend_last = last;
	else
		store_once(&r->desc[last].next, vq->pend_head);
	vq->pend_head = e;
	vq->pend_n++;
}

/* Spec order: free list and used index, the ring's flags, the marks, old_*. */
static bool packed_flush(struct uvdpa_vq_dev *vq)
{
	struct inflight_packed *r = ipacked(vq);
	uint16_t num = vq->l.num, n = vq->pend_n, i = vq->pend_head;
	bool notify;

	if (n) {
		store_once(&r->desc[vq->pend_last].next, load_once(&r->free_head));
		crash_order();
		store_once(&r->free_head, vq->pend_head);
	}
	store_once(&r->used_idx, vq->used_idx);
	store_once(&r->used_wrap_counter, vq->used_wrap);
	crash_order();
	notify = vq_packed_flush(vq);
	crash_order();
	while (n--) {
		uint16_t last;

		if (i >= num)
			break;
		store_once(&r->desc[i].inflight, 0);
		last = load_once(&r->desc[i].last);
		if (last >= num)
			break;
		i = load_once(&r->desc[last].next);
	}
	crash_order();
	store_once(&r->old_free_head, load_once(&r->free_head));
	store_once(&r->old_used_idx, vq->used_idx);
	store_once(&r->old_used_wrap_counter, vq->used_wrap);
	vq->pend_n = 0;
	return notify;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */
/* ------------------------------------------------------------------ */

int uvdpa_vq_dev_set_inflight(struct uvdpa_vq_dev *vq, void *area, size_t len,
			      struct uvdpa_vq_resubmit *scratch)
{
	int err;

	vq->inflight = NULL;
	vq->resubmit = NULL;
	vq->resubmit_n = vq->resubmit_pos = 0;
	vq->pend_n = 0;
	if (!area)
		return 0;
	/* the record is read against the rings: they must be mapped */
	if (vq->broken || !scratch || (uintptr_t)area % 8 ||
	    len < uvdpa_vq_inflight_size(vq->l.num, vq->l.packed))
		return -EINVAL;
	err = vq->l.packed ? packed_attach(vq, area, scratch) : split_attach(vq, area, scratch);
	if (err) {
		vq->resubmit_n = vq->resubmit_pos = 0;
		return err;
	}
	vq->inflight = area;
	return 0;
}

int vq_inflight_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	return vq->l.packed ? packed_pop(vq, c) : split_pop(vq, c);
}

void vq_inflight_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c)
{
	if (vq->l.packed)
		packed_push(vq, c);
	else
		split_push(vq, c);
}

bool vq_inflight_flush(struct uvdpa_vq_dev *vq)
{
	if (!vq->pending)
		return false;
	return vq->l.packed ? packed_flush(vq) : split_flush(vq);
}

bool vq_inflight_unpop(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c)
{
	uint16_t num = vq->l.num;

	if (c->resubmitted) {
		vq->resubmit_pos--;          /* still marked in the area */
		return false;
	}
	if (!vq->l.packed) {
		store_once(&isplit(vq)->desc[c->id & (num - 1)].inflight, 0);
		return true;
	}
	/* its entries came off the front of the free list: put them back */
	if (c->slot < num) {
		struct inflight_packed *r = ipacked(vq);

		store_once(&r->desc[c->slot].inflight, 0);
		crash_order();
		store_once(&r->free_head, c->slot);
		store_once(&r->old_free_head, c->slot);
	}
	return true;
}
