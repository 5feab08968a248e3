// SPDX-License-Identifier: MIT
/*
 * Zero-copy buffers over the vhost-user front end, against uvdpad's
 * vdpasim_net and vdpasim_blk: the pool is carved from the sealed memfd
 * shared with the back end, so frames written into pool buffers reach the
 * device in another process without a copy, received frames are read in
 * place (one by one and in bursts), and blk data moves straight between the disk and pool buffers
 * (checked against the copy path). Buffers return to the pool, exhaustion
 * is -ENOBUFS, misuse -EINVAL / -EBUSY, and a pool larger than the shared
 * memory is -ENOSPC at open.
 *
 * usage: test_fe_zbuf UVDPAD UVDPA split|packed
 */
#include <errno.h>
#include <string.h>

#include "fe_test.h"

#define NZ 16u

static uint8_t ref[65536], rx_buf[65536];

static void frame(uint8_t *f, size_t len, unsigned seed)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(f, dst, 6);
	fe_pattern(f + 6, len - 6, seed, seed);
}

static void net(const char *sock, unsigned flags, const char *name)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = 1 };
	struct uvdpa_net_opts o = { .flags = flags, .zbuf_count = NZ, .zbuf_size = 9000 };
	static const size_t sizes[] = { 60, 1514, 2000, 9000 };
	unsigned i, ok = 0, copied = 0, got;
	struct uvdpa_virtio *v;
	struct uvdpa_net *n = NULL;
	void *bufs[NZ + 1];
	struct iovec iov[NZ];
	const void *f;
	int r;

	REQUIRE(fe_open(sock, &vo, &v) == 0, "[%s] vhost-user open", name);
	r = uvdpa_net_open(v, &o, &n);
	REQUIRE(r == 0, "[%s] net open with a %u x 9000 pool: %d", name, NZ, r);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *b;

		REQUIRE(uvdpa_net_zbuf_get(n, &b, NULL) == 0, "[%s] get", name);
		frame(b, sizes[i], i + 1);
		frame(ref, sizes[i], i + 1);
		r = uvdpa_net_send_zc(n, 0, b, sizes[i]);
		if (r || uvdpa_net_wait_rx(n, 0, 10000) != 1) {
			CHECK(0, "[%s] %zu-byte frame sent (%d) and back", name, sizes[i], r);
			continue;
		}
		r = uvdpa_net_recv_zc(n, 0, &f);
		if (r == -EMSGSIZE) {
			copied++;
			r = uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf));
			ok += r == (int)sizes[i] && !memcmp(rx_buf, ref, sizes[i]);
			continue;
		}
		ok += r == (int)sizes[i] && !memcmp(f, ref, sizes[i]);
		CHECK(uvdpa_net_recv_zc_release(n, 0, f) == 0, "[%s] release", name);
	}
	CHECK(ok == 4, "[%s] 60..9000-byte frames from pool buffers back byte-exact "
	      "(%u copied out: several mergeable buffers)", name, copied);
	CHECK(!(flags & UVDPA_NET_MRG_RXBUF) ? copied == 0 : copied == 1,
	      "[%s] in place unless spread over mergeable buffers", name);
	while (uvdpa_net_wait_tx(n, 0, 1000) > 0)
		;
	for (i = 0; i < NZ + 1 && uvdpa_net_zbuf_get(n, &bufs[i], NULL) == 0; i++)
		;
	CHECK(i == NZ, "[%s] all %u buffers back, then -ENOBUFS", name, i);
	CHECK(uvdpa_net_zbuf_get(n, &bufs[NZ], NULL) == -ENOBUFS, "[%s] -ENOBUFS", name);
	/* Bursts of 8, received in place, many rounds: buffers keep cycling. */
	for (unsigned round = got = 0; round < 50; round++) {
		unsigned h = (round % 2) * (NZ / 2);

		for (i = 0; i < NZ / 2; i++) {
			frame(bufs[h + i], 64 + i, round * 100 + i);
			iov[i] = (struct iovec){ bufs[h + i], 64 + i };
		}
		r = uvdpa_net_send_zc_burst(n, 0, iov, NZ / 2);
		if (r != (int)NZ / 2) {
			CHECK(0, "[%s] round %u: burst sent %d", name, round, r);
			break;
		}
		/* Odd rounds read and give back in bursts. */
		for (i = 0; i < NZ / 2 && round % 2;) {
			const void *fs[NZ / 2];
			int lens[NZ / 2];
			unsigned k;

			if (uvdpa_net_wait_rx(n, 0, 10000) != 1)
				break;
			r = uvdpa_net_recv_zc_burst(n, 0, fs, lens, NZ / 2 - i);
			if (r <= 0)
				break;
			for (k = 0; k < (unsigned)r; k++, i++) {
				frame(ref, 64 + i, round * 100 + i);
				got += lens[k] == (int)(64 + i) && !memcmp(fs[k], ref, 64 + i);
			}
			if (uvdpa_net_recv_zc_release_burst(n, 0, fs, (unsigned)r) != r) {
				CHECK(0, "[%s] round %u: release burst", name, round);
				break;
			}
		}
		for (i = 0; i < NZ / 2 && !(round % 2); i++) {
			if (uvdpa_net_wait_rx(n, 0, 10000) != 1)
				break;
			r = uvdpa_net_recv_zc(n, 0, &f);
			frame(ref, 64 + i, round * 100 + i);
			got += r == (int)(64 + i) && !memcmp(f, ref, 64 + i);
			uvdpa_net_recv_zc_release(n, 0, f);
		}
		/* Sent buffers are the pool's again once reclaimed: take them back. */
		while (uvdpa_net_wait_tx(n, 0, 1000) > 0)
			;
		for (i = 0; i < NZ / 2; i++)
			if (uvdpa_net_zbuf_get(n, &bufs[h + i], NULL))
				break;
		if (i != NZ / 2) {
			CHECK(0, "[%s] round %u: buffers back in the pool (%u)", name, round, i);
			break;
		}
	}
	CHECK(got == 50 * NZ / 2, "[%s] 50 bursts of 8 in place, byte-exact (%u)", name, got);
	/* With only zero-copy frames in flight, wait_tx waits for them. */
	for (unsigned k = 0; k < NZ; k++)
		uvdpa_net_zbuf_put(n, bufs[k]);
	for (i = ok = 0; i < 200; i++) {
		void *zb;

		if (uvdpa_net_zbuf_get(n, &zb, NULL) || uvdpa_net_send_zc(n, 0, zb, 60))
			break;
		ok += uvdpa_net_wait_tx(n, 0, 5000) == 1;
		if (uvdpa_net_wait_rx(n, 0, 5000) == 1 && uvdpa_net_recv_zc(n, 0, &f) >= 0)
			uvdpa_net_recv_zc_release(n, 0, f);
	}
	CHECK(ok == 200, "[%s] wait_tx reclaimed each lone zero-copy frame (%u of 200)", name,
	      ok);
	for (i = 0; i < NZ + 1 && uvdpa_net_zbuf_get(n, &bufs[i], NULL) == 0; i++)
		;
	CHECK(i == NZ, "[%s] all buffers back after them (%u)", name, i);
	CHECK(uvdpa_net_send_zc(n, 0, ref, 60) == -EINVAL, "[%s] heap buffer refused", name);
	CHECK(uvdpa_net_zbuf_put(n, ref) == -EINVAL, "[%s] heap buffer put refused", name);
	for (i = 0; i < NZ; i++)
		uvdpa_net_zbuf_put(n, bufs[i]);
	CHECK(uvdpa_net_zbuf_put(n, bufs[0]) == -EINVAL, "[%s] double put refused", name);
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
}

struct done {
	int res;
	unsigned n;
};

static void on_done(void *opaque, int res)
{
	struct done *d = opaque;

	if (res && !d->res)
		d->res = res;
	d->n++;
}

static void blk(const char *sock, unsigned flags)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = 2 };
	struct uvdpa_blk_opts o = { .flags = flags, .zbuf_count = 32, .zbuf_size = 65536 };
	static uint8_t chk[65536];
	struct uvdpa_blk_req reqs[32];
	void *ops[32], *bufs[33];
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b = NULL;
	struct done d = { 0, 0 };
	unsigned i, ok;
	int r;

	REQUIRE(fe_open(sock, &vo, &v) == 0, "blk vhost-user open");
	r = uvdpa_blk_open(v, &o, &b);
	REQUIRE(r == 0, "blk open with a 32 x 64 KiB pool: %d", r);
	for (i = 0; i < 33 && uvdpa_blk_zbuf_get(b, &bufs[i], NULL) == 0; i++)
		;
	CHECK(i == 32, "32 buffers, then -ENOBUFS");
	/* 32 writes deep in one burst, each 64 KiB from its pool buffer. */
	for (i = 0; i < 32; i++) {
		fe_pattern(bufs[i], 65536, i * 128, 3);
		reqs[i] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_WRITE, .sector = i * 128,
						  .buf = bufs[i], .len = 65536 };
		ops[i] = &d;
	}
	r = uvdpa_blk_submit_zc_burst(b, 0, reqs, 32, on_done, ops);
	CHECK(r > 0, "write burst submitted (%d)", r);
	CHECK(uvdpa_blk_zbuf_put(b, bufs[0]) == -EBUSY, "put of a buffer in flight: -EBUSY");
	while (d.n < (unsigned)r && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		;
	/* Submit what the ring did not take (without indirect descriptors). */
	for (i = (unsigned)r; i < 32; i++) {
		while (uvdpa_blk_submit_zc(b, 0, &reqs[i], on_done, &d) == -EAGAIN)
			uvdpa_blk_wait(b, 0, 1, 10000);
	}
	while (d.n < 32 && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		;
	CHECK(d.n == 32 && d.res == 0, "32 zero-copy writes complete (%u, %d)", d.n, d.res);
	for (i = ok = 0; i < 32; i++) {
		fe_pattern(ref, 65536, i * 128, 3);
		ok += uvdpa_blk_read(b, i * 128, chk, 65536) == 0 && !memcmp(chk, ref, 65536);
	}
	CHECK(ok == 32, "the copy path reads back all 32 (%u)", ok);
	/* Reads into pool buffers, in reverse order. */
	d = (struct done){ 0, 0 };
	for (i = 0; i < 32; i++) {
		memset(bufs[i], 0, 65536);
		reqs[i].op = UVDPA_BLK_OP_READ;
		reqs[i].sector = (31 - i) * 128;
	}
	for (i = 0; i < 32; i++)
		while (uvdpa_blk_submit_zc(b, 0, &reqs[i], on_done, &d) == -EAGAIN)
			uvdpa_blk_wait(b, 0, 1, 10000);
	while (d.n < 32 && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		;
	for (i = ok = 0; i < 32; i++) {
		fe_pattern(ref, 65536, (31 - i) * 128, 3);
		ok += !memcmp(bufs[i], ref, 65536);
	}
	CHECK(d.n == 32 && d.res == 0 && ok == 32, "32 zero-copy reads land in place (%u)", ok);
	reqs[0] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_READ, .buf = chk, .len = 4096 };
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d) == -EINVAL,
	      "heap buffer refused");
	for (i = 0; i < 32; i++)
		uvdpa_blk_zbuf_put(b, bufs[i]);
	CHECK(uvdpa_blk_zbuf_put(b, bufs[7]) == -EINVAL, "double put refused");
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
}

/* The pool comes out of the shared memory: too big is -ENOSPC at open. */
static void blk_too_big(const char *sock)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = 2, .mem_size = 8u << 20 };
	struct uvdpa_blk_opts big = { .queue_depth = 1, .zbuf_count = 16, .zbuf_size = 1 << 20 };
	struct uvdpa_blk_opts fits = { .queue_depth = 1, .zbuf_count = 2, .zbuf_size = 1 << 20 };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b = NULL;
	void *p;
	int r;

	REQUIRE(fe_open(sock, &vo, &v) == 0, "vhost-user open with 8 MiB shared");
	r = uvdpa_blk_open(v, &big, &b);
	CHECK(r == -ENOSPC, "16 MiB pool in 8 MiB: -ENOSPC (%d)", r);
	r = uvdpa_blk_open(v, &fits, &b);
	CHECK(r == 0, "2 MiB pool fits, the device usable after the refusal (%d)", r);
	if (!r) {
		size_t len = uvdpa_blk_max_transfer(b);

		len = len < (1u << 20) ? len : 1u << 20;
		CHECK(uvdpa_blk_zbuf_get(b, &p, NULL) == 0, "get");
		fe_pattern(p, len, 0, 9);
		CHECK(uvdpa_blk_submit_zc(b, 0, &(struct uvdpa_blk_req){
				.op = UVDPA_BLK_OP_WRITE, .buf = p, .len = len }, NULL, NULL) == 0 &&
		      uvdpa_blk_wait(b, 0, 1, 10000) == 1,
		      "%zu-byte (largest request) zero-copy write", len);
		fe_pattern(ref, 65536, 0, 9);
		CHECK(uvdpa_blk_read(b, 0, rx_buf, 65536) == 0 && !memcmp(rx_buf, ref, 65536),
		      "read back");
		uvdpa_blk_close(b);
	}
	uvdpa_virtio_close(v);
}

int main(int argc, char **argv)
{
	struct fe_peer peer;
	char net_sock[256];
	unsigned p;

	REQUIRE(argc >= 4, "usage: test_fe_zbuf UVDPAD UVDPA split|packed");
	p = !strcmp(argv[3], "packed") ? UVDPA_NET_PACKED : 0;
	fe_uvdpad_start(&peer, argv[1], argv[2]);
	fe_uvdpad_add(&peer, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
	snprintf(net_sock, sizeof(net_sock), "%s", peer.sock);
	fe_uvdpad_add(&peer, "b0", "vdpasim_blk", NULL, NULL);
	net(net_sock, p | UVDPA_NET_MRG_RXBUF | UVDPA_NET_INDIRECT, "mrg indirect");
	net(net_sock, p, "big direct");
	blk(peer.sock, p ? UVDPA_BLK_PACKED | UVDPA_BLK_INDIRECT : UVDPA_BLK_INDIRECT);
	blk(peer.sock, p ? UVDPA_BLK_PACKED : 0);
	blk_too_big(peer.sock);
	fe_peer_stop(&peer);
	return fe_done();
}
