// SPDX-License-Identifier: MIT
/*
 * uvdpa-bench: datapath figures of the in-process stack. The drivers run
 * on the main thread, each simulator's worker on its own thread (busy
 * polling unless --no-poll). Every figure is the median of --runs runs of
 * --duration milliseconds. Nothing here asserts a time.
 *
 * With --vhost-user PATH the same drivers and loops run over libuvdpa's
 * vhost-user front end against whatever back end listens at PATH (uvdpad,
 * qemu-storage-daemon, DPDK), so figures of different back ends come from
 * the same client.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uvdpa/uvdpa.h>
#include <uvdpa/vdpa_abi.h>


#define MAX_RUNS 99
#define NET_WINDOW 128          /* frames in flight: below the RX buffers */
#define STALL_NS 2000000000ULL  /* no progress for this long: give up */
#define BLK_QD_MAX 128          /* the blk driver's queue depth */
#define QDS_MAX 8
#define QUEUES_MAX 16           /* --queues: blk queues, one thread each */
#define NET_ZC_BUFS (NET_WINDOW + 64)   /* --zero-copy: in flight, plus a burst's worth */

struct opts {
	bool net, blk, poll, packed, prefill;
	bool blk_ops[2];                /* blk reads, blk writes */
	bool one_core;                  /* device work run by the driver's thread, one CPU */
	bool zero_copy;                 /* pool buffers, frames read in place */
	bool in_order;                  /* net: VIRTIO_F_IN_ORDER */
	size_t size;                    /* net: only this frame size (0: 64 and 1500) */
	uint64_t frames;                /* net: frames per run instead of a duration */
	unsigned runs, duration_ms;
	unsigned qds[QDS_MAX], nqd;     /* blk queue depths */
	unsigned queues;                /* blk queues, one thread each */
	const char *vhost_user;         /* socket of a back end, or NULL: in-process */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Adds device name of mgmt to a new bus's builtins, in the chosen poll mode,
 * and opens it in-process; NULL after saying why. */
static struct uvdpa_virtio *open_dev(struct uvdpa_bus *bus, const char *mgmt, const char *name,
				     const struct uvdpa_dev_set_config *cfg,
				     enum uvdpa_poll_mode poll)
{
	struct uvdpa_mgmtdev *m;
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	const char *msg = NULL;
	int r;

	if (!bus || uvdpa_bus_register_builtin(bus))
		return NULL;
	m = uvdpa_bus_find_mgmtdev(bus, NULL, mgmt);
	if (!m) {
		fprintf(stderr, "uvdpa-bench: no mgmtdev %s\n", mgmt);
		return NULL;
	}
	r = uvdpa_bus_dev_add(bus, m, name, cfg, &d, &msg);
	if (r) {
		fprintf(stderr, "uvdpa-bench: dev add %s: %s%s%s\n", name, strerror(-r),
			msg ? ": " : "", msg ? msg : "");
		return NULL;
	}
	if (d->ops->set_poll_mode && d->ops->set_poll_mode(d, poll) &&
	    poll == UVDPA_POLL_CALLER) {
		fprintf(stderr, "uvdpa-bench: %s cannot run in the caller's thread\n", name);
		return NULL;
	}
	if (uvdpa_virtio_open_local(d, &v)) {
		fprintf(stderr, "uvdpa-bench: cannot open %s in-process\n", name);
		return NULL;
	}
	return v;
}

/* The device behind o->vhost_user, or a fresh simulator in-process. */
static struct uvdpa_virtio *open_target(const struct opts *o, struct uvdpa_bus *bus,
					const char *mgmt, const char *name,
					const struct uvdpa_dev_set_config *cfg, uint32_t id)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = id };
	struct uvdpa_virtio *v = NULL;
	int r;

	if (!o->vhost_user)
		return open_dev(bus, mgmt, name, cfg,
				o->one_core ? UVDPA_POLL_CALLER :
				o->poll ? UVDPA_POLL_ADAPTIVE : UVDPA_POLL_OFF);
	r = uvdpa_virtio_open_vhost_user(o->vhost_user, &vo, &v);
	if (r)
		fprintf(stderr, "uvdpa-bench: %s: %s\n", o->vhost_user, strerror(-r));
	return r ? NULL : v;
}

/* ---- net ---- */

/* Frames looped per second over one run; -1 on a stall. */
/* Frames looped per second over one run of dur_ns, or of exactly `frames`
 * frames when not 0 (a count that does not depend on the clock, for
 * instruction counts under valgrind); -1 on a stall. */
static double net_run(struct uvdpa_net *n, const uint8_t *frame, size_t len, uint64_t dur_ns,
		      uint64_t frames)
{
	static uint8_t rx[65536], rxb[32][2048];
	struct iovec iov[32], riov[32];
	int lens[32];
	uint64_t sent = 0, got = 0, seen = 0, start = now_ns(), end = start + dur_ns, last = start, t = start;
	unsigned i, turn = 0;

	for (i = 0; i < 32; i++) {
		iov[i].iov_base = (void *)frame;
		iov[i].iov_len = len;
		riov[i].iov_base = rxb[i];
		riov[i].iov_len = sizeof(rxb[i]);
	}
	for (;;) {
		unsigned room = (unsigned)(NET_WINDOW - (sent - got));
		int r;

		if (room > 32)
			room = 32;
		if (frames && room > frames - sent)
			room = (unsigned)(frames - sent);
		if (room) {
			r = uvdpa_net_send_burst(n, 0, iov, room);
			if (r > 0)
				sent += (uint64_t)r;
		}
		/* Receive buffers go back to the device once per burst. */
		while ((r = uvdpa_net_recv_burst(n, 0, riov, lens, 32)) > 0) {
			got += (uint64_t)r;
			for (i = 0; i < (unsigned)r; i++)
				if (lens[i] < 0)
					return -1;
		}
		if (r < 0)
			return -1;
		/* Reading the clock costs as much as a frame: not every turn. */
		if (++turn % 16)
			continue;
		t = now_ns();
		if (got == sent || got != seen)
			last = t;
		seen = got;
		if (frames ? got >= frames : t >= end)
			break;
		if (t - last > STALL_NS)
			return -1;
	}
	/* Drain what is still in flight so the next run starts clean. */
	while (got < sent && now_ns() - t < STALL_NS)
		if (uvdpa_net_recv(n, 0, rx, sizeof(rx)) > 0)
			got++;
		else
			uvdpa_net_wait_rx(n, 0, 10);
	return (double)got / ((double)(t - start) / 1e9);
}

/*
 * net_run with zero-copy buffers: frames go out of pool buffers (written
 * once before the runs, as an application would build them in place) and
 * are read in the library's receive buffers.
 */
static double net_run_zc(struct uvdpa_net *n, size_t len, uint64_t dur_ns, uint64_t frames)
{
	uint64_t sent = 0, got = 0, seen = 0, start = now_ns(), end = start + dur_ns, last = start, t = start;
	struct iovec iov[32];
	unsigned i, k, turn = 0;
	const void *f, *fs[32];
	int lens[32];

	for (;;) {
		unsigned room = (unsigned)(NET_WINDOW - (sent - got));
		int r;

		if (room > 32)
			room = 32;
		if (frames && room > frames - sent)
			room = (unsigned)(frames - sent);
		for (k = 0; k < room && !uvdpa_net_zbuf_get(n, &iov[k].iov_base, NULL); k++)
			iov[k].iov_len = len;
		if (k < room)
			uvdpa_net_reclaim(n, 0);
		if (k) {
			r = uvdpa_net_send_zc_burst(n, 0, iov, k);
			if (r < 0)
				return -1;
			sent += (uint64_t)r;
			for (i = (unsigned)r; i < k; i++)
				uvdpa_net_zbuf_put(n, iov[i].iov_base);
		}
		/* Read in place, given back once per burst. */
		while ((r = uvdpa_net_recv_zc_burst(n, 0, fs, lens, 32)) > 0) {
			for (i = 0; i < (unsigned)r; i++)
				if (lens[i] < 0)
					return -1;
			got += (uint64_t)r;
			if (uvdpa_net_recv_zc_release_burst(n, 0, fs, (unsigned)r) != r)
				return -1;
		}
		if (r < 0)
			return -1;
		if (++turn % 16)
			continue;
		t = now_ns();
		if (got == sent || got != seen)
			last = t;
		seen = got;
		if (frames ? got >= frames : t >= end)
			break;
		if (t - last > STALL_NS)
			return -1;
	}
	while (got < sent && now_ns() - t < STALL_NS) {
		if (uvdpa_net_recv_zc(n, 0, &f) >= 0) {
			got++;
			uvdpa_net_recv_zc_release(n, 0, f);
		} else {
			uvdpa_net_wait_rx(n, 0, 10);
		}
	}
	while (uvdpa_net_wait_tx(n, 0, 10) > 0)
		;
	return (double)got / ((double)(t - start) / 1e9);
}

/* Writes frame into every buffer of the pool; 0 or -1. */
static int net_zc_fill(struct uvdpa_net *n, const uint8_t *frame, size_t len)
{
	void *bufs[NET_ZC_BUFS];
	unsigned i, k;

	for (k = 0; k < NET_ZC_BUFS && !uvdpa_net_zbuf_get(n, &bufs[k], NULL); k++)
		memcpy(bufs[k], frame, len);
	for (i = 0; i < k; i++)
		uvdpa_net_zbuf_put(n, bufs[i]);
	return k == NET_ZC_BUFS ? 0 : -1;
}

static int bench_net(const struct opts *o)
{
	static const size_t sizes[] = { 64, 1500 };
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct uvdpa_dev_set_config cfg = { .mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) };
	struct uvdpa_net_opts no = { .flags = UVDPA_NET_INDIRECT | UVDPA_NET_EVENT_IDX |
					      UVDPA_NET_MRG_RXBUF |
					      (o->packed ? UVDPA_NET_PACKED : 0),
				 .zbuf_count = o->zero_copy ? NET_ZC_BUFS : 0, .zbuf_size = 1500 };
	struct uvdpa_bus *bus = uvdpa_bus_new();
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	uint8_t frame[1500];
	int err = 1;

	memcpy(cfg.net.mac, mac, 6);
	v = open_target(o, bus, "vdpasim_net", "bench-net", &cfg, 1);
	if (!v)
		goto out;
	if (o->in_order)
		no.flags |= UVDPA_NET_IN_ORDER;
	if (uvdpa_net_open(v, &no, &n)) {
		fprintf(stderr, "uvdpa-bench: cannot open the net driver\n");
		goto out;
	}
	printf("uvdpa-bench: net features 0x%llx%s\n",
	       (unsigned long long)uvdpa_virtio_features(v),
	       no.flags & UVDPA_NET_IN_ORDER ? " (in order)" : "");
	memset(frame, 0x5a, sizeof(frame));
	/* A loopback device sends back what is addressed to it. */
	if (uvdpa_net_get_mac(n, frame))
		memcpy(frame, mac, 6);
	if (o->zero_copy && net_zc_fill(n, frame, sizeof(frame))) {
		fprintf(stderr, "uvdpa-bench: zero-copy pool short\n");
		goto out;
	}
	for (unsigned s = 0; s < 2; s++) {
		if (o->size && sizes[s] != o->size)
			continue;
		double pps[MAX_RUNS], med;
		unsigned i;

		/* warm-up */
		if (o->zero_copy)
			net_run_zc(n, sizes[s], 100000000ULL, o->frames ? 4096 : 0);
		else
			net_run(n, frame, sizes[s], 100000000ULL, o->frames ? 4096 : 0);
		for (i = 0; i < o->runs; i++) {
			pps[i] = o->zero_copy ?
				 net_run_zc(n, sizes[s], o->duration_ms * 1000000ULL, o->frames) :
				 net_run(n, frame, sizes[s], o->duration_ms * 1000000ULL,
					 o->frames);
			if (pps[i] < 0) {
				fprintf(stderr, "uvdpa-bench: net loopback stalled\n");
				goto out;
			}
		}
		med = median(pps, o->runs);
		printf("net loopback  %5zu B        %9.3f Mpps  %8.2f Gbit/s  %7.1f ns/frame\n",
		       sizes[s], med / 1e6, med * (double)sizes[s] * 8 / 1e9, 1e9 / med);
		fflush(stdout);
	}
	err = 0;
out:
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return err;
}

/* ---- blk ---- */

struct blk_run {
	uint64_t done;
	int errors;
};

static void blk_done(void *opaque, int res)
{
	struct blk_run *r = opaque;

	r->done++;
	if (res)
		r->errors++;
}

/*
 * Random 4 KiB requests kept at depth qd, topped up with one burst per turn
 * (one publication and at most one kick for all of them, as an application
 * with a queue of work would); IOPS of one run, -1 on error.
 */
static double blk_run(struct uvdpa_blk *b, unsigned q, enum uvdpa_blk_op op, unsigned qd,
		      uint8_t *bufs, uint64_t blocks, uint64_t dur_ns, uint64_t *seed)
{
	struct blk_run st = { 0, 0 };
	struct uvdpa_blk_req rq[BLK_QD_MAX];
	void *opq[BLK_QD_MAX];
	uint64_t start = now_ns(), end = start + dur_ns, last = start, t = start, seen = 0;
	unsigned i, slot = 0, turn = 0;

	for (i = 0; i < qd; i++)
		opq[i] = &st;
	for (;;) {
		unsigned inflight = uvdpa_blk_inflight(b, q);
		unsigned room = inflight < qd ? qd - inflight : 0;

		for (i = 0; i < room; i++) {
			*seed ^= *seed << 13;
			*seed ^= *seed >> 7;
			*seed ^= *seed << 17;
			rq[i] = (struct uvdpa_blk_req){ .op = op, .len = 4096,
				.sector = (*seed % blocks) * 8,
				.buf = bufs + (size_t)(slot++ % qd) * 4096 };
		}
		if (room && uvdpa_blk_submit_burst(b, q, rq, room, blk_done, opq) < 0)
			return -1;
		uvdpa_blk_poll(b, q);
		if (st.errors)
			return -1;
		if (++turn % 16)
			continue;
		t = now_ns();
		if (st.done != seen) {
			seen = st.done;
			last = t;
		}
		if (t >= end)
			break;
		if (t - last > STALL_NS)
			return -1;
	}
	while (uvdpa_blk_inflight(b, q) && uvdpa_blk_wait(b, q, 1, 2000) > 0)
		;
	return (double)seen / ((double)(t - start) / 1e9);
}

/* --zero-copy: each request in flight owns a pool buffer until its callback. */
struct zc_req {
	struct blk_zrun *z;
	void *buf;
};

struct blk_zrun {
	struct blk_run st;
	struct zc_req reqs[BLK_QD_MAX];
	struct zc_req *free[BLK_QD_MAX];
	unsigned nfree;
};

static void blk_zc_done(void *opaque, int res)
{
	struct zc_req *r = opaque;

	blk_done(&r->z->st, res);
	r->z->free[r->z->nfree++] = r;
}

/* blk_run with the data in pool buffers (no copy on our side). */
static double blk_run_zc(struct uvdpa_blk *b, struct blk_zrun *z, enum uvdpa_blk_op op,
			 unsigned qd, uint64_t blocks, uint64_t dur_ns, uint64_t *seed)
{
	struct uvdpa_blk_req rq[BLK_QD_MAX];
	void *opq[BLK_QD_MAX];
	uint64_t start = now_ns(), end = start + dur_ns, last = start, t = start, seen = 0;
	unsigned i, turn = 0;
	int r;

	z->st = (struct blk_run){ 0, 0 };
	for (;;) {
		unsigned inflight = uvdpa_blk_inflight(b, 0);
		unsigned room = inflight < qd ? qd - inflight : 0;

		if (room > z->nfree)
			room = z->nfree;
		for (i = 0; i < room; i++) {
			struct zc_req *zr = z->free[--z->nfree];

			*seed ^= *seed << 13;
			*seed ^= *seed >> 7;
			*seed ^= *seed << 17;
			rq[i] = (struct uvdpa_blk_req){ .op = op, .len = 4096,
				.sector = (*seed % blocks) * 8, .buf = zr->buf };
			opq[i] = zr;
		}
		r = room ? uvdpa_blk_submit_zc_burst(b, 0, rq, room, blk_zc_done, opq) : 0;
		if (r < 0)
			return -1;
		/* What the ring did not take goes back, last first. */
		for (i = room; i > (unsigned)r; i--)
			z->free[z->nfree++] = opq[i - 1];
		uvdpa_blk_poll(b, 0);
		if (z->st.errors)
			return -1;
		if (++turn % 16)
			continue;
		t = now_ns();
		if (z->st.done != seen) {
			seen = z->st.done;
			last = t;
		}
		if (t >= end)
			break;
		if (t - last > STALL_NS)
			return -1;
	}
	while (uvdpa_blk_inflight(b, 0) && uvdpa_blk_wait(b, 0, 1, 2000) > 0)
		;
	return (double)seen / ((double)(t - start) / 1e9);
}

/* Takes every pool buffer for z; 0 or -1. */
static int blk_zc_init(struct uvdpa_blk *b, struct blk_zrun *z)
{
	for (unsigned i = 0; i < BLK_QD_MAX; i++) {
		z->reqs[i].z = z;
		if (uvdpa_blk_zbuf_get(b, &z->reqs[i].buf, NULL))
			return -1;
		memset(z->reqs[i].buf, 0xa5, 4096);
		z->free[i] = &z->reqs[i];
	}
	z->nfree = BLK_QD_MAX;
	return 0;
}

/* Writes every block once, in the largest requests the device takes, so
 * that reads afterwards find data everywhere; 0 or -1. */
static int blk_prefill(struct uvdpa_blk *b, uint64_t sectors)
{
	size_t chunk = uvdpa_blk_max_transfer(b);
	uint8_t *buf;
	uint64_t s;
	int err = 0;

	if (chunk > (1u << 20))
		chunk = 1u << 20;
	chunk -= chunk % 4096;
	if (!chunk)
		chunk = 4096;
	buf = malloc(chunk);
	if (!buf)
		return -1;
	memset(buf, 0xa5, chunk);
	for (s = 0; s < sectors && !err; s += chunk / 512) {
		size_t len = sectors - s < chunk / 512 ? (size_t)(sectors - s) * 512 : chunk;

		err = uvdpa_blk_write(b, s, buf, len);
	}
	free(buf);
	if (err)
		fprintf(stderr, "uvdpa-bench: prefill: %s\n", strerror(-err));
	return err ? -1 : 0;
}

/* --queues: one blk_run per queue, each on its own thread, started together. */
struct blk_qrun {
	struct uvdpa_blk *b;
	unsigned q, qd;
	enum uvdpa_blk_op op;
	uint8_t *bufs;
	uint64_t blocks, dur_ns, seed;
	pthread_barrier_t *start;
	double iops;
};

static void *blk_qrun_main(void *arg)
{
	struct blk_qrun *r = arg;

	pthread_barrier_wait(r->start);
	r->iops = blk_run(r->b, r->q, r->op, r->qd, r->bufs, r->blocks, r->dur_ns, &r->seed);
	return NULL;
}

/* IOPS of all queues together over one run, -1 if any failed. */
static double blk_run_queues(struct blk_qrun *runs, unsigned nq, enum uvdpa_blk_op op,
			     unsigned qd, uint64_t dur_ns)
{
	pthread_t th[QUEUES_MAX];
	pthread_barrier_t start;
	double sum = 0;
	unsigned i, started;

	if (nq == 1) {
		runs[0].op = op;
		runs[0].qd = qd;
		return blk_run(runs[0].b, 0, op, qd, runs[0].bufs, runs[0].blocks, dur_ns,
			       &runs[0].seed);
	}
	if (pthread_barrier_init(&start, NULL, nq))
		return -1;
	for (started = 0; started < nq; started++) {
		runs[started].op = op;
		runs[started].qd = qd;
		runs[started].dur_ns = dur_ns;
		runs[started].start = &start;
		if (pthread_create(&th[started], NULL, blk_qrun_main, &runs[started]))
			break;
	}
	if (started < nq) {
		/* the barrier never opens for fewer threads: nothing ran */
		fprintf(stderr, "uvdpa-bench: cannot start %u queue threads\n", nq);
		exit(1);
	}
	for (i = 0; i < nq; i++) {
		pthread_join(th[i], NULL);
		if (runs[i].iops < 0)
			sum = -1;
		else if (sum >= 0)
			sum += runs[i].iops;
	}
	pthread_barrier_destroy(&start);
	return sum;
}

static int bench_blk(const struct opts *o)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	unsigned nq = o->queues ? o->queues : 1;
	struct uvdpa_blk_opts bo = { .queue_depth = BLK_QD_MAX, .num_queues = (uint16_t)nq,
				     .flags = UVDPA_BLK_INDIRECT | UVDPA_BLK_EVENT_IDX |
					      (o->packed ? UVDPA_BLK_PACKED : 0),
				     .zbuf_count = o->zero_copy ? BLK_QD_MAX : 0, .zbuf_size = 4096 };
	static struct blk_zrun z;
	static struct blk_qrun runs[QUEUES_MAX];
	struct uvdpa_bus *bus = uvdpa_bus_new();
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_blk *b = NULL;
	uint8_t *bufs = calloc((size_t)nq * BLK_QD_MAX, 4096);
	uint64_t seed = 0x9e3779b97f4a7c15ULL, blocks;
	unsigned q;
	int err = 1;

	if (!bufs)
		goto out;
	if (nq > 1) {
		cfg.mask |= 1ULL << UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES;   /* in-process simulator */
		cfg.blk.num_queues = (uint16_t)nq;
	}
	v = open_target(o, bus, "vdpasim_blk", "bench-blk", &cfg, 2);
	if (!v)
		goto out;
	if (uvdpa_blk_open(v, &bo, &b)) {
		fprintf(stderr, "uvdpa-bench: cannot open the blk driver%s\n",
			nq > 1 ? " with that many queues (does the device offer them?)" : "");
		goto out;
	}
	blocks = uvdpa_blk_capacity(b) / 8;
	if (o->zero_copy && blk_zc_init(b, &z)) {
		fprintf(stderr, "uvdpa-bench: zero-copy pool short\n");
		goto out;
	}
	if (o->prefill && blk_prefill(b, blocks * 8))
		goto out;
	for (q = 0; q < nq; q++)
		runs[q] = (struct blk_qrun){ .b = b, .q = q, .blocks = blocks,
					     .bufs = bufs + (size_t)q * BLK_QD_MAX * 4096,
					     .seed = seed + q * 0x632be59bd9b4e019ULL };
	for (int w = 0; w < 2; w++) {
		enum uvdpa_blk_op op = w ? UVDPA_BLK_OP_WRITE : UVDPA_BLK_OP_READ;

		if (!o->blk_ops[w])
			continue;

		for (unsigned d = 0; d < o->nqd; d++) {
			unsigned qd = o->qds[d];
			double iops[MAX_RUNS];
			unsigned i;

			if (o->zero_copy)
				blk_run_zc(b, &z, op, qd, blocks, 100000000ULL, &seed);
			else
				blk_run_queues(runs, nq, op, qd, 100000000ULL);
			for (i = 0; i < o->runs; i++) {
				iops[i] = o->zero_copy ?
					  blk_run_zc(b, &z, op, qd, blocks,
						     o->duration_ms * 1000000ULL, &seed) :
					  blk_run_queues(runs, nq, op, qd,
							 o->duration_ms * 1000000ULL);
				if (iops[i] < 0) {
					fprintf(stderr, "uvdpa-bench: blk I/O failed or stalled\n");
					goto out;
				}
			}
			if (nq > 1)
				printf("blk rand%-5s 4 KiB QD%-3u x%-2u %6.0f IOPS\n", w ? "write" : "read",
				       qd, nq, median(iops, o->runs));
			else
				printf("blk rand%-5s 4 KiB QD%-3u  %9.0f IOPS\n", w ? "write" : "read",
				       qd, median(iops, o->runs));
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: uvdpa-bench [OPTIONS] [net|blk]...\n"
		"Datapath figures of uvdpa's in-process stack: libuvdpa's virtio drivers on\n"
		"the main thread against vdpasim_net / vdpasim_blk, whose worker runs on its\n"
		"own thread. Each figure is the median of several runs.\n"
		"\n"
		"Tests (default: all):\n"
		"  net   loopback packets/s and Gbit/s with 64 and 1500-byte frames\n"
		"  blk   4 KiB random read and write IOPS at queue depth 1, 32 and 128\n"
		"        (reads first: a fresh device is measured fresh)\n"
		"\n"
		"Options:\n"
		"  -d, --duration MS   length of one run in milliseconds (default 1000)\n"
		"  -r, --runs N        runs per figure, median printed (default 5, max %d)\n"
		"  -p, --packed        packed rings instead of split rings\n"
		"  -q, --qd LIST       blk queue depths, comma-separated, 1 to %d\n"
		"                      (default 1,32,128)\n"
		"  -Q, --queues N      blk: N queues, each at that depth on its own thread\n"
		"                      (the IOPS of all of them; default 1, at most %d)\n"
		"      --prefill       blk: write the whole disk before measuring\n"
		"  -o, --op OP         blk: randread or randwrite only (default both)\n"
		"      --no-poll       device worker sleeps until kicked (default: busy-poll)\n"
		"  -s, --size BYTES    net: only 64 or only 1500-byte frames\n"
		"  -n, --frames N      net: each run loops N frames instead of lasting --duration\n"
		"                      (a fixed amount of work: instructions per frame under\n"
		"                      valgrind --tool=cachegrind are (Ir(2N) - Ir(N)) / N)\n"
		"  -z, --zero-copy     data in libuvdpa's zero-copy pool buffers: net frames\n"
		"                      written once into every buffer, sent from them and\n"
		"                      read in place; blk requests read into / written from\n"
		"                      them (no copy on the application's side)\n"
		"      --in-order      net: negotiate VIRTIO_F_IN_ORDER (the device may complete\n"
		"                      a batch of frames with one ring entry)\n"
		"  -1, --one-core      no device worker: the driver's kicks run the device's work\n"
		"                      in the same thread, pinned to one CPU (engine cost per\n"
		"                      frame or request, no cross-core traffic; in-process)\n"
		"      --vhost-user PATH  run over libuvdpa's vhost-user front end against the\n"
		"                      back end at PATH (one test: net or blk, as it serves)\n"
		"  -h, --help          this text\n", MAX_RUNS, BLK_QD_MAX, QUEUES_MAX);
}

/* "1,32,128" into o->qds; 0, or -1 after saying why. */
static int parse_qds(const char *arg, struct opts *o)
{
	const char *p = arg;
	char *end;

	o->nqd = 0;
	do {
		unsigned long v;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || !v || v > BLK_QD_MAX ||
		    o->nqd == QDS_MAX) {
			fprintf(stderr, "uvdpa-bench: bad --qd \"%s\" (up to %d depths, 1 to %d)\n",
				arg, QDS_MAX, BLK_QD_MAX);
			return -1;
		}
		o->qds[o->nqd++] = (unsigned)v;
		p = end + 1;
	} while (*end);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "runs", required_argument, NULL, 'r' },
		{ "packed", no_argument, NULL, 'p' },
		{ "qd", required_argument, NULL, 'q' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "prefill", no_argument, NULL, 'F' },
		{ "op", required_argument, NULL, 'o' },
		{ "no-poll", no_argument, NULL, 'P' },
		{ "one-core", no_argument, NULL, '1' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "in-order", no_argument, NULL, 'I' },
		{ "size", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'n' },
		{ "vhost-user", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .poll = true, .runs = 5, .duration_ms = 1000,
			  .qds = { 1, 32, 128 }, .nqd = 3, .blk_ops = { true, true } };
	int c, err = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "d:r:pq:Q:o:1zs:n:h", lopts, NULL)) != -1) {
		unsigned long val;

		switch (c) {
		case 'd':
		case 'r':
			errno = 0;
			val = strtoul(optarg, &end, 10);
			if (errno || *end || !val || val > (c == 'r' ? MAX_RUNS : 3600000)) {
				fprintf(stderr, "uvdpa-bench: bad --%s \"%s\"\n",
					c == 'r' ? "runs" : "duration", optarg);
				return 2;
			}
			if (c == 'r')
				o.runs = (unsigned)val;
			else
				o.duration_ms = (unsigned)val;
			break;
		case 'p':
			o.packed = true;
			break;
		case 'q':
			if (parse_qds(optarg, &o))
				return 2;
			break;
		case 'Q':
			errno = 0;
			val = strtoul(optarg, &end, 10);
			if (errno || *end || !val || val > QUEUES_MAX) {
				fprintf(stderr, "uvdpa-bench: bad --queues \"%s\" (1 to %d)\n", optarg,
					QUEUES_MAX);
				return 2;
			}
			o.queues = (unsigned)val;
			break;
		case 'F':
			o.prefill = true;
			break;
		case 'o':
			o.blk_ops[0] = strcmp(optarg, "randread") == 0;
			o.blk_ops[1] = strcmp(optarg, "randwrite") == 0;
			if (!o.blk_ops[0] && !o.blk_ops[1]) {
				fprintf(stderr, "uvdpa-bench: bad --op \"%s\" (randread or randwrite)\n",
					optarg);
				return 2;
			}
			break;
		case 'P':
			o.poll = false;
			break;
		case '1':
			o.one_core = true;
			break;
		case 'z':
			o.zero_copy = true;
			break;
		case 'I':
			o.in_order = true;
			break;
		case 's':
			o.size = strcmp(optarg, "64") == 0 ? 64 :
				 strcmp(optarg, "1500") == 0 ? 1500 : 0;
			if (!o.size) {
				fprintf(stderr, "uvdpa-bench: --size is 64 or 1500\n");
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			val = strtoul(optarg, &end, 10);
			if (errno || *end || !val || val > 1000000000UL) {
				fprintf(stderr, "uvdpa-bench: bad --frames \"%s\"\n", optarg);
				return 2;
			}
			o.frames = val;
			break;
		case 'V':
			o.vhost_user = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "net") == 0) {
			o.net = true;
		} else if (strcmp(argv[optind], "blk") == 0) {
			o.blk = true;
		} else {
			fprintf(stderr, "uvdpa-bench: unknown test \"%s\"\n", argv[optind]);
			usage(stderr);
			return 2;
		}
	}
	if (o.vhost_user && o.net == o.blk) {
		fprintf(stderr, "uvdpa-bench: --vhost-user needs one test, net or blk\n");
		return 2;
	}
	if (o.one_core && (o.vhost_user || o.queues > 1)) {
		fprintf(stderr, "uvdpa-bench: --one-core is for the in-process tests, one thread "
			"(not with --queues)\n");
		return 2;
	}
	if (o.queues > 1 && (o.zero_copy || o.net)) {
		fprintf(stderr, "uvdpa-bench: --queues is for the blk test, without --zero-copy "
			"(all queues share one pool)\n");
		return 2;
	}
	if (!o.net && !o.blk)
		o.net = o.blk = true;
	if (o.one_core) {
		cpu_set_t set;
		int cpu = sched_getcpu();

		CPU_ZERO(&set);
		CPU_SET(cpu < 0 ? 0 : cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("uvdpa-bench: sched_setaffinity");
			return 1;
		}
		printf("uvdpa-bench: in-process, %s rings, one core (CPU %d): driver and device "
		       "work in one thread, median of %u x %u ms\n", o.packed ? "packed" : "split",
		       cpu < 0 ? 0 : cpu, o.runs, o.duration_ms);
	} else if (o.vhost_user)
		printf("uvdpa-bench: vhost-user %s, %s rings, median of %u x %u ms\n",
		       o.vhost_user, o.packed ? "packed" : "split", o.runs, o.duration_ms);
	else
		printf("uvdpa-bench: in-process, %s rings, device worker %s, median of %u x %u ms\n",
		       o.packed ? "packed" : "split", o.poll ? "polling" : "woken by kicks", o.runs,
		       o.duration_ms);
	if (o.zero_copy)
		printf("uvdpa-bench: zero-copy buffers\n");
	printf("%-27s %s\n", "test", "result");
	fflush(stdout);
	if (o.net)
		err |= bench_net(&o);
	if (o.blk)
		err |= bench_blk(&o);
	return err ? 1 : 0;
}
