/* SPDX-License-Identifier: MIT */
/*
 * The range of a virtio-blk DISCARD or WRITE_ZEROES request, for every blk
 * parent: exactly one 16-byte struct virtio_blk_discard_write_zeroes after
 * the header (the parents advertise max_discard_seg = max_write_zeroes_seg
 * = 1), and no flag the request type does not define.
 */
#ifndef UVDPA_DEVICES_BLK_DISCARD_H
#define UVDPA_DEVICES_BLK_DISCARD_H

#include <endian.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#include "virtio/vq.h"

/* VIRTIO_BLK_S_OK with the range in *sector, *bytes, *flags, or the status
 * to answer; the caller checks the range against its capacity. */
static inline uint8_t blk_discard_range(const struct uvdpa_chain *c, uint32_t type,
					uint64_t *sector, uint64_t *bytes, uint32_t *flags)
{
	struct virtio_blk_discard_write_zeroes r;

	if (c->out_len != sizeof(struct virtio_blk_outhdr) + sizeof(r) ||
	    uvdpa_chain_read(c, sizeof(struct virtio_blk_outhdr), &r, sizeof(r)) != sizeof(r))
		return VIRTIO_BLK_S_IOERR;
	*sector = le64toh(r.sector);
	*flags = le32toh(r.flags);
	*bytes = (uint64_t)le32toh(r.num_sectors) << 9;
	if (type == VIRTIO_BLK_T_DISCARD && *flags)
		return VIRTIO_BLK_S_UNSUPP;
	if (type == VIRTIO_BLK_T_WRITE_ZEROES && (*flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		return VIRTIO_BLK_S_UNSUPP;
	return VIRTIO_BLK_S_OK;
}

#endif
