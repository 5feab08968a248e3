/* SPDX-License-Identifier: MIT */
/*
 * uvdpa-demo: the simulators driven by libuvdpa's in-process drivers, the
 * userspace counterpart of binding vdpasim_net and vdpasim_blk to
 * virtio_vdpa. It prints what happened at each step and exits non-zero if
 * any step does not do what the device model promises.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uvdpa/uvdpa.h>
#include <uvdpa/local.h>
#include <uvdpa/vdpa_abi.h>

static int failures;

static void step(bool ok, const char *what)
{
	printf("  %-58s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void print_stats(struct uvdpa_device *d, uint16_t qidx)
{
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	int n = d->ops->get_vendor_vq_stats(d, qidx, st, UVDPA_MAX_VQ_STATS);

	if (n < 0) {
		printf("  vq %u: no vendor statistics (%s)\n", qidx, strerror(-n));
		return;
	}
	printf("  vq %u:", qidx);
	for (int i = 0; i < n; i++)
		printf(" %s %llu%s", st[i].name, (unsigned long long)st[i].value,
		       i + 1 < n ? "," : "");
	printf("\n");
}

static void frame_fill(uint8_t *f, size_t len, const uint8_t dst[6], unsigned seed)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;                   /* local experimental ethertype */
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
}

/* Sends one frame and waits for it to come back through the loopback. */
static bool net_roundtrip(struct uvdpa_net *n, const uint8_t dst[6], size_t len, unsigned seed)
{
	static uint8_t tx[UVDPA_NET_FRAME_MAX], rx[UVDPA_NET_FRAME_MAX];
	int got;

	frame_fill(tx, len, dst, seed);
	if (uvdpa_net_send(n, 0, tx, len) < 0)
		return false;
	if (uvdpa_net_wait_rx(n, 0, 2000) <= 0)
		return false;
	got = uvdpa_net_recv(n, 0, rx, sizeof(rx));
	uvdpa_net_reclaim(n, 0);
	return got == (int)len && memcmp(tx, rx, len) == 0;
}

static void demo_net(struct uvdpa_bus *bus)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	static const size_t sizes[] = { 14, 64, 1514, 9000, 65535 };
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net");
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	struct uvdpa_net_config nc;
	uint8_t tx[64];
	char what[80];

	memcpy(cfg.net.mac, mac, 6);
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR);
	printf("vdpa-net1 (vdpasim_net, mac 52:54:00:12:34:56), in-process virtio-net driver\n");
	step(m && uvdpa_bus_dev_add(bus, m, "vdpa-net1", &cfg, &d, NULL) == 0, "dev add");
	if (!d)
		return;
	step(uvdpa_virtio_open_local(d, &v) == 0, "attach: reset, ACK, DRIVER, FEATURES_OK, DRIVER_OK");
	if (!v)
		return;
	step(uvdpa_net_open(v, NULL, &n) == 0, "virtio-net: rx/tx/cvq set up, rx buffers posted");
	if (!n)
		goto out;
	printf("  negotiated features 0x%llx\n", (unsigned long long)uvdpa_virtio_features(v));
	step(uvdpa_net_get_config(n, &nc) == 0 && memcmp(nc.mac, mac, 6) == 0 && nc.mtu == 1500,
	     "config: mac as provisioned, mtu 1500, link up");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(what, sizeof(what), "%zu-byte frame to own mac looped back byte-exact", sizes[i]);
		step(net_roundtrip(n, mac, sizes[i], (unsigned)i), what);
	}
	frame_fill(tx, sizeof(tx), other, 0);
	step(uvdpa_net_send(n, 0, tx, sizeof(tx)) == 0 && uvdpa_net_wait_rx(n, 0, 200) == 0,
	     "frame to another unicast mac dropped by the filter");
	uvdpa_net_wait_tx(n, 0, 1000);
	uvdpa_net_reclaim(n, 0);
	step(uvdpa_net_set_mac(n, other) == 0, "cvq: MAC_ADDR_SET 52:54:00:aa:bb:cc");
	step(net_roundtrip(n, other, 128, 9), "filter follows the new mac");
	print_stats(d, 0);
	print_stats(d, 1);
	print_stats(d, 2);
out:
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
}

static void demo_blk(struct uvdpa_bus *bus)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk");
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_blk *b = NULL;
	char id[UVDPA_BLK_ID_BYTES + 1];
	uint8_t wbuf[8192], rbuf[8192];
	uint64_t cap, last;

	printf("vdpa-blk1 (vdpasim_blk, 128 MiB RAM disk), in-process virtio-blk driver\n");
	step(m && uvdpa_bus_dev_add(bus, m, "vdpa-blk1", &cfg, &d, NULL) == 0, "dev add");
	if (!d || uvdpa_virtio_open_local(d, &v) != 0 || uvdpa_blk_open(v, NULL, &b) != 0) {
		step(false, "attach virtio-blk");
		uvdpa_virtio_close(v);
		return;
	}
	cap = uvdpa_blk_capacity(b);
	last = cap - sizeof(wbuf) / 512;
	printf("  capacity %llu sectors (%llu MiB)\n", (unsigned long long)cap,
	       (unsigned long long)(cap / 2048));
	step(uvdpa_blk_get_id(b, id) == 0 && strcmp(id, "vdpa_blk_sim") == 0, "GET_ID: vdpa_blk_sim");
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (uint8_t)(i * 13 + 5);
	step(uvdpa_blk_write(b, last, wbuf, sizeof(wbuf)) == 0 &&
	     uvdpa_blk_read(b, last, rbuf, sizeof(rbuf)) == 0 &&
	     memcmp(wbuf, rbuf, sizeof(wbuf)) == 0, "write then read back the last 8 KiB");
	step(uvdpa_blk_read(b, cap, rbuf, 512) == -EIO, "read past the end: IOERR");
	step(uvdpa_blk_write(b, cap - 1, wbuf, 1024) == -EIO &&
	     uvdpa_blk_read(b, last, rbuf, sizeof(rbuf)) == 0 &&
	     memcmp(wbuf, rbuf, sizeof(wbuf)) == 0, "write straddling the end: IOERR, disk untouched");
	step(uvdpa_blk_flush(b) == 0, "FLUSH");
	step(uvdpa_blk_write_zeroes(b, last, 16, 0) == 0 &&
	     uvdpa_blk_read(b, last, rbuf, sizeof(rbuf)) == 0 && rbuf[0] == 0 &&
	     memcmp(rbuf, rbuf + 1, sizeof(rbuf) - 1) == 0, "WRITE_ZEROES then read zeroes");
	step(uvdpa_blk_discard(b, 0, 2048) == 0, "DISCARD the first MiB");
	print_stats(d, 0);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
}

int main(void)
{
	struct uvdpa_bus *bus = uvdpa_bus_new();

	if (!bus || uvdpa_bus_register_builtin(bus) != 0) {
		fprintf(stderr, "uvdpa-demo: cannot create the bus\n");
		return 1;
	}
	demo_net(bus);
	demo_blk(bus);
	uvdpa_bus_free(bus);
	printf("%s\n", failures ? "uvdpa-demo: some steps FAILED" : "uvdpa-demo: all steps ok");
	return failures ? 1 : 0;
}
