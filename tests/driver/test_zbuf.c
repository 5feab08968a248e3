// SPDX-License-Identifier: MIT
/*
 * Zero-copy buffers over the in-process simulators: net frames sent from
 * pool buffers and received in place (split and packed, big and mergeable
 * receive buffers), blk READ/WRITE straight into and out of pool buffers
 * (single and burst), data verified against the copy path; buffers come
 * back to the pool; exhaustion is -ENOBUFS; foreign pointers, double
 * releases and releases of lent buffers are refused and leave the pool
 * whole. Frames are also read and given back in bursts
 * (uvdpa_net_recv_zc_burst / _release_burst).
 */
#include "drv_test.h"

static const uint8_t mac0[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac1[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static uint8_t ref[65536], rx_buf[65536];

#define NZ 16u

/* Every buffer of the pool can be taken, and then no more. */
static unsigned net_drain_pool(struct uvdpa_net *n, void **bufs, unsigned max)
{
	unsigned i = 0;

	while (i < max && uvdpa_net_zbuf_get(n, &bufs[i], NULL) == 0)
		i++;
	return i;
}

static void net_config(struct uvdpa_virtio *v, struct uvdpa_virtio *v1, const char *name,
		       unsigned flags)
{
	struct uvdpa_net_opts o = { .flags = flags, .zbuf_count = NZ, .zbuf_size = 9000 };
	static const size_t sizes[] = { 14, 60, 1514, 2000, 4096, 9000 };
	struct uvdpa_net *n = NULL, *n1 = NULL;
	void *bufs[NZ + 1], *other = NULL;
	struct iovec iov[NZ];
	unsigned i, ok = 0, inplace = 0, copied = 0;
	const void *f;
	size_t cap = 0;
	int r;

	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "[%s] open with a %u-buffer pool", name, NZ);
	r = uvdpa_net_zbuf_get(n, &bufs[0], &cap);
	CHECK(r == 0 && cap == 9000 && ((uintptr_t)bufs[0] & 63) == 0,
	      "[%s] get: 9000 bytes, 64-byte aligned (%d %zu)", name, r, cap);
	CHECK(uvdpa_net_zbuf_put(n, bufs[0]) == 0, "[%s] put back", name);

	/* Each size sent from a pool buffer comes back byte-exact. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		void *b;

		REQUIRE(uvdpa_net_zbuf_get(n, &b, NULL) == 0, "[%s] get", name);
		t_frame(b, len, mac0, i + 3);
		t_frame(ref, len, mac0, i + 3);
		r = uvdpa_net_send_zc(n, 0, b, len);
		if (r) {
			CHECK(0, "[%s] send_zc %zu: %d", name, len, r);
			continue;
		}
		if (uvdpa_net_wait_rx(n, 0, 10000) != 1) {
			CHECK(0, "[%s] %zu-byte frame arrives", name, len);
			continue;
		}
		r = uvdpa_net_recv_zc(n, 0, &f);
		if (r == -EMSGSIZE) {
			/* Several mergeable buffers: still there for a copy. */
			copied++;
			r = uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf));
			if (r == (int)len && memcmp(rx_buf, ref, len) == 0)
				ok++;
			continue;
		}
		if (r == (int)len && memcmp(f, ref, len) == 0)
			ok++, inplace++;
		CHECK(uvdpa_net_recv_zc_release(n, 0, f) == 0, "[%s] release %zu", name, len);
		CHECK(uvdpa_net_recv_zc_release(n, 0, f) == -EINVAL,
		      "[%s] second release refused", name);
	}
	CHECK(ok == 6, "[%s] 6 sizes back byte-exact (%u in place, %u copied)", name, inplace,
	      copied);
	if (flags & UVDPA_NET_MRG_RXBUF)
		CHECK(inplace == 4 && copied == 2,
		      "[%s] mergeable (2048-byte buffers): up to 2000 bytes in place, "
		      "4096 and 9000 copied", name);
	else
		CHECK(inplace == 6, "[%s] big buffers: every frame in place", name);

	/* Sent buffers return to the pool once reclaimed: all NZ again. */
	uvdpa_net_wait_tx(n, 0, 1000);
	uvdpa_net_reclaim(n, 0);
	i = net_drain_pool(n, bufs, NZ + 1);
	CHECK(i == NZ, "[%s] every buffer back in the pool (%u)", name, i);
	CHECK(uvdpa_net_zbuf_get(n, &bufs[NZ], NULL) == -ENOBUFS, "[%s] exhausted: -ENOBUFS",
	      name);

	/* Two bursts of half of them (a 256-entry ring without indirect
	 * descriptors holds 15 big receive buffers), received in place, in
	 * order. */
	for (i = 0; i < NZ; i++) {
		t_frame(bufs[i], 60 + i, mac0, 100 + i);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = 60 + i;
	}
	ok = 0;
	for (unsigned h = 0; h < NZ; h += NZ / 2) {
		r = uvdpa_net_send_zc_burst(n, 0, iov + h, NZ / 2);
		CHECK(r == (int)NZ / 2, "[%s] burst of %u sent (%d)", name, NZ / 2, r);
		CHECK(uvdpa_net_zbuf_put(n, bufs[h]) == -EBUSY,
		      "[%s] put of a sent buffer: -EBUSY", name);
		CHECK(uvdpa_net_send_zc(n, 0, bufs[h + 1], 60) == -EINVAL,
		      "[%s] sending a sent buffer again: -EINVAL", name);
		for (i = h; i < h + NZ / 2; i++) {
			if (uvdpa_net_wait_rx(n, 0, 10000) != 1)
				break;
			r = uvdpa_net_recv_zc(n, 0, &f);
			t_frame(ref, 60 + i, mac0, 100 + i);
			if (r == (int)(60 + i) && memcmp(f, ref, 60 + i) == 0)
				ok++;
			uvdpa_net_recv_zc_release(n, 0, f);
		}
	}
	CHECK(ok == NZ, "[%s] bursts back in order, in place (%u)", name, ok);
	while (uvdpa_net_wait_tx(n, 0, 1000) > 0)
		;
	i = net_drain_pool(n, bufs, NZ + 1);
	CHECK(i == NZ, "[%s] burst's buffers back in the pool (%u)", name, i);

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
	/* Misuse is refused and changes nothing. */
	CHECK(uvdpa_net_send_zc(n, 0, ref, 60) == -EINVAL, "[%s] send_zc of a heap buffer", name);
	CHECK(uvdpa_net_send_zc(n, 0, (uint8_t *)bufs[0] + 1, 60) == -EINVAL,
	      "[%s] send_zc inside a buffer", name);
	CHECK(uvdpa_net_send_zc(n, 0, bufs[0], 9001) == -EINVAL, "[%s] frame above the pool size",
	      name);
	CHECK(uvdpa_net_send_zc(n, 0, bufs[0], 13) == -EINVAL, "[%s] 13-byte frame", name);
	CHECK(uvdpa_net_send_zc(n, 1, bufs[0], 60) == -EINVAL, "[%s] no pair 1", name);
	CHECK(uvdpa_net_zbuf_put(n, ref) == -EINVAL, "[%s] put of a heap buffer", name);
	CHECK(uvdpa_net_zbuf_put(n, (uint8_t *)bufs[0] + 64) == -EINVAL,
	      "[%s] put inside a buffer", name);
	CHECK(uvdpa_net_recv_zc_release(n, 0, ref) == -EINVAL, "[%s] release of a heap buffer",
	      name);
	REQUIRE(uvdpa_net_open(v1, &o, &n1) == 0, "[%s] second device open", name);
	REQUIRE(uvdpa_net_zbuf_get(n1, &other, NULL) == 0, "[%s] its buffer", name);
	CHECK(uvdpa_net_send_zc(n, 0, other, 60) == -EINVAL,
	      "[%s] another device's buffer refused by send_zc", name);
	CHECK(uvdpa_net_zbuf_put(n, other) == -EINVAL,
	      "[%s] another device's buffer refused by put", name);
	CHECK(uvdpa_net_zbuf_put(n1, other) == 0, "[%s] its own device takes it", name);
	uvdpa_net_close(n1);
	for (i = ok = 0; i < NZ; i++)
		ok += uvdpa_net_zbuf_put(n, bufs[i]) == 0;
	CHECK(ok == NZ, "[%s] all %u held buffers put back (%u)", name, NZ, ok);
	CHECK(uvdpa_net_zbuf_put(n, bufs[3]) == -EINVAL, "[%s] double put: -EINVAL", name);
	i = net_drain_pool(n, bufs, NZ + 1);
	CHECK(i == NZ, "[%s] pool whole after the misuse: %u buffers, no duplicate", name, i);
	for (unsigned a = 0; a < i; a++)
		for (unsigned b2 = a + 1; b2 < i; b2++)
			if (bufs[a] == bufs[b2])
				CHECK(0, "[%s] buffer handed out twice", name);
	uvdpa_net_close(n);
}

/*
 * Frames read in place in bursts and given back in bursts: order, lengths,
 * data; a spread (mergeable) frame ends a burst; a refused frame stops a
 * release burst and leaves the rest held; buffers given back are used again.
 */
static void net_zc_bursts(struct uvdpa_virtio *v, const char *name, unsigned flags)
{
	struct uvdpa_net_opts o = { .flags = flags, .zbuf_count = NZ, .zbuf_size = 9000 };
	struct uvdpa_net *n = NULL;
	const void *fs[NZ + 2], *bad[2];
	int lens[NZ + 2], r;
	unsigned i, ok = 0, round;
	uint8_t frame[4096];

	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "[%s] open", name);
	CHECK(uvdpa_net_recv_zc_burst(n, 0, fs, lens, NZ) == 0, "[%s] empty: 0", name);
	CHECK(uvdpa_net_recv_zc_burst(n, 1, fs, lens, NZ) == -EINVAL, "[%s] no pair 1", name);
	CHECK(uvdpa_net_recv_zc_burst(n, 0, NULL, lens, 1) == -EINVAL, "[%s] frames NULL", name);
	CHECK(uvdpa_net_recv_zc_release_burst(n, 0, NULL, 1) == -EINVAL,
	      "[%s] release of NULL", name);

	/* More rounds than the ring has receive buffers: what a burst gives
	 * back is what the next rounds receive into. */
	for (round = 0; round < 400; round++) {
		unsigned got = 0;

		for (i = 0; i < 8; i++) {
			t_frame(frame, 60 + i, mac0, round * 8 + i);
			REQUIRE(uvdpa_net_send(n, 0, frame, 60 + i) == 0, "[%s] send", name);
		}
		for (int tries = 0; got < 8 && tries < 100; tries++) {
			r = uvdpa_net_recv_zc_burst(n, 0, fs + got, lens + got, 8 - got);
			if (r < 0)
				break;
			got += (unsigned)r;
			if (got < 8)
				uvdpa_net_wait_rx(n, 0, 20);
		}
		if (got < 8) {
			/* receive buffers given back but never offered again */
			CHECK(0, "[%s] round %u: %u of 8 frames received", name, round, got);
			break;
		}
		for (i = 0; i < got; i++) {
			t_frame(frame, 60 + i, mac0, round * 8 + i);
			ok += lens[i] == (int)(60 + i) && memcmp(fs[i], frame, 60 + i) == 0;
		}
		if (round == 0 && got >= 3) {
			/* A foreign pointer second: one given back, the rest held. */
			bad[0] = fs[0];
			bad[1] = frame;
			CHECK(uvdpa_net_recv_zc_release_burst(n, 0, bad, 2) == 1,
			      "[%s] release burst stops at a foreign frame", name);
			CHECK(uvdpa_net_recv_zc_release_burst(n, 0, fs, 1) == -EINVAL,
			      "[%s] a released frame is refused first: -EINVAL", name);
			r = uvdpa_net_recv_zc_release_burst(n, 0, fs + 1, got - 1);
			CHECK(r == (int)got - 1, "[%s] the held rest given back (%d)", name, r);
			continue;
		}
		r = uvdpa_net_recv_zc_release_burst(n, 0, fs, got);
		CHECK(r == (int)got, "[%s] round %u: %u given back (%d)", name, round, got, r);
	}
	CHECK(ok == 400 * 8, "[%s] %u of 3200 frames in place, in order, byte-exact", name, ok);

	/* Mergeable 2048-byte buffers: a 4096-byte frame ends the burst. */
	if (flags & UVDPA_NET_MRG_RXBUF) {
		unsigned done = 0;

		while (uvdpa_net_wait_tx(n, 0, 100) > 0)
			;
		t_frame(frame, 100, mac0, 1);
		uvdpa_net_send(n, 0, frame, 100);
		t_frame(frame, 4096, mac0, 2);
		uvdpa_net_send(n, 0, frame, 4096);
		/* vdpasim_net publishes received frames before it completes
		 * the sent ones: both sent back means both in. */
		for (i = 0; i < 100 && done < 2; i++) {
			r = uvdpa_net_wait_tx(n, 0, 100);
			done += r > 0 ? (unsigned)r : 0;
		}
		r = uvdpa_net_recv_zc_burst(n, 0, fs, lens, 4);
		CHECK(r == 1 && lens[0] == 100, "[%s] burst stops before a spread frame (%d)",
		      name, r);
		if (r == 1)
			uvdpa_net_recv_zc_release_burst(n, 0, fs, 1);
		r = uvdpa_net_recv_zc_burst(n, 0, fs, lens, 4);
		CHECK(r == -EMSGSIZE, "[%s] spread frame first: -EMSGSIZE (%d)", name, r);
		r = uvdpa_net_recv(n, 0, rx_buf, sizeof(rx_buf));
		CHECK(r == 4096 && memcmp(rx_buf, frame, 4096) == 0,
		      "[%s] the spread frame copied out after it (%d)", name, r);
	}
	uvdpa_net_close(n);
}

static void net_no_pool(struct uvdpa_virtio *v)
{
	struct uvdpa_net_opts big = { .zbuf_count = 1, .zbuf_size = 65536 };
	struct uvdpa_net *n = NULL;
	void *b;

	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "open without a pool");
	CHECK(uvdpa_net_zbuf_get(n, &b, NULL) == -EOPNOTSUPP, "no pool: get -EOPNOTSUPP");
	CHECK(uvdpa_net_send_zc(n, 0, ref, 60) == -EINVAL, "no pool: send_zc -EINVAL");
	uvdpa_net_close(n);
	CHECK(uvdpa_net_open(v, &big, &n) == -EINVAL, "pool of 65536-byte frames refused");
}

/* ---- blk ---- */

struct done {
	int res;
	unsigned n;
};

static void on_done(void *opaque, int res)
{
	struct done *d = opaque;

	d->n++;
	if (res)
		d->res = res;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed * 7 + (i >> 9));
}

static void blk_zc(struct uvdpa_virtio *v, const char *name, unsigned flags)
{
	struct uvdpa_blk_opts o = { .flags = flags, .zbuf_count = 8, .zbuf_size = 65536 };
	struct uvdpa_blk_req reqs[8];
	struct uvdpa_blk *b = NULL;
	struct done d = { 0, 0 };
	void *bufs[9], *rb;
	static uint8_t chk[65536];
	size_t cap = 0;
	unsigned i, ok;
	int r;

	REQUIRE(uvdpa_blk_open(v, &o, &b) == 0, "[%s] blk open with an 8 x 64 KiB pool", name);
	for (i = 0; i < 8; i++)
		REQUIRE(uvdpa_blk_zbuf_get(b, &bufs[i], &cap) == 0 && cap == 65536,
			"[%s] get %u", name, i);
	CHECK(uvdpa_blk_zbuf_get(b, &bufs[8], NULL) == -ENOBUFS, "[%s] 9th: -ENOBUFS", name);

	/* One write from a pool buffer, read back by the copy path. */
	fill(bufs[0], 65536, 1);
	reqs[0] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_WRITE, .sector = 64,
					  .buf = bufs[0], .len = 65536 };
	r = uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d);
	CHECK(r == 0, "[%s] submit_zc write (%d)", name, r);
	CHECK(uvdpa_blk_zbuf_put(b, bufs[0]) == -EBUSY, "[%s] put while in flight: -EBUSY", name);
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d) == -EINVAL,
	      "[%s] the lent buffer in a second request: -EINVAL", name);
	CHECK(uvdpa_blk_wait(b, 0, 1, 10000) == 1 && d.res == 0 && d.n == 1,
	      "[%s] write completes", name);
	fill(ref, 65536, 1);
	CHECK(uvdpa_blk_read(b, 64, chk, 65536) == 0 && memcmp(chk, ref, 65536) == 0,
	      "[%s] copy path reads what the pool buffer wrote", name);

	/* Read into the middle of another buffer. */
	memset(bufs[1], 0, 65536);
	rb = (uint8_t *)bufs[1] + 4096;
	reqs[1] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_READ, .sector = 72,
					  .buf = rb, .len = 8192 };
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[1], on_done, &d) == 0, "[%s] submit_zc read", name);
	CHECK(uvdpa_blk_wait(b, 0, 1, 10000) == 1 && d.res == 0, "[%s] read completes", name);
	CHECK(memcmp(rb, ref + 4096, 8192) == 0 && ((uint8_t *)bufs[1])[0] == 0 &&
	      ((uint8_t *)bufs[1])[4096 + 8192] == 0,
	      "[%s] read landed in place, nothing around it touched", name);

	/* A burst of 8 writes, then a burst of 8 reads into other buffers. */
	for (i = 0; i < 8; i++) {
		fill(bufs[i], 65536, 10 + i);
		reqs[i] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_WRITE,
						  .sector = 1024 + i * 128, .buf = bufs[i],
						  .len = 65536 };
	}
	d = (struct done){ 0, 0 };
	r = uvdpa_blk_submit_zc_burst(b, 0, reqs, 8, on_done, (void *[]){ &d, &d, &d, &d,
								     &d, &d, &d, &d });
	CHECK(r == 8, "[%s] write burst of 8 (%d)", name, r);
	while (d.n < 8 && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		;
	CHECK(d.n == 8 && d.res == 0, "[%s] burst completes (%u)", name, d.n);
	for (i = 0; i < 8; i++) {
		memset(bufs[i], 0, 65536);
		reqs[i].op = UVDPA_BLK_OP_READ;
		reqs[i].sector = 1024 + (7 - i) * 128;
	}
	d = (struct done){ 0, 0 };
	r = uvdpa_blk_submit_zc_burst(b, 0, reqs, 8, on_done, (void *[]){ &d, &d, &d, &d,
								     &d, &d, &d, &d });
	while (d.n < 8 && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		;
	for (i = ok = 0; i < 8; i++) {
		fill(ref, 65536, 10 + 7 - i);
		ok += memcmp(bufs[i], ref, 65536) == 0;
	}
	CHECK(r == 8 && d.res == 0 && ok == 8, "[%s] read burst: 8 x 64 KiB in place (%u)", name,
	      ok);

	/* Misuse. */
	reqs[0] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_WRITE, .buf = chk, .len = 4096 };
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d) == -EINVAL,
	      "[%s] heap buffer: -EINVAL", name);
	reqs[0].buf = (uint8_t *)bufs[0] + 65536 - 512;
	reqs[0].len = 1024;
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d) == -EINVAL,
	      "[%s] range over the buffer's end: -EINVAL", name);
	reqs[0] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_FLUSH, .buf = bufs[0] };
	CHECK(uvdpa_blk_submit_zc(b, 0, &reqs[0], on_done, &d) == -EINVAL,
	      "[%s] FLUSH through submit_zc: -EINVAL", name);
	reqs[0] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_READ, .buf = bufs[2], .len = 512 };
	reqs[1] = reqs[0];
	d = (struct done){ 0, 0 };
	r = uvdpa_blk_submit_zc_burst(b, 0, reqs, 2, on_done, (void *[]){ &d, &d });
	CHECK(r == 1, "[%s] one buffer twice in a burst: the second refused (%d)", name, r);
	uvdpa_blk_wait(b, 0, 1, 10000);
	CHECK(uvdpa_blk_zbuf_put(b, chk) == -EINVAL, "[%s] put of a heap buffer", name);
	for (i = 0; i < 8; i++)
		CHECK(uvdpa_blk_zbuf_put(b, bufs[i]) == 0, "[%s] put %u", name, i);
	CHECK(uvdpa_blk_zbuf_put(b, bufs[5]) == -EINVAL, "[%s] double put: -EINVAL", name);
	for (i = 0; i < 9 && uvdpa_blk_zbuf_get(b, &bufs[i], NULL) == 0; i++)
		;
	CHECK(i == 8, "[%s] pool whole after the misuse (%u)", name, i);
	uvdpa_blk_close(b);
}

static void blk_bad_opts(struct uvdpa_virtio *v)
{
	struct uvdpa_blk_opts o = { .zbuf_count = 4, .zbuf_size = 1000 };
	struct uvdpa_blk *b = NULL;
	void *p;

	CHECK(uvdpa_blk_open(v, &o, &b) == -EINVAL, "blk pool of 1000-byte buffers refused");
	REQUIRE(uvdpa_blk_open(v, NULL, &b) == 0, "blk open without a pool");
	CHECK(uvdpa_blk_zbuf_get(b, &p, NULL) == -EOPNOTSUPP, "blk no pool: -EOPNOTSUPP");
	uvdpa_blk_close(b);
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *d0 = t_net_dev(bus, "net0", mac0);
	struct uvdpa_device *d1 = t_net_dev(bus, "net1", mac1);
	struct uvdpa_device *db = t_dev(bus, "vdpasim_blk", "blk0", NULL);
	struct uvdpa_virtio *v0 = NULL, *v1 = NULL, *vb = NULL;

	REQUIRE(uvdpa_virtio_open_local(d0, &v0) == 0 && uvdpa_virtio_open_local(d1, &v1) == 0 &&
		uvdpa_virtio_open_local(db, &vb) == 0, "open_local net0, net1, blk0");
	net_config(v0, v1, "split mrg", UVDPA_NET_MRG_RXBUF);
	net_config(v0, v1, "split indirect big", UVDPA_NET_INDIRECT);
	net_config(v0, v1, "packed mrg evidx", UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF |
		   UVDPA_NET_EVENT_IDX);
	net_config(v0, v1, "packed big", UVDPA_NET_PACKED);
	net_zc_bursts(v0, "bursts split mrg", UVDPA_NET_MRG_RXBUF);
	net_zc_bursts(v0, "bursts packed big", UVDPA_NET_PACKED);
	net_zc_bursts(v0, "bursts packed mrg", UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF);
	net_no_pool(v0);
	blk_zc(vb, "split", 0);
	blk_zc(vb, "split indirect", UVDPA_BLK_INDIRECT);
	blk_zc(vb, "packed indirect evidx", UVDPA_BLK_PACKED | UVDPA_BLK_INDIRECT |
	       UVDPA_BLK_EVENT_IDX);
	blk_bad_opts(vb);
	uvdpa_virtio_close(v0);
	uvdpa_virtio_close(v1);
	uvdpa_virtio_close(vb);
	uvdpa_bus_free(bus);
	return t_done();
}
