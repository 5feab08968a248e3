// SPDX-License-Identifier: MIT
/*
 * blkfile-bench: 4 KiB random read / write IOPS of a blk_file device on a
 * given file, driven in process by libuvdpa's blk driver on the main thread
 * (the device's worker on its own thread, adaptive polling unless
 * --no-poll). One line per op and queue depth:
 *     randread 1 12345
 * bench/blkfile.sh puts these next to fio's io_uring engine on the same
 * file. Nothing here asserts a time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uvdpa/uvdpa.h>
#include <uvdpa/vdpa_abi.h>

struct run {
	uint64_t done;
	int errors;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void done_cb(void *opaque, int res)
{
	struct run *r = opaque;

	r->done++;
	r->errors += res != 0;
}

#define QD_MAX 128      /* the driver's queue depth */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Keeps qd random 4 KiB requests in flight for dur_ns, topped up with one
 * burst per turn (one publication, at most one kick); IOPS, or -1.
 */
static double measure(struct uvdpa_blk *b, bool write, unsigned qd, uint8_t *bufs,
		      uint64_t blocks, uint64_t dur_ns, uint64_t *seed)
{
	struct run st = { 0, 0 };
	struct uvdpa_blk_req rq[QD_MAX];
	void *opq[QD_MAX];
	uint64_t start = now_ns(), t = start, counted;
	unsigned i, n = 0;

	for (i = 0; i < qd; i++)
		opq[i] = &st;
	while (t - start < dur_ns) {
		unsigned inflight = uvdpa_blk_inflight(b, 0);
		unsigned room = inflight < qd ? qd - inflight : 0;

		for (i = 0; i < room; i++)
			rq[i] = (struct uvdpa_blk_req){
				.op = write ? UVDPA_BLK_OP_WRITE : UVDPA_BLK_OP_READ,
				.sector = (xorshift(seed) % blocks) * 8,
				.buf = bufs + (size_t)(n++ % qd) * 4096, .len = 4096 };
		if (room && uvdpa_blk_submit_burst(b, 0, rq, room, done_cb, opq) < 0)
			return -1;
		if (uvdpa_blk_poll(b, 0) == 0)
			uvdpa_blk_wait(b, 0, 1, 1000);
		if (st.errors)
			return -1;
		t = now_ns();
	}
	/* What completed after the clock stopped is not counted. */
	counted = st.done;
	while (uvdpa_blk_inflight(b, 0) && uvdpa_blk_wait(b, 0, 1, 2000) > 0)
		;
	return (double)counted / ((double)(t - start) / 1e9);
}

static struct uvdpa_virtio *open_dev(struct uvdpa_bus *bus, const char *path, bool direct,
				     bool poll)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_mgmtdev *m;
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	const char *msg = NULL;
	int r;

	cfg.blk.path = path;
	cfg.blk.direct = direct;
	cfg.uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH) |
			 UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT);
	if (!bus || uvdpa_bus_register_builtin(bus))
		return NULL;
	m = uvdpa_bus_find_mgmtdev(bus, NULL, "blk_file");
	r = m ? uvdpa_bus_dev_add(bus, m, "bench0", &cfg, &d, &msg) : -ENODEV;
	if (r) {
		fprintf(stderr, "blkfile-bench: dev add: %s%s%s\n", strerror(-r), msg ? ": " : "",
			msg ? msg : "");
		return NULL;
	}
	d->ops->set_poll_mode(d, poll ? UVDPA_POLL_ADAPTIVE : UVDPA_POLL_OFF);
	return uvdpa_virtio_open_local(d, &v) ? NULL : v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "direct", no_argument, NULL, 'd' }, { "no-poll", no_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' }, { "qd", required_argument, NULL, 'q' },
		{ "op", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 } };
	struct uvdpa_blk_opts bo = { .queue_depth = QD_MAX,
				     .flags = UVDPA_BLK_INDIRECT | UVDPA_BLK_EVENT_IDX };
	bool direct = false, poll = true, ops[2] = { true, true };
	unsigned dur_ms = 3000, qds[8] = { 1, 32, 128 }, nqd = 3;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, blocks;
	struct uvdpa_bus *bus = uvdpa_bus_new();
	uint8_t *bufs = aligned_alloc(4096, QD_MAX * 4096);
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b = NULL;
	int c, err = 1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd') {
			direct = true;
		} else if (c == 'n') {
			poll = false;
		} else if (c == 't') {
			dur_ms = (unsigned)atoi(optarg);
		} else if (c == 'q') {
			char *s = optarg, *tok;

			for (nqd = 0; nqd < 8 && (tok = strsep(&s, ",")); nqd++) {
				qds[nqd] = (unsigned)atoi(tok);
				if (qds[nqd] < 1 || qds[nqd] > QD_MAX) {
					fprintf(stderr, "blkfile-bench: queue depths are 1 to %d\n",
						QD_MAX);
					return 2;
				}
			}
		} else if (c == 'o') {
			ops[0] = strcmp(optarg, "randwrite") != 0;
			ops[1] = strcmp(optarg, "randread") != 0;
		} else {
			return 2;
		}
	}
	if (optind != argc - 1 || !bufs) {
		fprintf(stderr, "usage: blkfile-bench [--direct] [--no-poll] [--duration MS] "
			"[--qd 1,32,128] [--op randread|randwrite] FILE\n");
		return 2;
	}
	v = open_dev(bus, argv[optind], direct, poll);
	if (!v || uvdpa_blk_open(v, &bo, &b))
		goto out;
	blocks = uvdpa_blk_capacity(b) / 8;
	for (int w = 0; w < 2; w++) {
		if (!ops[w])
			continue;
		for (unsigned i = 0; i < nqd; i++) {
			double iops;

			measure(b, w, qds[i], bufs, blocks, 200000000ULL, &seed);   /* warm up */
			iops = measure(b, w, qds[i], bufs, blocks, dur_ms * 1000000ULL, &seed);
			if (iops < 0) {
				fprintf(stderr, "blkfile-bench: I/O error\n");
				goto out;
			}
			printf("%s %u %.0f\n", w ? "randwrite" : "randread", qds[i], iops);
			fflush(stdout);
		}
	}
	err = 0;
out:
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	free(bufs);
	return err;
}
