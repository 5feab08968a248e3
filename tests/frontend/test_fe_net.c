// SPDX-License-Identifier: MIT
/*
 * libuvdpa's net driver over the vhost-user front end against uvdpad's
 * vdpasim_net, which loops every frame sent to its MAC back into its
 * receive queue, and against DPDK testpmd's vhost PMD in io-forward mode,
 * which sends every frame back: frames of 14 to 65535 bytes come back byte-exact with
 * split and packed rings, direct and indirect descriptors, big and
 * mergeable receive buffers. The MAC is read from the back end's config
 * space (GET_CONFIG), and the control-queue features a vhost-user back end
 * does not carry are not negotiated, even by the defaults (which ask for a
 * control queue).
 *
 * usage: test_fe_net uvdpad UVDPAD UVDPA split|packed
 *        test_fe_net testpmd split|packed
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "fe_test.h"

static const uint8_t dev_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const size_t sizes[] = { 14, 60, 1514, 4096, 9000, 65535 };
static uint8_t tx[65536], rx[65536];

static void frame(uint8_t *f, size_t len, const uint8_t dst[6], unsigned seed)
{
	static const uint8_t src[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (i = 14; i < len; i++) {
		x = x * 1103515245u + 12345u;
		f[i] = (uint8_t)(x >> 16);
	}
}

static int send_frame(struct uvdpa_net *n, const void *f, size_t len)
{
	int r, tries;

	for (tries = 0; tries < 10; tries++) {
		r = uvdpa_net_send(n, 0, f, len);
		if (r != -EAGAIN)
			return r;
		uvdpa_net_wait_tx(n, 0, 1000);
	}
	return r;
}

static bool has_mac = true;    /* testpmd offers no config space */

/* Not a uvdpa_net_opts flag: the test's own, for uvdpa_net_set_poll. */
#define POLLED (1u << 31)

#define BURST 8

/* uvdpa_net_send_burst then uvdpa_net_recv_burst: the frames come back
 * whole and in order. */
static void burst(struct uvdpa_net *n, const uint8_t mac[6], const char *name)
{
	static uint8_t out[BURST][1514], in[BURST][1514];
	struct iovec tx_v[BURST], rx_v[BURST];
	int lens[BURST], r;
	unsigned i, got = 0, sent = 0, tries, ok = 0;

	for (i = 0; i < BURST; i++) {
		size_t len = 60 + i * 180;

		frame(out[i], len, mac, 100 + i);
		tx_v[i] = (struct iovec){ out[i], len };
		rx_v[i] = (struct iovec){ in[i], sizeof(in[i]) };
	}
	for (tries = 0; sent < BURST && tries < 100; tries++) {
		r = uvdpa_net_send_burst(n, 0, tx_v + sent, BURST - sent);
		if (r < 0)
			break;
		sent += (unsigned)r;
		if (sent < BURST)
			uvdpa_net_wait_tx(n, 0, 100);
	}
	for (tries = 0; got < BURST && tries < 100; tries++) {
		if (uvdpa_net_wait_rx(n, 0, 100) != 1)
			continue;
		r = uvdpa_net_recv_burst(n, 0, rx_v + got, lens + got, BURST - got);
		if (r > 0)
			got += (unsigned)r;
	}
	for (i = 0; i < got; i++)
		ok += lens[i] == (int)tx_v[i].iov_len && !memcmp(in[i], out[i], tx_v[i].iov_len);
	CHECK(sent == BURST && got == BURST && ok == BURST,
	      "[%s] burst: %u sent, %u received, %u byte-exact and in order", name, sent, got, ok);
}

static void loopback(struct uvdpa_virtio *v, unsigned flags, const char *name)
{
	struct uvdpa_net_opts o = { .flags = flags & ~POLLED };
	struct uvdpa_net *n;
	uint8_t mac[6];
	unsigned i, ok = 0;
	int r;

	/* ~0: the defaults, which ask for a control queue when offered. */
	r = uvdpa_net_open(v, flags == ~0u ? NULL : &o, &n);
	REQUIRE(r == 0, "[%s] net open: %d", name, r);
	if (flags != ~0u && (flags & POLLED))
		REQUIRE(uvdpa_net_set_poll(n, 0, true) == 0, "[%s] pair 0 polled", name);
	/* A CTRL_VQ only where MQ is offered (a back end with several pairs,
	 * testpmd): the transport's own, whose one command is VQ_PAIRS_SET. */
	CHECK(!(uvdpa_virtio_features(v) & (1ull << VIRTIO_NET_F_CTRL_VQ)) ||
	      (uvdpa_virtio_device_features(v) & (1ull << VIRTIO_NET_F_MQ)),
	      "[%s] no control queue over vhost-user but MQ's", name);
	CHECK(uvdpa_net_set_mac(n, dev_mac) == -EOPNOTSUPP, "[%s] no MAC command over vhost-user",
	      name);
	r = uvdpa_net_get_mac(n, mac);
	if (!has_mac)
		memcpy(mac, dev_mac, 6);
	else
		CHECK(r == 0 && !memcmp(mac, dev_mac, 6),
	      "[%s] MAC %02x:%02x:%02x:%02x:%02x:%02x from GET_CONFIG", name, mac[0], mac[1],
	      mac[2], mac[3], mac[4], mac[5]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		frame(tx, sizes[i], mac, i + 3);
		memset(rx, 0xee, sizeof(rx));
		r = send_frame(n, tx, sizes[i]);
		if (r == 0)
			r = uvdpa_net_wait_rx(n, 0, 10000);
		if (r == 1)
			r = uvdpa_net_recv(n, 0, rx, sizeof(rx));
		if (r == (int)sizes[i] && !memcmp(rx, tx, sizes[i]))
			ok++;
		else
			CHECK(0, "[%s] %zu-byte frame back byte-exact (got %d)", name, sizes[i], r);
	}
	CHECK(ok == sizeof(sizes) / sizeof(sizes[0]), "[%s] %u frames looped back byte-exact",
	      name, ok);
	burst(n, mac, name);
	uvdpa_net_close(n);
}

/*
 * Many laps of the rings in bursts (in order, the back end completes a
 * burst of frames with one used entry): every frame comes back once, in
 * the order sent, byte-exact.
 */
#define LAP_FRAMES 20000
static void laps(struct uvdpa_virtio *v, unsigned flags)
{
	static uint8_t out[32][128], in[32][2048];
	struct uvdpa_net_opts o = { .flags = flags };
	struct iovec tx_v[32], rx_v[32];
	unsigned sent = 0, got = 0, bad = 0, i, idle = 0;
	struct uvdpa_net *n;
	uint8_t mac[6];
	int lens[32], r;

	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "[laps] net open");
	CHECK(!(flags & UVDPA_NET_IN_ORDER) ||
	      (uvdpa_virtio_features(v) & (1ull << VIRTIO_F_IN_ORDER)),
	      "[laps] VIRTIO_F_IN_ORDER negotiated");
	if (!has_mac || uvdpa_net_get_mac(n, mac))
		memcpy(mac, dev_mac, 6);
	for (i = 0; i < 32; i++)
		rx_v[i] = (struct iovec){ in[i], sizeof(in[i]) };
	while (got < LAP_FRAMES && idle < 1000) {
		unsigned k = LAP_FRAMES - sent < 32 ? LAP_FRAMES - sent : 32;

		/* at most a ring's worth in flight: a loopback drops what its
		 * receive queue cannot take */
		if (sent - got > 128)
			k = 0;
		for (i = 0; i < k; i++) {
			frame(out[i], 64 + (sent + i) % 64, mac, sent + i);
			memcpy(out[i] + 14, &(uint32_t){ sent + i }, 4);
			tx_v[i] = (struct iovec){ out[i], 64 + (sent + i) % 64 };
		}
		r = k ? uvdpa_net_send_burst(n, 0, tx_v, k) : 0;
		if (r > 0)
			sent += (unsigned)r;
		r = uvdpa_net_recv_burst(n, 0, rx_v, lens, 32);
		if (r <= 0) {
			if (uvdpa_net_wait_rx(n, 0, 10) != 1)
				idle++;
			continue;
		}
		idle = 0;
		for (i = 0; i < (unsigned)r; i++, got++) {
			uint8_t want[128];
			uint32_t seq;

			memcpy(&seq, in[i] + 14, 4);
			frame(want, 64 + got % 64, mac, got);
			memcpy(want + 14, &got, 4);
			if (seq != got || lens[i] != 64 + (int)(got % 64) ||
			    memcmp(in[i], want, (size_t)lens[i]))
				bad++;
		}
	}
	CHECK(got == LAP_FRAMES && sent == LAP_FRAMES && !bad,
	      "[laps] %u of %u frames back, %u out of order or damaged", got, sent, bad);
	uvdpa_net_close(n);
}

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts o = { .device_id = 1 };
	bool packed = !strcmp(argv[argc - 1], "packed");
	bool in_order_expected = strcmp(argv[1], "testpmd") != 0;   /* vdpasim_net offers it */
	unsigned p = packed ? UVDPA_NET_PACKED : 0;
	struct uvdpa_virtio *v;
	struct fe_peer peer;
	int r;

	REQUIRE(argc >= 3, "usage: test_fe_net uvdpad UVDPAD UVDPA split|packed | testpmd split|packed");
	if (!strcmp(argv[1], "testpmd")) {
		fe_testpmd_start(&peer);
		has_mac = false;
	} else {
		REQUIRE(argc >= 5, "uvdpad needs the uvdpad and uvdpa paths");
		fe_uvdpad_start(&peer, argv[2], argv[3]);
		fe_uvdpad_add(&peer, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
	}
	r = fe_open(peer.sock, &o, &v);
	REQUIRE(r == 0, "open vhost-user %s: %d", peer.sock, r);
	CHECK(uvdpa_virtio_device_id(v) == 1 && uvdpa_virtio_num_queues(v) >= 2,
	      "net device with %u rings", uvdpa_virtio_num_queues(v));
	if (!packed)
		loopback(v, ~0u, "defaults");
	loopback(v, p, "direct big");
	loopback(v, p | UVDPA_NET_MRG_RXBUF, "direct mrg");
	loopback(v, p | UVDPA_NET_INDIRECT, "indirect big");
	loopback(v, p | UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX,
		 "indirect mrg event-idx");
	loopback(v, p | UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX | POLLED,
		 "polled, indirect mrg event-idx");
	if (uvdpa_virtio_device_features(v) & (1ull << VIRTIO_F_IN_ORDER)) {
		loopback(v, p | UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX |
			 UVDPA_NET_IN_ORDER, "in order, indirect mrg event-idx");
		laps(v, p | UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX | UVDPA_NET_IN_ORDER);
	} else {
		CHECK(!in_order_expected, "VIRTIO_F_IN_ORDER offered (the back end has it)");
	}
	uvdpa_virtio_close(v);
	fe_peer_stop(&peer);
	return fe_done();
}
