// SPDX-License-Identifier: MIT
/*
 * Multiqueue: a vdpasim_net with max_vqp 4 offers MQ; the driver opens all
 * four pairs (CVQ after the last one), each pair loops its own frames only,
 * and VQ_PAIRS_SET goes through the control queue.
 */
#include "drv_test.h"

static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static uint8_t f[4096], r[4096];

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_net_opts o = { .queue_pairs = 4, .flags = UVDPA_NET_CTRL_VQ };
	struct uvdpa_net_opts too_many = { .queue_pairs = 5, .flags = UVDPA_NET_CTRL_VQ };
	struct uvdpa_device *d, *d1;
	struct uvdpa_virtio *v = NULL, *v1 = NULL;
	struct uvdpa_net *n = NULL;
	struct uvdpa_net_config nc;
	unsigned q, good = 0;
	int len;

	memcpy(cfg.net.mac, mac, 6);
	cfg.net.max_vq_pairs = 4;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) |
		   UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP);
	d = t_dev(bus, "vdpasim_net", "mq0", &cfg);
	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	CHECK(uvdpa_virtio_num_queues(v) == 9, "9 queues (4 pairs + CVQ)");
	CHECK(uvdpa_net_open(v, &too_many, &n) == -EINVAL, "5 pairs on a 4-pair device: -EINVAL");
	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "open with 4 pairs");
	CHECK(uvdpa_net_queue_pairs(n) == 4, "4 pairs set up");
	CHECK(uvdpa_net_get_config(n, &nc) == 0 && nc.max_queue_pairs == 4,
	      "config max_virtqueue_pairs 4");
	CHECK(t_stat(d, 8, "cvq successes") == 1, "VQ_PAIRS_SET 4 sent at open on the CVQ (queue 8)");
	for (q = 0; q < 4; q++) {
		t_frame(f, 200 + q, mac, q);
		if (t_send(n, q, f, 200 + q))
			continue;
		if (uvdpa_net_wait_rx(n, q, 10000) != 1)
			continue;
		len = uvdpa_net_recv(n, q, r, sizeof(r));
		if (len == (int)(200 + q) && memcmp(f, r, (size_t)len) == 0 &&
		    t_stat(d, (uint16_t)(2 * q), "rx packets") == 1)
			good++;
	}
	CHECK(good == 4, "each pair loops its own frame back (%u/4)", good);
	for (q = 0; q < 4; q++)
		CHECK(uvdpa_net_recv(n, q, r, sizeof(r)) == -EAGAIN, "pair %u has nothing else", q);
	CHECK(uvdpa_net_set_queue_pairs(n, 2) == 0, "VQ_PAIRS_SET 2 acked");
	CHECK(uvdpa_net_set_queue_pairs(n, 5) == -EINVAL, "VQ_PAIRS_SET 5: -EINVAL");
	CHECK(uvdpa_net_set_queue_pairs(n, 0) == -EINVAL, "VQ_PAIRS_SET 0: -EINVAL");
	uvdpa_net_close(n);

	/* The kernel's single-pair device offers no MQ. */
	d1 = t_net_dev(bus, "sp0", mac);
	REQUIRE(uvdpa_virtio_open_local(d1, &v1) == 0, "open_local single pair");
	o.queue_pairs = 2;
	CHECK(uvdpa_net_open(v1, &o, &n) == -EOPNOTSUPP, "2 pairs without MQ: -EOPNOTSUPP");
	CHECK(uvdpa_virtio_status(v1) == UVDPA_STATUS_ACKNOWLEDGE,
	      "refused open leaves the device reset");
	uvdpa_virtio_close(v1);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return t_done();
}
