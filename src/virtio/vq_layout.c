// SPDX-License-Identifier: MIT
/*
 * Ring area sizes (virtio 1.2 §2.7 and §2.8). The split rings' event words
 * (used_event after the avail ring, avail_event after the used ring) are
 * only accessed with VIRTIO_F_EVENT_IDX, so they count only then.
 */
#include "vq_priv.h"

bool vq_num_valid(uint32_t num, bool packed)
{
	if (!num || num > UVDPA_VQ_MAX_NUM)
		return false;
	return packed || !(num & (num - 1));
}

uint64_t uvdpa_vq_desc_size(uint16_t num, bool packed)
{
	return (uint64_t)num * 16;
}

uint64_t uvdpa_vq_driver_size(uint16_t num, bool packed, bool event_idx)
{
	if (packed)
		return sizeof(struct vring_packed_desc_event);
	/* flags, idx, ring[num], used_event */
	return 4 + 2 * (uint64_t)num + (event_idx ? 2 : 0);
}

uint64_t uvdpa_vq_device_size(uint16_t num, bool packed, bool event_idx)
{
	if (packed)
		return sizeof(struct vring_packed_desc_event);
	/* flags, idx, ring[num] of {id, len}, avail_event */
	return 4 + 8 * (uint64_t)num + (event_idx ? 2 : 0);
}
