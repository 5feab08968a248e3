// SPDX-License-Identifier: MIT
/*
 * The control virtqueue: MAC_ADDR_SET rewrites the config MAC and the
 * receive filter follows it; every command it does not implement is
 * answered ERR, also right after a successful one (no stale OK); stats.
 */
#include <string.h>

#include <linux/virtio_net.h>

#include "tdev.h"

#define F_CTRL_VQ F(17)

static bool loop(struct tdev *t, const uint8_t dst[6])
{
	uint8_t frame[64] = { 0 };
	uint32_t len;

	memcpy(frame, dst, 6);
	tnet_send(t, 0, frame, sizeof(frame), 1, false);
	tnet_reap_tx(t, 0, 1);
	if (!tvq_wait(t, 0, &len, 100))
		return false;
	tnet_post_rx(t, 0, 2048, 1, false);
	return true;
}

int main(void)
{
	static const uint8_t mac1[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t mac2[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	uint8_t cfgmac[6], on = 1;
	uint16_t pairs = 1;
	struct tdev t;
	int i;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	CHECK(tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_CTRL_VQ | F(23), 3, 64) & F_CTRL_VQ,
	      "CTRL_VQ negotiated");
	for (i = 0; i < 4; i++)
		tnet_post_rx(&t, 0, 2048, 1, false);

	CHECK(!loop(&t, mac1), "frame to 02:..:01 dropped before the change");
	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac1, 6) ==
	      VIRTIO_NET_OK, "MAC_ADDR_SET 02:00:00:00:00:01 -> OK");
	t.ops->get_config(t.d, 0, cfgmac, 6);
	CHECK(memcmp(cfgmac, mac1, 6) == 0, "config MAC is the new one");
	CHECK(loop(&t, mac1), "frame to the new MAC received");
	CHECK(!loop(&t, (const uint8_t *)"\0\0\0\0\0\0"), "frame to the old MAC dropped");

	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1) ==
	      VIRTIO_NET_ERR, "RX PROMISC (not implemented) -> ERR");
	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, mac2, 6) ==
	      VIRTIO_NET_ERR, "MAC TABLE_SET -> ERR");
	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac2, 5) ==
	      VIRTIO_NET_ERR, "MAC_ADDR_SET with 5 bytes -> ERR");
	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2) ==
	      VIRTIO_NET_ERR, "MQ VQ_PAIRS_SET without MQ negotiated -> ERR");
	CHECK(tnet_cvq(&t, 2, 200, 7, NULL, 0) == VIRTIO_NET_ERR, "unknown class -> ERR");
	t.ops->get_config(t.d, 0, cfgmac, 6);
	CHECK(memcmp(cfgmac, mac1, 6) == 0, "failed commands left the MAC alone");

	/* Two commands in one batch: a success, then an unsupported one. */
	{
		uint8_t *a = talloc(&t, 16, 16), *b = talloc(&t, 16, 16);
		struct uvdpa_vq_buf ba[2] = {
			{ tiova(&t, a), 8, false }, { tiova(&t, a + 8), 1, true } };
		struct uvdpa_vq_buf bb[2] = {
			{ tiova(&t, b), 3, false }, { tiova(&t, b + 8), 1, true } };
		uint32_t len;

		a[0] = VIRTIO_NET_CTRL_MAC;
		a[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
		memcpy(a + 2, mac2, 6);
		b[0] = VIRTIO_NET_CTRL_ANNOUNCE;
		b[1] = VIRTIO_NET_CTRL_ANNOUNCE_ACK;
		a[8] = b[8] = 0x77;
		REQUIRE(uvdpa_vq_drv_add(&t.vq[2].drv, ba, 2, a) == 0 &&
			uvdpa_vq_drv_add(&t.vq[2].drv, bb, 2, b) == 0, "add two commands");
		uvdpa_vq_drv_publish(&t.vq[2].drv);
		t.ops->kick_vq(t.d, 2);
		REQUIRE(tvq_wait(&t, 2, &len, 5000) == a && tvq_wait(&t, 2, &len, 5000) == b, "acks");
		CHECK(a[8] == VIRTIO_NET_OK && b[8] == VIRTIO_NET_ERR,
		      "OK then ERR in one batch (the kernel would ack the second OK)");
	}
	CHECK(loop(&t, mac2), "filter follows the second change");

	CHECK(tstat(&t, 2, "cvq requests") == 8 && tstat(&t, 2, "cvq successes") == 2 &&
	      tstat(&t, 2, "cvq errors") == 6, "cvq requests 8, successes 2, errors 6");

	/* A command without a writable ack byte is completed empty and counted. */
	{
		uint8_t *a = talloc(&t, 8, 8);
		struct uvdpa_vq_buf b = { tiova(&t, a), 8, false };
		uint32_t len = 99;

		a[0] = VIRTIO_NET_CTRL_MAC;
		a[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
		memcpy(a + 2, mac1, 6);
		REQUIRE(tvq_add(&t, 2, &b, 1, a, false) == 0, "add");
		CHECK(tvq_wait(&t, 2, &len, 5000) == a && len == 0 && tstat(&t, 2, "cvq errors") == 7,
		      "command without ack buffer: completed with length 0, counted as error");
		t.ops->get_config(t.d, 0, cfgmac, 6);
		CHECK(memcmp(cfgmac, mac2, 6) == 0, "and not executed");
	}

	/* The MAC survives a reset (the config space is not reset). */
	uvdpa_device_reset(t.d);
	t.ops->get_config(t.d, 0, cfgmac, 6);
	CHECK(memcmp(cfgmac, mac2, 6) == 0, "CVQ-set MAC survives reset");
	tdev_close(&t);
	return 0;
}
