// SPDX-License-Identifier: MIT
/*
 * Device side of a virtqueue: setting it up from a layout and a state, and
 * the entry points that dispatch to the split or packed halves.
 */
#include <stdint.h>

#include "vq_priv.h"

/* Host pointer of one ring area: whole area in one region, aligned. */
static void *map_area(const struct uvdpa_memmap *map, uint64_t iova, uint64_t size,
		      uint32_t perm, unsigned align, int *err)
{
	void *p = uvdpa_memmap_translate(map, iova, size, perm);

	if (!p)
		*err = -EFAULT;
	else if ((uintptr_t)p % align)
		*err = -EINVAL;
	return p;
}

static int map_rings(struct uvdpa_vq_dev *vq, const struct uvdpa_memmap *map)
{
	const struct uvdpa_vq_layout *l = &vq->l;
	uint64_t dsz = uvdpa_vq_desc_size(l->num, l->packed);
	uint64_t drsz = uvdpa_vq_driver_size(l->num, l->packed, l->event_idx);
	uint64_t dvsz = uvdpa_vq_device_size(l->num, l->packed, l->event_idx);
	void *desc, *drv, *dev;
	int err = 0;

	if (l->packed) {
		/* the device writes used descriptors over available ones */
		desc = map_area(map, l->desc, dsz, UVDPA_MAP_RW, 16, &err);
		drv = map_area(map, l->driver, drsz, UVDPA_MAP_READ, 4, &err);
		dev = map_area(map, l->device, dvsz, UVDPA_MAP_WRITE, 4, &err);
	} else {
		desc = map_area(map, l->desc, dsz, UVDPA_MAP_READ, 16, &err);
		drv = map_area(map, l->driver, drsz, UVDPA_MAP_READ, 2, &err);
		dev = map_area(map, l->device, dvsz, UVDPA_MAP_WRITE, 4, &err);
	}
	if (err)
		return err;
	vq->map = map;
	vq->hint = NULL;
	if (l->packed) {
		vq->pdesc = desc;
		vq->drv_event = drv;
		vq->dev_event = dev;
	} else {
		vq->sdesc = desc;
		vq->avail = drv;
		vq->used = dev;
	}
	return 0;
}

static void unmap_rings(struct uvdpa_vq_dev *vq)
{
	vq->sdesc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->pdesc = NULL;
	vq->drv_event = NULL;
	vq->dev_event = NULL;
}

int uvdpa_vq_dev_setup(struct uvdpa_vq_dev *vq, const struct uvdpa_vq_layout *l,
		       const struct uvdpa_memmap *map, const struct uvdpa_vq_state *s)
{
	int err;

	memset(vq, 0, sizeof(*vq));
	vq->broken = true;   /* until the rings are known good */
	if (!vq_num_valid(l->num, l->packed))
		return -EINVAL;
	vq->l = *l;
	if (l->packed) {
		vq->avail_wrap = vq->used_wrap = true;
		if (s) {
			if (s->packed.last_avail_idx >= l->num ||
			    s->packed.last_used_idx >= l->num)
				return -EINVAL;
			vq->last_avail_idx = s->packed.last_avail_idx;
			vq->avail_wrap = s->packed.last_avail_counter;
			vq->used_idx = s->packed.last_used_idx;
			vq->used_wrap = s->packed.last_used_counter;
		}
	} else if (s) {
		/* as vdpa_sim's set_vq_ready: no in-flight chains survive */
		vq->last_avail_idx = s->split.avail_index;
		vq->shadow_avail_idx = vq->last_avail_idx;
		vq->used_idx = vq->last_avail_idx;
	}
	err = map_rings(vq, map);
	if (err)
		return err;
	vq->broken = false;
	return 0;
}

int uvdpa_vq_dev_remap(struct uvdpa_vq_dev *vq, const struct uvdpa_memmap *map)
{
	int err = map_rings(vq, map);

	if (err) {
		/* the old pointers may be gone: never touch them again */
		unmap_rings(vq);
		vq->map = NULL;
		vq->hint = NULL;
		vq->broken = true;
	}
	return err;
}

int uvdpa_vq_dev_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c)
{
	if (vq->broken)
		return -EIO;
	if (unlikely(vq->inflight))
		return vq_inflight_pop(vq, c);
	return vq->l.packed ? vq_packed_pop(vq, c) : vq_split_pop(vq, c);
}

int uvdpa_vq_dev_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			   unsigned n)
{
	unsigned k = 0;
	int r;

	if (vq->broken)
		return -EIO;
	if (unlikely(vq->inflight)) {
		for (; k < n; k++) {
			r = vq_inflight_pop(vq, &c[k]);
			if (r != 1 && r != -E2BIG)
				break;
			res[k] = r;
		}
	} else if (vq->l.packed) {
		k = vq_packed_pop_burst(vq, c, res, n);
	} else {
		k = vq_split_pop_burst(vq, c, res, n);
	}
	return !k && vq->broken ? -EIO : (int)k;
}

bool uvdpa_vq_dev_has_avail(const struct uvdpa_vq_dev *vq)
{
	if (vq->broken)
		return false;
	if (unlikely(vq->resubmit_pos < vq->resubmit_n))
		return true;
	return vq->l.packed ? vq_packed_has_avail(vq) : vq_split_has_avail(vq);
}

/* Used entries of chains taken before a violation may still be published;
 * only a queue whose rings are unmapped refuses them. */
static bool rings_mapped(const struct uvdpa_vq_dev *vq)
{
	return vq->l.packed ? vq->pdesc != NULL : vq->sdesc != NULL;
}

void uvdpa_vq_dev_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written)
{
	if (!rings_mapped(vq))
		return;
	if (vq->l.packed)
		vq_packed_push(vq, c, written);
	else
		vq_split_push(vq, c, written);
	if (unlikely(vq->inflight))
		vq_inflight_push(vq, c);
}

void uvdpa_vq_dev_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c,
			     unsigned n, uint32_t written)
{
	unsigned k;

	if (!rings_mapped(vq))
		return;
	if (unlikely(vq->inflight)) {
		for (k = 0; k < n; k++)
			uvdpa_vq_dev_push(vq, &c[k], written);
	} else if (vq->l.packed) {
		vq_packed_push_burst(vq, c, n, written);
	} else {
		vq_split_push_burst(vq, c, n, written);
	}
}

bool uvdpa_vq_dev_flush(struct uvdpa_vq_dev *vq)
{
	if (!rings_mapped(vq))
		return false;
	if (unlikely(vq->inflight))
		return vq_inflight_flush(vq);
	return vq->l.packed ? vq_packed_flush(vq) : vq_split_flush(vq);
}

bool uvdpa_vq_dev_enable_kicks(struct uvdpa_vq_dev *vq)
{
	bool more;

	if (vq->broken)
		return false;
	more = vq->l.packed ? vq_packed_enable_kicks(vq) : vq_split_enable_kicks(vq);
	/* chains to resubmit need no kick */
	return more || vq->resubmit_pos < vq->resubmit_n;
}

void uvdpa_vq_dev_disable_kicks(struct uvdpa_vq_dev *vq)
{
	if (vq->broken)
		return;
	if (vq->l.packed)
		vq_packed_disable_kicks(vq);
	else
		vq_split_disable_kicks(vq);
}

void uvdpa_vq_dev_get_state(const struct uvdpa_vq_dev *vq, struct uvdpa_vq_state *s)
{
	memset(s, 0, sizeof(*s));
	if (vq->l.packed) {
		s->packed.last_avail_idx = vq->last_avail_idx;
		s->packed.last_avail_counter = vq->avail_wrap;
		s->packed.last_used_idx = vq->used_idx;
		s->packed.last_used_counter = vq->used_wrap;
	} else {
		s->split.avail_index = vq->last_avail_idx;
	}
}

void uvdpa_vq_dev_unpop(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c)
{
	if (unlikely(vq->inflight) && !vq_inflight_unpop(vq, c))
		return;
	if (!vq->l.packed) {
		vq->last_avail_idx--;          /* split: one avail slot per chain */
		return;
	}
	/* packed: step back over the ring slots the chain took */
	if (vq->last_avail_idx >= c->ndesc) {
		vq->last_avail_idx -= c->ndesc;
	} else {
		vq->last_avail_idx += vq->l.num - c->ndesc;
		vq->avail_wrap = !vq->avail_wrap;
	}
}
