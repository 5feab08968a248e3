// SPDX-License-Identifier: MIT
/*
 * Reconnect with no lost request (INFLIGHT_SHMFD): the blk driver writes
 * sequence-numbered requests at queue depth 32 to a uvdpad vdpasim_blk
 * while uvdpad is killed with SIGKILL and restarted (same run directory,
 * the device added again under its name) three times. Every request must
 * complete exactly once and successfully, no wait may fail, and what was
 * written after the last kill must read back (the RAM disk of a killed
 * daemon is gone, so earlier data cannot be checked here).
 *
 * Without reconnect_ms the same kill ends the wait with -ECONNRESET, as
 * test_fe_death checks.
 *
 * With "poll", the queue completes by polling (uvdpa_blk_set_poll): the
 * hang-up must be noticed without any sleep on the call eventfd. With
 * "packed", the ring is packed: the front end resumes it where the inflight
 * area says the back end's last published batch ended.
 *
 * usage: test_fe_reconnect UVDPAD UVDPA [poll] [packed]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fe_test.h"

#define NREQ    6000
#define QD      32
#define KILLS   3
#define SECTORS 8               /* 4 KiB per request, each its own place */

struct run {
	struct uvdpa_blk *b;
	unsigned char done[NREQ];   /* completions seen per sequence number */
	int res[NREQ];
	unsigned inflight, bad;
};

struct cb_ctx {
	struct run *r;
	unsigned seq;
};

static struct cb_ctx ctx[NREQ];
static uint8_t data[4096];

static void on_done(void *opaque, int res)
{
	struct cb_ctx *c = opaque;

	c->r->done[c->seq]++;
	c->r->res[c->seq] = res;
	c->r->inflight--;
	if (res)
		c->r->bad++;
}

static void *restart(void *arg)
{
	struct fe_peer *p = arg;
	struct timespec ts = { .tv_nsec = 300 * 1000000L };

	/* Long enough for the front end to find nobody there and retry. */
	nanosleep(&ts, NULL);
	fe_uvdpad_restart(p);
	fe_uvdpad_add(p, "b0", "vdpasim_blk", NULL, NULL);
	return NULL;
}

static void kill_and_restart(struct fe_peer *p, pthread_t *th)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
	REQUIRE(pthread_create(th, NULL, restart, p) == 0, "restart thread");
}

static int submit(struct run *r, unsigned seq)
{
	struct uvdpa_blk_req req = { .op = UVDPA_BLK_OP_WRITE, .sector = (uint64_t)seq * SECTORS,
				     .buf = data, .len = sizeof(data) };

	fe_pattern(data, sizeof(data), req.sector, seq);
	ctx[seq] = (struct cb_ctx){ .r = r, .seq = seq };
	return uvdpa_blk_submit(r->b, 0, &req, on_done, &ctx[seq]);
}

/* QD32 until all NREQ are done; kills the back end at each quarter. */
static unsigned load(struct run *r, struct fe_peer *p, unsigned *last_kill_seq)
{
	unsigned next = 0, kills = 0, werr = 0;
	pthread_t th;
	bool restarting = false;
	int w;

	while (next < NREQ || r->inflight) {
		while (next < NREQ && r->inflight < QD) {
			if (submit(r, next))
				break;
			r->inflight++;
			next++;
		}
		if (kills < KILLS && next >= (kills + 1) * NREQ / (KILLS + 1) && !restarting) {
			*last_kill_seq = next;
			CHECK(r->inflight > 0, "kill %u at request %u with %u in flight", kills + 1,
			      next, r->inflight);
			kill_and_restart(p, &th);
			restarting = true;
			kills++;
		}
		w = uvdpa_blk_wait(r->b, 0, 1, 60000);
		if (w < 0 && !werr++)
			CHECK(0, "wait: %d (%s) with %u in flight", w, strerror(-w), r->inflight);
		if (w < 0)
			break;
		if (restarting && *last_kill_seq < NREQ && r->done[*last_kill_seq]) {
			/*
			 * A request submitted after the kill completed: only the
			 * new daemon can have served it. (A count of requests in
			 * flight cannot tell: a fast daemon keeps the queue full.)
			 */
			pthread_join(th, NULL);
			restarting = false;
		}
	}
	if (restarting)
		pthread_join(th, NULL);
	return kills;
}

static void check_completions(const struct run *r)
{
	unsigned once = 0, twice = 0, never = 0, s;

	for (s = 0; s < NREQ; s++) {
		once += r->done[s] == 1;
		twice += r->done[s] > 1;
		never += r->done[s] == 0;
	}
	CHECK(once == NREQ && !twice && !never,
	      "%u requests: %u completed once, %u more than once, %u never", NREQ, once, twice,
	      never);
	CHECK(r->bad == 0, "no request failed (%u did)", r->bad);
}

/* Written after the last kill: only the last daemon saw them. */
static void check_data(struct run *r, unsigned from)
{
	static uint8_t got[4096], want[4096];
	unsigned s, bad = 0;

	for (s = from; s < NREQ; s++) {
		fe_pattern(want, sizeof(want), (uint64_t)s * SECTORS, s);
		if (uvdpa_blk_read(r->b, (uint64_t)s * SECTORS, got, sizeof(got)) ||
		    memcmp(got, want, sizeof(got)))
			bad++;
	}
	CHECK(bad == 0, "requests %u..%u (after the last kill) read back: %u differ", from,
	      NREQ - 1, bad);
}

static struct run run;

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts o = { .reconnect_ms = 20000 };
	struct uvdpa_blk_opts bo = { .queue_depth = QD };
	struct uvdpa_virtio *v;
	struct fe_peer p;
	unsigned kills, last = 0;
	int r;

	REQUIRE(argc >= 3, "usage: test_fe_reconnect UVDPAD UVDPA [poll] [packed]");
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "packed"))
			bo.flags |= UVDPA_BLK_PACKED;
	fe_uvdpad_start(&p, argv[1], argv[2]);
	fe_uvdpad_add(&p, "b0", "vdpasim_blk", NULL, NULL);
	r = fe_open(p.sock, &o, &v);
	REQUIRE(r == 0, "open %s with reconnect_ms %d: %d", p.sock, o.reconnect_ms, r);
	r = uvdpa_blk_open(v, &bo, &run.b);
	REQUIRE(r == 0, "blk open, %s ring, queue depth %d: %d",
		bo.flags & UVDPA_BLK_PACKED ? "packed" : "split", QD, r);
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "poll"))
			REQUIRE(uvdpa_blk_set_poll(run.b, 0, true) == 0,
				"queue 0 completes by polling");

	kills = load(&run, &p, &last);
	CHECK(kills == KILLS, "uvdpad killed with SIGKILL and restarted %u times under load", kills);
	check_completions(&run);
	check_data(&run, last);

	uvdpa_blk_close(run.b);
	uvdpa_virtio_close(v);
	fe_peer_stop(&p);
	return fe_done();
}
