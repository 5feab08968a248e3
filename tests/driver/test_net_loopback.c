// SPDX-License-Identifier: MIT
/*
 * virtio-net over vdpasim_net: frames of 14 to 65535 bytes come back
 * byte-exact through every ring layout (split, packed), descriptor style
 * (direct, indirect) and receive buffer style (big, mergeable), and the
 * device's statistics count exactly what was sent.
 */
#include "drv_test.h"

#define HDR 12u   /* virtio_net_hdr_v1 */

static const uint8_t dev_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const size_t sizes[] = { 14, 60, 1514, 4096, 9000, 65535 };

struct config {
	const char *name;
	unsigned flags;
	uint16_t qsize;
};

static const struct config configs[] = {
	{ "split direct big", 0, 0 },
	{ "split direct mrg", UVDPA_NET_MRG_RXBUF, 0 },
	{ "split indirect big", UVDPA_NET_INDIRECT, 0 },
	{ "split indirect mrg", UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF, 0 },
	{ "split evidx indirect mrg cvq", UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF |
		UVDPA_NET_EVENT_IDX | UVDPA_NET_CTRL_VQ, 0 },
	{ "packed direct big", UVDPA_NET_PACKED, 0 },
	{ "packed direct mrg", UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF, 0 },
	{ "packed indirect big", UVDPA_NET_PACKED | UVDPA_NET_INDIRECT, 0 },
	{ "packed indirect mrg evidx", UVDPA_NET_PACKED | UVDPA_NET_INDIRECT |
		UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX, 0 },
	{ "split direct big, 16-entry ring", 0, 16 },
	{ "packed direct mrg, 20-entry ring", UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF, 20 },
};

static uint8_t tx_buf[65536], rx_buf[65536];

static void run_config(struct uvdpa_device *d, struct uvdpa_virtio *v, const struct config *c)
{
	struct uvdpa_net_opts o = { .queue_size = c->qsize, .flags = c->flags };
	uint64_t rxp0 = t_stat(d, 0, "rx packets"), rxb0 = t_stat(d, 0, "rx bytes");
	uint64_t txp0 = t_stat(d, 1, "tx packets"), txb0 = t_stat(d, 1, "tx bytes");
	uint64_t bytes = 0;
	struct uvdpa_net *n = NULL;
	unsigned i, ok = 0;
	int r;

	r = uvdpa_net_open(v, &o, &n);
	REQUIRE(r == 0, "[%s] open: %d", c->name, r);
	CHECK(uvdpa_virtio_status(v) == (UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
					 UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK),
	      "[%s] status ACK|DRIVER|FEATURES_OK|DRIVER_OK", c->name);
	CHECK(((uvdpa_virtio_features(v) >> 34) & 1) == !!(c->flags & UVDPA_NET_PACKED) &&
	      ((uvdpa_virtio_features(v) >> 28) & 1) == !!(c->flags & UVDPA_NET_INDIRECT) &&
	      ((uvdpa_virtio_features(v) >> 15) & 1) == !!(c->flags & UVDPA_NET_MRG_RXBUF) &&
	      ((uvdpa_virtio_features(v) >> 33) & 1),
	      "[%s] negotiated exactly what was asked (features 0x%llx)", c->name,
	      (unsigned long long)uvdpa_virtio_features(v));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];

		t_frame(tx_buf, len, dev_mac, i + 7);
		memset(rx_buf, 0xee, sizeof(rx_buf));
		r = t_send(n, 0, tx_buf, len);
		if (r) {
			CHECK(0, "[%s] send %zu: %d", c->name, len, r);
			continue;
		}
		bytes += HDR + len;
		r = uvdpa_net_wait_rx(n, 0, 10000);
		if (r != 1) {
			CHECK(0, "[%s] frame of %zu bytes arrives: %d", c->name, len, r);
			continue;
		}
		r = uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf));
		if (r == (int)len && memcmp(rx_buf, tx_buf, len) == 0)
			ok++;
		else
			CHECK(0, "[%s] %zu bytes back byte-exact (got %d)", c->name, len, r);
	}
	CHECK(ok == sizeof(sizes) / sizeof(sizes[0]),
	      "[%s] sizes 14..65535 looped back byte-exact", c->name);
	CHECK(uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf)) == -EAGAIN,
	      "[%s] nothing more received", c->name);
	CHECK(uvdpa_net_reclaim(n, 0) >= 0, "[%s] reclaim", c->name);
	CHECK(t_stat(d, 0, "rx packets") - rxp0 == ok && t_stat(d, 1, "tx packets") - txp0 == ok,
	      "[%s] stats: %u rx packets, %u tx packets", c->name, ok, ok);
	CHECK(t_stat(d, 1, "tx bytes") - txb0 == bytes && t_stat(d, 0, "rx bytes") - rxb0 == bytes,
	      "[%s] stats: tx bytes and rx bytes = %llu (frames + headers)", c->name,
	      (unsigned long long)bytes);
	uvdpa_net_close(n);
	CHECK(uvdpa_virtio_status(v) == UVDPA_STATUS_ACKNOWLEDGE,
	      "[%s] closed: device reset, ACKNOWLEDGE only", c->name);
}

/* A burst larger than the TX slots, drained as it goes: order is kept. */
static void run_burst(struct uvdpa_virtio *v)
{
	enum { N = 1000, LEN = 60, B = 32 };
	struct iovec iov[B];
	static uint8_t frames[B][LEN];
	struct uvdpa_net *n = NULL;
	unsigned sent = 0, got = 0, bad = 0, i;
	int r;

	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "open with defaults");
	while (got < N) {
		unsigned want = N - sent < B ? N - sent : B;

		for (i = 0; i < want; i++) {
			t_frame(frames[i], LEN, dev_mac, sent + i);
			iov[i].iov_base = frames[i];
			iov[i].iov_len = LEN;
		}
		r = want ? uvdpa_net_send_burst(n, 0, iov, want) : 0;
		if (r < 0)
			break;
		sent += (unsigned)r;
		while (got < sent) {
			if (uvdpa_net_wait_rx(n, 0, 10000) != 1)
				goto out;
			r = uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf));
			t_frame(tx_buf, LEN, dev_mac, got);
			if (r != LEN || memcmp(rx_buf, tx_buf, LEN))
				bad++;
			got++;
		}
	}
out:
	CHECK(got == N && bad == 0, "burst: %u of %u frames back in order, %u bad", got, N, bad);
	CHECK(uvdpa_net_send_burst(n, 0, iov, 0) == 0, "empty burst sends nothing");
	iov[0].iov_len = 13;
	CHECK(uvdpa_net_send_burst(n, 0, iov, 1) == -EINVAL, "13-byte frame refused");
	CHECK(uvdpa_net_send(n, 0, tx_buf, 65536) == -EINVAL, "65536-byte frame refused");
	CHECK(uvdpa_net_send(n, 1, tx_buf, 60) == -EINVAL, "no queue pair 1");
	/* A frame too big for the caller's buffer is cut, its length told. */
	t_frame(tx_buf, 1514, dev_mac, 99);
	t_send(n, 0, tx_buf, 1514);
	uvdpa_net_wait_rx(n, 0, 10000);
	memset(rx_buf, 0, 200);
	r = uvdpa_net_recv(n, 0, rx_buf, 100);
	CHECK(r == 1514 && memcmp(rx_buf, tx_buf, 100) == 0 && rx_buf[100] == 0,
	      "truncated receive copies 100 bytes and returns 1514 (%d)", r);
	uvdpa_net_close(n);
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *d = t_net_dev(bus, "net0", dev_mac);
	struct uvdpa_virtio *v = NULL;
	unsigned i;

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	CHECK(uvdpa_virtio_device_id(v) == 1, "device id 1 (net)");
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		run_config(d, v, &configs[i]);
	run_burst(v);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return t_done();
}
