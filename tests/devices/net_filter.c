// SPDX-License-Identifier: MIT
/*
 * The receive filter: own MAC (compared with memcmp, not the kernel's
 * strncmp), broadcast and multicast pass; anything else is dropped, counted
 * in "rx drops", and its TX chain completed with length 0.
 */
#include <string.h>

#include "tdev.h"

static const uint8_t own[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* Sends one 60-byte frame to dst, its header in a descriptor of its own or
 * (flat) in the frame's; returns true if it came back. */
static bool loop_as(struct tdev *t, const uint8_t dst[6], uint32_t seed, bool flat)
{
	uint8_t frame[60];
	uint32_t len;
	uint8_t *rx;

	tfill(frame, sizeof(frame), seed);
	memcpy(frame, dst, 6);
	if (flat)
		tnet_send_flat(t, 0, frame, sizeof(frame));
	else
		tnet_send(t, 0, frame, sizeof(frame), 1, false);
	tnet_reap_tx(t, 0, 1);
	rx = tvq_poll(t, 0, &len);
	if (!rx)
		rx = tvq_wait(t, 0, &len, 100);
	if (!rx)
		return false;
	REQUIRE(len == 12 + sizeof(frame) && memcmp(rx + 12, frame, sizeof(frame)) == 0,
		"looped frame intact");
	tnet_post_rx(t, 0, 2048, 1, false);
	return true;
}

static bool loop(struct tdev *t, const uint8_t dst[6], uint32_t seed)
{
	return loop_as(t, dst, seed, false);
}

int main(void)
{
	struct uvdpa_dev_set_config cfg = { .mask = 1ULL << 10 };
	/* strncmp stops at the first common NUL: the kernel accepts this one */
	static const uint8_t same_prefix[6] = { 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	static const uint8_t other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t last_differs[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x56 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	struct tdev t;
	int i;

	memcpy(cfg.net.mac, own, 6);
	tdev_open(&t, NULL, "vdpasim_net", "net0", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX, 2, 256);
	for (i = 0; i < 4; i++)
		tnet_post_rx(&t, 0, 2048, 1, false);

	CHECK(loop(&t, own, 1), "frame to own MAC received");
	CHECK(loop(&t, bcast, 2), "broadcast received");
	CHECK(loop(&t, mcast, 3), "IPv4 multicast received");
	CHECK(loop(&t, mcast6, 4), "IPv6 multicast received");
	CHECK(tstat(&t, 0, "rx drops") == 0, "no drops so far");
	CHECK(!loop(&t, other, 5), "frame to another MAC dropped");
	CHECK(!loop(&t, same_prefix, 6), "00:aa:.. dropped (memcmp; the kernel's strncmp accepts it)");
	CHECK(!loop(&t, last_differs, 7), "MAC differing in the last byte dropped");
	CHECK(tstat(&t, 0, "rx drops") == 3 && tstat(&t, 0, "rx packets") == 4 &&
	      tstat(&t, 1, "tx packets") == 7 && tstat(&t, 1, "tx drops") == 0,
	      "rx drops 3, rx packets 4, tx packets 7 (dropped frames count on TX)");

	/* The MAC read in place when header and frame share a descriptor. */
	CHECK(loop_as(&t, own, 10, true) && loop_as(&t, bcast, 11, true) &&
	      !loop_as(&t, other, 12, true) && !loop_as(&t, last_differs, 13, true) &&
	      tstat(&t, 0, "rx drops") == 5 && tstat(&t, 0, "rx packets") == 6,
	      "header and frame in one descriptor: filtered the same");

	/* Runt frames (shorter than a destination MAC) are dropped too. */
	tnet_send(&t, 0, own, 4, 1, false);
	tnet_reap_tx(&t, 0, 1);
	CHECK(tvq_idle(&t, 0, 50) && tstat(&t, 0, "rx drops") == 6, "4-byte runt dropped");

	/* The default MAC is all zeroes: a frame to 00:11:.. is not for it. */
	tdev_close(&t);
	tdev_open(&t, NULL, "vdpasim_net", "net1", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
	tnet_post_rx(&t, 0, 2048, 1, false);
	CHECK(!loop(&t, own, 8) && tstat(&t, 0, "rx drops") == 1,
	      "default MAC 00:00:00:00:00:00 does not accept 00:11:22:33:44:55");
	CHECK(loop(&t, (const uint8_t *)"\0\0\0\0\0\0", 9), "but accepts 00:00:00:00:00:00");
	tdev_close(&t);
	return 0;
}
