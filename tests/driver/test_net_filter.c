// SPDX-License-Identifier: MIT
/*
 * The device's receive filter as the driver sees it: frames to another
 * unicast MAC are dropped (and counted in "rx drops"), broadcast and
 * multicast pass, and after a CVQ MAC_ADDR_SET the filter follows the new
 * MAC. Without the control queue, setting the MAC is refused.
 */
#include "drv_test.h"

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static uint8_t f[2048], r[2048];

/*
 * Sends a frame to dst, then a marker to bcast; returns true if the frame
 * to dst was received before the marker (false if only the marker came).
 */
static bool passes(struct uvdpa_net *n, const uint8_t dst[6], unsigned seed)
{
	bool got = false;
	int len;

	t_frame(f, 100, dst, seed);
	if (t_send(n, 0, f, 100))
		return false;
	t_frame(f, 64, bcast, 1000 + seed);
	if (t_send(n, 0, f, 64))
		return false;
	for (;;) {
		if (uvdpa_net_wait_rx(n, 0, 10000) != 1)
			return false;
		len = uvdpa_net_recv(n, 0, r, sizeof(r));
		if (len == 64 && memcmp(r, f, 64) == 0)
			return got;     /* the marker: everything before it is in */
		t_frame(f + 128, 100, dst, seed);
		if (len == 100 && memcmp(r, f + 128, 100) == 0)
			got = true;
	}
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *d = t_net_dev(bus, "net0", mac_a);
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	struct uvdpa_net_opts no_cvq = { .flags = UVDPA_NET_MRG_RXBUF };
	struct uvdpa_net_config cfg;
	uint64_t drops, req, succ;
	uint8_t mac[6];

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "open net with defaults");
	CHECK(uvdpa_net_get_config(n, &cfg) == 0 && memcmp(cfg.mac, mac_a, 6) == 0 &&
	      cfg.mtu == 1500 && cfg.status == 1 && cfg.max_queue_pairs == 1,
	      "config: provisioned MAC, MTU 1500, link up, 1 pair");

	drops = t_stat(d, 0, "rx drops");
	CHECK(passes(n, mac_a, 1), "frame to own MAC received");
	CHECK(!passes(n, mac_b, 2), "frame to another unicast MAC dropped");
	CHECK(t_stat(d, 0, "rx drops") - drops == 1, "rx drops counted 1");
	CHECK(passes(n, bcast, 3), "broadcast received");
	CHECK(passes(n, mcast, 4), "multicast received");
	/* memcmp, not the kernel's strncmp: a MAC sharing a leading zero is
	 * not accepted for another. */
	{
		const uint8_t close[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };

		CHECK(!passes(n, close, 5), "MAC differing in the last byte dropped");
	}

	req = t_stat(d, 2, "cvq requests");
	succ = t_stat(d, 2, "cvq successes");
	CHECK(uvdpa_net_set_mac(n, mac_b) == 0, "CVQ MAC_ADDR_SET to 02:00:00:00:00:0b");
	CHECK(t_stat(d, 2, "cvq requests") - req == 1 && t_stat(d, 2, "cvq successes") - succ == 1,
	      "cvq requests and successes counted");
	CHECK(uvdpa_net_get_mac(n, mac) == 0 && memcmp(mac, mac_b, 6) == 0,
	      "config space shows the new MAC");
	drops = t_stat(d, 0, "rx drops");
	CHECK(passes(n, mac_b, 6), "filter follows: frame to the new MAC received");
	CHECK(!passes(n, mac_a, 7), "filter follows: frame to the old MAC dropped");
	CHECK(t_stat(d, 0, "rx drops") - drops == 1, "rx drops counted 1 more");
	uvdpa_net_close(n);

	/* The MAC set through the CVQ survives a reset (kernel: config not reset). */
	REQUIRE(uvdpa_net_open(v, &no_cvq, &n) == 0, "reopen without the control queue");
	CHECK(uvdpa_net_set_mac(n, mac_a) == -EOPNOTSUPP, "set_mac without CVQ: -EOPNOTSUPP");
	CHECK(uvdpa_net_set_queue_pairs(n, 1) == -EOPNOTSUPP, "queue pairs without MQ: -EOPNOTSUPP");
	CHECK(uvdpa_net_get_mac(n, mac) == 0 && memcmp(mac, mac_b, 6) == 0,
	      "MAC from the CVQ kept across reset");
	CHECK(passes(n, mac_b, 8), "and the filter still uses it");
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return t_done();
}
