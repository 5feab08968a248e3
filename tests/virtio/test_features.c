// SPDX-License-Identifier: MIT
/* Feature-bit names as iproute2 prints them (kernel-vdpa.md §9.4). */
#include <stdio.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "virtio/features.h"

static int fails;

static void name_is(uint32_t id, unsigned bit, const char *want)
{
	const char *got = uvdpa_feature_name(id, bit);
	int ok = want ? got && !strcmp(got, want) : !got;

	printf("%s dev %u bit %u -> %s\n", ok ? "ok  " : "FAIL", id, bit, got ? got : "(none)");
	fails += !ok;
}

int main(void)
{
	static const char *const net[64] = {
		[0] = "CSUM", [1] = "GUEST_CSUM", [2] = "CTRL_GUEST_OFFLOADS", [3] = "MTU",
		[5] = "MAC", [7] = "GUEST_TSO4", [8] = "GUEST_TSO6", [9] = "GUEST_ECN",
		[10] = "GUEST_UFO", [11] = "HOST_TSO4", [12] = "HOST_TSO6", [13] = "HOST_ECN",
		[14] = "HOST_UFO", [15] = "MRG_RXBUF", [16] = "STATUS", [17] = "CTRL_VQ",
		[18] = "CTRL_RX", [19] = "CTRL_VLAN", [20] = "CTRL_RX_EXTRA",
		[21] = "GUEST_ANNOUNCE", [22] = "MQ", [23] = "CTRL_MAC_ADDR",
		[24] = "NOTIFY_ON_EMPTY", [27] = "ANY_LAYOUT", [28] = "RING_INDIRECT_DESC",
		[29] = "RING_EVENT_IDX", [32] = "VERSION_1", [33] = "ACCESS_PLATFORM",
		[34] = "RING_PACKED", [35] = "IN_ORDER", [36] = "ORDER_PLATFORM", [37] = "SR_IOV",
		[38] = "NOTIFICATION_DATA", [57] = "HASH_REPORT", [60] = "RSS", [61] = "RSC_EXT",
		[62] = "STANDBY", [63] = "SPEED_DUPLEX",
	};
	/* iproute2 names no blk bit; uvdpa uses the spec's VIRTIO_BLK_F_ names */
	static const char *const blk[28] = {
		[0] = "BARRIER", [1] = "SIZE_MAX", [2] = "SEG_MAX", [4] = "GEOMETRY",
		[5] = "RO", [6] = "BLK_SIZE", [7] = "SCSI", [9] = "FLUSH", [10] = "TOPOLOGY",
		[11] = "CONFIG_WCE", [12] = "MQ", [13] = "DISCARD", [14] = "WRITE_ZEROES",
		[15] = "LIFETIME", [16] = "SECURE_ERASE", [17] = "ZONED", [27] = "ANY_LAYOUT",
	};
	unsigned b;

	for (b = 0; b < 64; b++)
		name_is(VIRTIO_ID_NET, b, net[b]);
	for (b = 0; b < 64; b++)
		name_is(VIRTIO_ID_BLOCK, b, b < 28 ? blk[b] : b <= 41 ? net[b] : NULL);
	/* any other device: only the transport bits are named */
	for (b = 0; b < 64; b++)
		name_is(VIRTIO_ID_CONSOLE, b, b >= 28 && b <= 41 ? net[b] : NULL);
	name_is(0, 32, "VERSION_1");
	name_is(0, 0, NULL);
	name_is(VIRTIO_ID_NET, 64, NULL);
	name_is(VIRTIO_ID_NET, 200, NULL);
	for (b = 0; b < 70; b++) {
		int want = b >= 28 && b <= 42;

		if (uvdpa_feature_is_transport(b) != want) {
			printf("FAIL is_transport(%u)\n", b);
			fails++;
		}
	}
	printf("%s is_transport 28..42\n", fails ? "" : "ok  ");
	printf("%s\n", fails ? "FAILED" : "PASSED");
	return !!fails;
}
