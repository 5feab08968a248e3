// SPDX-License-Identifier: MIT
/*
 * Front ends come and go: a two-queue-pair net device driven as QEMU does
 * (one vhost session per queue pair on the same socket), an abrupt
 * disconnect that must leave the device clean, a second front end that
 * works from scratch while a third is turned away, RESET_DEVICE, a front
 * end dropped for a bad header, and a legacy front end without protocol
 * features (rings enabled at once).
 */
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "fe.h"
#include <uvdpa/vdpa_abi.h>

#define GPA_BASE 0x200000000ull
#define MEM      (8u << 20)
#define PROTO    (F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | F(VHOST_USER_PROTOCOL_F_MQ))

static bool all_queues_idle(struct uvdpa_device *d)
{
	for (unsigned i = 0; i < d->nvqs; i++)
		if (d->ops->get_vq_ready(d, (uint16_t)i))
			return false;
	return true;
}

static void start_pair(struct fe *f, unsigned pair)
{
	CHECK(fe_ring_start(f, 2 * pair, 256, false, true, 0) == 0 &&
	      fe_ring_start(f, 2 * pair + 1, 256, false, true, 0) == 0,
	      "rings %u and %u started", 2 * pair, 2 * pair + 1);
}

static void qemu_like_front_end(struct fe *f, struct harness *h)
{
	struct vhost_vring_state dis = { .index = 2, .num = 0 };
	uint64_t qn;

	fe_open(f, h->sock, MEM);
	fe_add_region(f, 0, MEM, GPA_BASE);
	/* vhost_dev 0 (rings 0-1), then vhost_dev 1 (rings 2-3), same socket */
	CHECK(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), PROTO), "session 1: negotiated");
	CHECK(!fe_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &qn) && qn == 2, "GET_QUEUE_NUM = 2");
	CHECK(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), PROTO),
	      "session 2: same negotiation again on the same socket");
	CHECK(fe_acked(f, VHOST_USER_SET_VRING_ENABLE, &dis, sizeof(dis), NULL, 0) == 0,
	      "ring 2 disabled before start (QEMU trace B)");
	CHECK(fe_send_mem_table(f) == 0 && fe_send_mem_table(f) == 0,
	      "memory table sent once per session");
	start_pair(f, 0);
	start_pair(f, 1);
	CHECK(fe_net_loopback(f, 0, 1, 100, 3, 0) == 100, "pair 0 loops 100 frames back");
	CHECK(fe_net_loopback(f, 2, 3, 100, 5, 0) == 100, "pair 1 loops 100 frames back");
}

static void legacy_front_end(struct harness *h)
{
	uint64_t feat = F(VIRTIO_F_VERSION_1);
	struct fe f;

	fe_open(&f, h->sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	CHECK(!fe_send(&f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0) &&
	      !fe_send(&f, VHOST_USER_SET_FEATURES, 0, &feat, 8, NULL, 0),
	      "legacy front end: SET_FEATURES without bit 30");
	f.features = feat;
	CHECK(fe_send_mem_table(&f) == 0, "memory table (no ack)");
	start_pair(&f, 0);
	CHECK(fe_net_loopback(&f, 0, 1, 50, 9, 0) == 50,
	      "rings run without SET_VRING_ENABLE (enabled at once)");
	fe_close(&f);
	CHECK(wait_device_status(h->dev, 0, 2000), "device reset after it left");
}

int main(void)
{
	struct uvdpa_dev_set_config cfg = { .net.max_vq_pairs = 2,
		.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP) };
	struct fe a, b, c;
	struct harness h;
	uint8_t bad[12];

	printf("# vhost-user front ends connecting, leaving, misbehaving\n");
	harness_open(&h, "vdpasim_net", "vnet-mq", &cfg);
	REQUIRE(h.dev->nvqs == 5, "2 pairs + cvq");

	qemu_like_front_end(&a, &h);
	CHECK(h.dev->ops->get_status(h.dev) == 0x0f, "device running");
	fe_close(&a);     /* no GET_VRING_BASE, no goodbye */
	CHECK(wait_device_status(h.dev, 0, 2000), "abrupt disconnect: device status 0");
	CHECK(all_queues_idle(h.dev), "abrupt disconnect: no queue ready");
	CHECK(h.dev->ops->get_driver_features(h.dev) == 0, "abrupt disconnect: features cleared");

	qemu_like_front_end(&b, &h);
	fe_open(&c, h.sock, 0);
	CHECK(fe_closed_by_peer(&c, 2000), "a second front end is turned away while one is served");
	fe_close(&c);
	CHECK(fe_net_loopback(&b, 0, 1, 20, 11, 0) == 20, "the first one is still served");

	CHECK(fe_acked(&b, VHOST_USER_RESET_DEVICE, NULL, 0, NULL, 0) == 0, "RESET_DEVICE acked");
	CHECK(h.dev->ops->get_status(h.dev) == 0 && all_queues_idle(h.dev),
	      "RESET_DEVICE: device reset, no queue ready");
	fe_close(&b);
	CHECK(wait_device_status(h.dev, 0, 2000), "b left");

	/* A fresh session after RESET_DEVICE on a new connection. */
	qemu_like_front_end(&b, &h);
	memset(bad, 0, sizeof(bad));
	bad[0] = VHOST_USER_GET_FEATURES;
	bad[4] = 2;      /* version 2 */
	CHECK(write(b.sock, bad, sizeof(bad)) == sizeof(bad) && fe_closed_by_peer(&b, 2000),
	      "header with version 2: connection dropped");
	fe_close(&b);
	CHECK(wait_device_status(h.dev, 0, 2000) && all_queues_idle(h.dev),
	      "dropped front end: device reset");

	legacy_front_end(&h);
	harness_close(&h);
	return 0;
}
