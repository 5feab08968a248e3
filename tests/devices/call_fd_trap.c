// SPDX-License-Identifier: MIT
/*
 * A driver that flips O_NONBLOCK on and off on its saturated call eventfd
 * can catch the worker inside the kernel: io_uring's inline write sees the
 * flag set, eventfd_write() then sees it cleared and sleeps until the
 * counter is drained, which this driver never does. It may stall its own
 * device, not the daemon: a control op that waits for the worker's
 * submission (replacing the call fd) must return, and the worker must go
 * on to serve the next request.
 *
 * Each round hands the device a fresh saturated eventfd (the last KEEP stay
 * open, so the flipping thread, which may hold a number for a while, flips
 * one of ours), posts one request and sees whether the worker got stuck in
 * io_uring_enter. The race needs the flipper on one CPU while the worker
 * runs on the other: the test runs alone (meson is_parallel false).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tblk.h"

#define SATURATED 0xfffffffffffffffeULL
#define MAX_MS 20000.0      /* rounds until WANT_TRAPS catches or this long */
#define WANT_TRAPS 5
#define KEEP 64             /* eventfds kept open behind the current one */
#define PROMPT_MS 1000.0

struct flipper {
	atomic_int fd;
	atomic_bool stop;
};

/* Thread tid (0: the caller) on CPU cpu, when there is one. */
static void pin(int tid, int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(tid, sizeof(set), &set);
}

static void *flip(void *arg)
{
	struct flipper *f = arg;

	pin(0, 1);   /* beside the worker, not taking turns with it */
	while (!atomic_load(&f->stop)) {
		int fd = atomic_load(&f->fd);

		fcntl(fd, F_SETFL, O_NONBLOCK);
		fcntl(fd, F_SETFL, 0);
	}
	return NULL;
}

/* Stuck: still in io_uring_enter after 20 ms (a submission takes us). */
static bool trapped(int tid)
{
	for (int i = 0; i < 20; i++) {
		if (!tthread_in(tid, SYS_io_uring_enter, SYS_io_uring_enter, -1))
			return false;
		tsleep_ms(1);
	}
	return true;
}

static void flush_req(struct tdev *t, struct virtio_blk_outhdr *h, uint8_t *st)
{
	struct uvdpa_vq_buf b[2] = {
		{ tiova(t, h), sizeof(*h), false },
		{ tiova(t, st), 1, true },
	};

	h->type = htole32(VIRTIO_BLK_T_FLUSH);
	h->sector = 0;
	*st = 0xee;
	REQUIRE(tvq_add(t, 0, b, 2, h, false) == 0, "add");
}

/* The ring, not the interrupt: the interrupts go to the flipped fds. */
static bool served(struct tdev *t, void *tok, uint32_t *len)
{
	double end = tnow_ms() + 5000;

	do {
		void *got = tvq_poll(t, 0, len);

		if (got)
			return got == tok;
		usleep(200);   /* the CPU to the worker and the flipper */
	} while (tnow_ms() < end);
	return false;
}

int main(void)
{
	static int fds[KEEP];
	struct flipper fl = { .fd = -1 };
	struct virtio_blk_outhdr *h;
	unsigned rounds, traps = 0, i;
	double slowest = 0, end;
	pthread_t th;
	struct tdev t;
	uint8_t *st;
	int tid;

	twatchdog(120, "a driver flipping O_NONBLOCK on its call fd");
	tdev_open(&t, NULL, "vdpasim_blk", "blk0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 32);
	h = talloc(&t, sizeof(*h) + 1, 16);
	st = (uint8_t *)(h + 1);
	for (i = 0; i < KEEP; i++)
		fds[i] = -1;
	end = tnow_ms() + MAX_MS;
	for (rounds = 0; tnow_ms() < end && traps < WANT_TRAPS; rounds++) {
		int *fd = &fds[rounds % KEEP];
		uint64_t v = SATURATED;
		struct uvdpa_callback cb;
		uint32_t len;
		double t0;

		if (*fd >= 0)
			close(*fd);
		*fd = eventfd(0, EFD_CLOEXEC);
		REQUIRE(*fd >= 0 && write(*fd, &v, 8) == 8, "saturated eventfd");
		cb = (struct uvdpa_callback){ .trigger_fd = *fd };
		t0 = tnow_ms();
		t.ops->set_vq_cb(t.d, 0, &cb);
		if (tnow_ms() - t0 > slowest)
			slowest = tnow_ms() - t0;
		atomic_store(&fl.fd, *fd);
		if (rounds == 0) {
			pin(0, 0);
			pin(tworker_tid("blk0"), 0);
			REQUIRE(pthread_create(&th, NULL, flip, &fl) == 0, "thread");
		}
		flush_req(&t, h, st);
		REQUIRE(served(&t, h, &len) && *st == VIRTIO_BLK_S_OK, "round %u: request served",
			rounds);
		tid = tworker_tid("blk0");
		if (tid && trapped(tid))
			traps++;
	}
	atomic_store(&fl.stop, true);
	pthread_join(th, NULL);
	printf("# %u rounds, the worker caught in the kernel in %u; slowest call fd "
	       "change %.1f ms\n", rounds, traps, slowest);
	CHECK(traps > 0, "the race was reached: the worker got caught in %u of %u rounds",
	      traps, rounds);
	CHECK(slowest < PROMPT_MS, "replacing the call fd returned within %.0f ms every "
	      "time (slowest %.1f ms), the worker caught or not", PROMPT_MS, slowest);
	CHECK(tdev_status(&t) == (UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
				  UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK),
	      "the device still runs");
	tdev_close(&t);
	for (i = 0; i < KEEP; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}
