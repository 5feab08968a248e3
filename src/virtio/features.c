// SPDX-License-Identifier: MIT
/*
 * Feature-bit names, the tables iproute2's vdpa tool prints from. The CLI
 * must print byte for byte what iproute2 prints, so these are its names
 * (without the VIRTIO_NET_F_ / VIRTIO_F_ prefixes), not the spec's.
 * iproute2 names no blk bit (it prints bit_N); uvdpa names them after the
 * spec's VIRTIO_BLK_F_ macros, in the same style.
 */
#include <stddef.h>
#include <linux/virtio_ids.h>

#include "features.h"

/* iproute2's VIRTIO_TRANSPORT_F_END in the header bundled with 6.1 */
#define IPROUTE2_TRANSPORT_F_END 41

static const char *const transport_names[64] = {
	[28] = "RING_INDIRECT_DESC",
	[29] = "RING_EVENT_IDX",
	[32] = "VERSION_1",
	[33] = "ACCESS_PLATFORM",
	[34] = "RING_PACKED",
	[35] = "IN_ORDER",
	[36] = "ORDER_PLATFORM",
	[37] = "SR_IOV",
	[38] = "NOTIFICATION_DATA",
};

static const char *const net_names[64] = {
	[0] = "CSUM",
	[1] = "GUEST_CSUM",
	[2] = "CTRL_GUEST_OFFLOADS",
	[3] = "MTU",
	[5] = "MAC",
	[7] = "GUEST_TSO4",
	[8] = "GUEST_TSO6",
	[9] = "GUEST_ECN",
	[10] = "GUEST_UFO",
	[11] = "HOST_TSO4",
	[12] = "HOST_TSO6",
	[13] = "HOST_ECN",
	[14] = "HOST_UFO",
	[15] = "MRG_RXBUF",
	[16] = "STATUS",
	[17] = "CTRL_VQ",
	[18] = "CTRL_RX",
	[19] = "CTRL_VLAN",
	[20] = "CTRL_RX_EXTRA",
	[21] = "GUEST_ANNOUNCE",
	[22] = "MQ",
	[23] = "CTRL_MAC_ADDR",
	[24] = "NOTIFY_ON_EMPTY",
	[27] = "ANY_LAYOUT",
	[57] = "HASH_REPORT",
	[60] = "RSS",
	[61] = "RSC_EXT",
	[62] = "STANDBY",
	[63] = "SPEED_DUPLEX",
};

static const char *const blk_names[64] = {
	[0] = "BARRIER",
	[1] = "SIZE_MAX",
	[2] = "SEG_MAX",
	[4] = "GEOMETRY",
	[5] = "RO",
	[6] = "BLK_SIZE",
	[7] = "SCSI",
	[9] = "FLUSH",
	[10] = "TOPOLOGY",
	[11] = "CONFIG_WCE",
	[12] = "MQ",
	[13] = "DISCARD",
	[14] = "WRITE_ZEROES",
	[15] = "LIFETIME",
	[16] = "SECURE_ERASE",
	[17] = "ZONED",
	[27] = "ANY_LAYOUT",
};

bool uvdpa_feature_is_transport(unsigned bit)
{
	return bit >= UVDPA_TRANSPORT_F_START && bit <= UVDPA_TRANSPORT_F_END;
}

const char *uvdpa_feature_name(uint32_t virtio_device_id, unsigned bit)
{
	if (bit >= 64)
		return NULL;
	if (bit >= UVDPA_TRANSPORT_F_START && bit <= IPROUTE2_TRANSPORT_F_END)
		return transport_names[bit];
	if (virtio_device_id == VIRTIO_ID_NET)
		return net_names[bit];
	if (virtio_device_id == VIRTIO_ID_BLOCK)
		return blk_names[bit];
	return NULL;
}
