// SPDX-License-Identifier: MIT
/*
 * libuvdpa's blk driver over the vhost-user front end, against real back
 * ends: qemu-storage-daemon (null-co with read-zeroes, a file with
 * aio=io_uring) and uvdpad's vdpasim_blk (split and packed). Data goes out
 * and comes back byte-exact, synchronously and 32 requests deep; a flushed
 * write is in the file when the host reads it; the device can be closed and
 * probed again on the same connection.
 *
 * usage: test_fe_blk qsd-null | qsd-file | uvdpad UVDPAD UVDPA [packed]
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fe_test.h"

#define DISK_BYTES (64u << 20)
#define QD 32

enum mode { QSD_NULL, QSD_FILE, UVDPAD };

static uint8_t wbuf[1 << 20], rbuf[1 << 20];

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

static void sync_io(struct uvdpa_blk *b, enum mode m)
{
	static const size_t lens[] = { 512, 4096, 65536, 1 << 20 };
	unsigned i;
	int r;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint64_t sector = 8 + i * 4096;

		fe_pattern(wbuf, lens[i], sector, i);
		r = uvdpa_blk_write(b, sector, wbuf, lens[i]);
		CHECK(r == 0, "write %zu bytes at sector %llu: %d", lens[i],
		      (unsigned long long)sector, r);
		memset(rbuf, 0xa5, lens[i]);
		r = uvdpa_blk_read(b, sector, rbuf, lens[i]);
		if (m == QSD_NULL) {
			memset(wbuf, 0, lens[i]);       /* null-co drops writes, reads zeroes */
			CHECK(r == 0 && !memcmp(rbuf, wbuf, lens[i]),
			      "read %zu bytes gives zeroes: %d", lens[i], r);
		} else {
			CHECK(r == 0 && !memcmp(rbuf, wbuf, lens[i]),
			      "read %zu bytes gives the pattern back: %d", lens[i], r);
		}
	}
}

/* Without indirect descriptors a ring holds fewer requests than QD: wait
 * for one to finish when it is full, as an application would. */
static int submit(struct uvdpa_blk *b, const struct uvdpa_blk_req *req, struct done *d)
{
	int r = uvdpa_blk_submit(b, 0, req, on_done, d);

	if (r == -EAGAIN && uvdpa_blk_wait(b, 0, 1, 10000) > 0)
		r = uvdpa_blk_submit(b, 0, req, on_done, d);
	return r;
}

/* Up to QD requests in flight: 4 KiB writes, then reads of the same. */
static void deep_io(struct uvdpa_blk *b, enum mode m)
{
	static uint8_t rd[QD][4096];
	struct uvdpa_blk_req req = { .len = 4096 };
	struct done d = { 0 };
	unsigned i, bad = 0;
	int r;

	for (i = 0; i < QD; i++) {
		req.op = UVDPA_BLK_OP_WRITE;
		req.sector = 20000 + i * 24;
		req.buf = wbuf;
		fe_pattern(wbuf, 4096, req.sector, 77);
		r = submit(b, &req, &d);
		CHECK(r == 0, "submit write %u: %d", i, r);
	}
	uvdpa_blk_wait(b, 0, QD - d.n, 10000);
	CHECK(d.n == QD && d.res == 0, "%d writes in flight complete (%u, res %d)",
	      QD, d.n, d.res);
	memset(&d, 0, sizeof(d));
	for (i = 0; i < QD; i++) {
		req.op = UVDPA_BLK_OP_READ;
		req.sector = 20000 + i * 24;
		req.buf = rd[i];
		r = submit(b, &req, &d);
		CHECK(r == 0, "submit read %u: %d", i, r);
	}
	uvdpa_blk_wait(b, 0, QD - d.n, 10000);
	CHECK(d.n == QD && d.res == 0, "%d reads in flight complete", QD);
	for (i = 0; i < QD; i++) {
		if (m == QSD_NULL)
			memset(wbuf, 0, 4096);
		else
			fe_pattern(wbuf, 4096, 20000 + i * 24, 77);
		bad += memcmp(rd[i], wbuf, 4096) != 0;
	}
	CHECK(bad == 0, "every read in flight got its own sector's data (%u wrong)", bad);
}

/* Per-request completion of a burst: each callback must get its own opaque. */
struct burst_done {
	unsigned n;
	int res;
};

static void on_burst(void *opaque, int res)
{
	struct burst_done *d = opaque;

	d->n++;
	d->res = res;
}

/* Submits all QD in bursts, waiting when the ring is full; 0 or the error. */
static int burst_all(struct uvdpa_blk *b, const struct uvdpa_blk_req *reqs,
		     void *const *opaques)
{
	unsigned sent = 0;
	int r;

	while (sent < QD) {
		r = uvdpa_blk_submit_burst(b, 0, reqs + sent, QD - sent, on_burst, opaques + sent);
		if (r < 0)
			return r;
		if (r == 0 && uvdpa_blk_wait(b, 0, 1, 10000) <= 0)
			return -ETIMEDOUT;
		sent += (unsigned)r;
	}
	return uvdpa_blk_wait(b, 0, uvdpa_blk_inflight(b, 0), 10000) < 0 ? -EIO : 0;
}

static unsigned burst_misses(const struct burst_done *d)
{
	unsigned i, bad = 0;

	for (i = 0; i < QD; i++)
		bad += d[i].n != 1 || d[i].res != 0;
	return bad;
}

/* uvdpa_blk_submit_burst: QD writes, then QD reads of them, one call each. */
static void burst_io(struct uvdpa_blk *b, enum mode m)
{
	static uint8_t wr[QD][4096], rd[QD][4096];
	struct uvdpa_blk_req reqs[QD];
	struct burst_done d[QD];
	void *op[QD];
	unsigned i, bad = 0;
	int r;

	memset(d, 0, sizeof(d));
	for (i = 0; i < QD; i++) {
		reqs[i] = (struct uvdpa_blk_req){ .op = UVDPA_BLK_OP_WRITE, .sector = 40000 + i * 8,
						  .buf = wr[i], .len = 4096 };
		fe_pattern(wr[i], 4096, reqs[i].sector, 91);
		op[i] = &d[i];
	}
	r = burst_all(b, reqs, op);
	CHECK(r == 0 && burst_misses(d) == 0, "burst of %d writes: each completes once, OK (%d)",
	      QD, r);
	memset(d, 0, sizeof(d));
	for (i = 0; i < QD; i++) {
		reqs[i].op = UVDPA_BLK_OP_READ;
		reqs[i].buf = rd[i];
	}
	r = burst_all(b, reqs, op);
	CHECK(r == 0 && burst_misses(d) == 0, "burst of %d reads: each completes once, OK (%d)",
	      QD, r);
	for (i = 0; i < QD; i++)
		bad += memcmp(rd[i], m == QSD_NULL ? memset(wbuf, 0, 4096) : wr[i], 4096) != 0;
	CHECK(bad == 0, "every read of the burst got its own sector's data (%u wrong)", bad);

	reqs[1].len = 100;
	r = uvdpa_blk_submit_burst(b, 0, reqs, 3, on_burst, op);
	CHECK(r == 1, "a bad request stops the burst there: %d submitted", r);
	r = uvdpa_blk_submit_burst(b, 0, reqs + 1, 2, on_burst, op + 1);
	CHECK(r == -EINVAL, "and, first in a burst, gives its error: %d", r);
	uvdpa_blk_wait(b, 0, uvdpa_blk_inflight(b, 0), 10000);
}

static void host_check(const char *file)
{
	int fd = open(file, O_RDONLY);
	ssize_t n;

	REQUIRE(fd >= 0, "open %s", file);
	fe_pattern(wbuf, 1 << 20, 8 + 3 * 4096, 3);
	n = pread(fd, rbuf, 1 << 20, (8 + 3 * 4096) * 512ull);
	CHECK(n == 1 << 20 && !memcmp(rbuf, wbuf, 1 << 20),
	      "after flush the host reads the 1 MiB pattern from the file");
	fe_pattern(wbuf, 4096, 20000 + 5 * 24, 77);
	n = pread(fd, rbuf, 4096, (20000 + 5 * 24) * 512ull);
	CHECK(n == 4096 && !memcmp(rbuf, wbuf, 4096), "and a write that was in flight");
	close(fd);
}

static void run(struct uvdpa_virtio *v, enum mode m, unsigned flags, const char *file)
{
	struct uvdpa_blk_opts o = { .flags = flags };
	struct uvdpa_blk *b;
	int r;

	r = uvdpa_blk_open(v, &o, &b);
	REQUIRE(r == 0, "blk open (flags 0x%x): %d", flags, r);
	CHECK(uvdpa_virtio_status(v) == (UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
					 UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK),
	      "status ACK|DRIVER|FEATURES_OK|DRIVER_OK");
	CHECK(uvdpa_blk_capacity(b) >= DISK_BYTES / 512 / 2, "capacity %llu sectors",
	      (unsigned long long)uvdpa_blk_capacity(b));
	sync_io(b, m);
	deep_io(b, m);
	burst_io(b, m);
	/* The same with completions found by polling the used ring. */
	r = uvdpa_blk_set_poll(b, 0, true);
	CHECK(r == 0, "queue 0 polled: %d", r);
	sync_io(b, m);
	deep_io(b, m);
	burst_io(b, m);
	CHECK(uvdpa_blk_set_poll(b, 1, true) == -EINVAL || uvdpa_blk_num_queues(b) > 1,
	      "set_poll on a queue that does not exist: -EINVAL");
	uvdpa_blk_set_poll(b, 0, false);
	r = uvdpa_blk_flush(b);
	CHECK(r == 0, "flush: %d", r);
	if (file)
		host_check(file);
	uvdpa_blk_close(b);
}

static void test_backend(const char *sock, enum mode m, bool packed, const char *file)
{
	struct uvdpa_virtio *v;
	unsigned flags = UVDPA_BLK_INDIRECT | UVDPA_BLK_EVENT_IDX;
	int r;

	r = fe_open(sock, NULL, &v);
	REQUIRE(r == 0, "open vhost-user %s: %d", sock, r);
	CHECK(uvdpa_virtio_device_id(v) == 2 && uvdpa_virtio_status(v) == UVDPA_STATUS_ACKNOWLEDGE,
	      "block device, ACKNOWLEDGEd");
	if (m != UVDPAD) {
		/* libvhost-user has no packed rings: a clear no, and the device
		 * stays ready for a split-ring driver. */
		struct uvdpa_blk_opts po = { .flags = UVDPA_BLK_PACKED };
		struct uvdpa_blk *b;

		r = uvdpa_blk_open(v, &po, &b);
		CHECK(r == -EOPNOTSUPP && uvdpa_virtio_status(v) == UVDPA_STATUS_ACKNOWLEDGE,
		      "packed rings refused: %d", r);
		if (!r)
			uvdpa_blk_close(b);
	}
	if (packed)
		flags |= UVDPA_BLK_PACKED;
	run(v, m, flags, file);
	/* Probed again on the same connection: rings stopped and set up anew. */
	run(v, m, packed ? UVDPA_BLK_PACKED : 0, file);
	uvdpa_virtio_close(v);
}

int main(int argc, char **argv)
{
	struct fe_peer p;

	REQUIRE(argc >= 2, "usage: test_fe_blk qsd-null | qsd-file | uvdpad UVDPAD UVDPA [packed]");
	if (!strcmp(argv[1], "qsd-null")) {
		fe_qsd_start(&p, "driver=null-co,node-name=n0,size=67108864,read-zeroes=on");
		test_backend(p.sock, QSD_NULL, false, NULL);
	} else if (!strcmp(argv[1], "qsd-file")) {
		char file[] = "/tmp/uvdpa-fe-disk.XXXXXX", bd[256];
		int fd = mkstemp(file);

		REQUIRE(fd >= 0 && ftruncate(fd, DISK_BYTES) == 0, "disk file %s", file);
		close(fd);
		snprintf(bd, sizeof(bd), "driver=file,node-name=n0,filename=%s,aio=io_uring", file);
		fe_qsd_start(&p, bd);
		test_backend(p.sock, QSD_FILE, false, file);
		unlink(file);
	} else {
		REQUIRE(argc >= 4, "uvdpad needs the uvdpad and uvdpa paths");
		fe_uvdpad_start(&p, argv[2], argv[3]);
		fe_uvdpad_add(&p, "b0", "vdpasim_blk", NULL, NULL);
		test_backend(p.sock, UVDPAD, argc > 4 && !strcmp(argv[4], "packed"), NULL);
	}
	fe_peer_stop(&p);
	return fe_done();
}
