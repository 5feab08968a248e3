// SPDX-License-Identifier: MIT
/*
 * Driver side of a virtqueue (what the kernel's virtio_ring does for a
 * virtio driver): ring set-up and the entry points dispatching to the
 * split or packed halves.
 */
#include <stdlib.h>

#include "vq_priv.h"

int uvdpa_vq_drv_init(struct uvdpa_vq_drv *vq, uint16_t num, bool packed, bool event_idx,
		      void *desc_mem, void *driver_mem, void *device_mem)
{
	unsigned i;

	memset(vq, 0, sizeof(*vq));
	if (!vq_num_valid(num, packed) || !desc_mem || !driver_mem || !device_mem)
		return -EINVAL;
	vq->next = calloc(num, sizeof(*vq->next));
	vq->state = calloc(num, sizeof(*vq->state));
	if (!vq->next || !vq->state) {
		uvdpa_vq_drv_fini(vq);
		return -ENOMEM;
	}
	vq->num = num;
	vq->packed = packed;
	vq->event_idx = event_idx;
	vq->desc_mem = desc_mem;
	vq->driver_mem = driver_mem;
	vq->device_mem = device_mem;
	memset(desc_mem, 0, uvdpa_vq_desc_size(num, packed));
	memset(driver_mem, 0, uvdpa_vq_driver_size(num, packed, event_idx));
	memset(device_mem, 0, uvdpa_vq_device_size(num, packed, event_idx));
	/* split: free descriptors; packed: free buffer ids */
	for (i = 0; i < num; i++)
		vq->next[i] = i + 1;
	vq->num_free = num;
	vq->free_tail = num - 1;
	vq->oldest = vq->newest = UVDPA_VQ_NO_ID;
	if (packed) {
		vq->pdesc = desc_mem;
		vq->drv_event = driver_mem;
		vq->dev_event = device_mem;
		vq->avail_wrap = vq->used_wrap = true;
	} else {
		vq->sdesc = desc_mem;
		vq->avail = driver_mem;
		vq->used = device_mem;
	}
	return 0;
}

void uvdpa_vq_drv_fini(struct uvdpa_vq_drv *vq)
{
	free(vq->next);
	free(vq->state);
	vq->next = NULL;
	vq->state = NULL;
}

/* Readable buffers first (§2.7.4.2); the device refuses anything else. */
static bool bufs_valid(const struct uvdpa_vq_buf *bufs, unsigned n)
{
	bool writing = false;
	unsigned i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		if (bufs[i].write)
			writing = true;
		else if (writing)
			return false;
	}
	return true;
}

int uvdpa_vq_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		     unsigned n, void *token)
{
	if (!token || !bufs_valid(bufs, n))
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;
	return vq->packed ? vq_packed_drv_add(vq, bufs, n, NULL, 0, token)
			  : vq_split_drv_add(vq, bufs, n, NULL, 0, token);
}

int uvdpa_vq_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			 void *token)
{
	if (!token)
		return -EINVAL;
	if (!vq->num_free)
		return -ENOSPC;
	if (vq->packed)
		vq_packed_drv_add_one(vq, addr, len, write, token);
	else
		vq_split_drv_add_one(vq, addr, len, write, token);
	return 0;
}

int uvdpa_vq_drv_add_indirect(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
			      unsigned n, void *table, uint64_t table_iova, void *token)
{
	if (!token || !table || !bufs_valid(bufs, n) || n > UINT32_MAX / 16)
		return -EINVAL;
	if (!vq->num_free)
		return -ENOSPC;
	return vq->packed ? vq_packed_drv_add(vq, bufs, n, table, table_iova, token)
			  : vq_split_drv_add(vq, bufs, n, table, table_iova, token);
}

bool uvdpa_vq_drv_publish(struct uvdpa_vq_drv *vq)
{
	if (!vq->added_since_kick)
		return false;
	return vq->packed ? vq_packed_drv_publish(vq) : vq_split_drv_publish(vq);
}

void *uvdpa_vq_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len)
{
	return vq->packed ? vq_packed_drv_get_used(vq, len) : vq_split_drv_get_used(vq, len);
}

unsigned uvdpa_vq_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				     unsigned n)
{
	if (!n)
		return 0;
	return vq->packed ? vq_packed_drv_get_used_burst(vq, tok, len, n)
			  : vq_split_drv_get_used_burst(vq, tok, len, n);
}

bool uvdpa_vq_drv_enable_cb(struct uvdpa_vq_drv *vq)
{
	vq->cb_disabled = false;
	return vq->packed ? vq_packed_drv_enable_cb(vq) : vq_split_drv_enable_cb(vq);
}

void uvdpa_vq_drv_disable_cb(struct uvdpa_vq_drv *vq)
{
	vq->cb_disabled = true;
	if (vq->packed)
		vq_packed_drv_disable_cb(vq);
	else
		vq_split_drv_disable_cb(vq);
}

unsigned uvdpa_vq_drv_num_free(const struct uvdpa_vq_drv *vq)
{
	return vq->num_free;
}
