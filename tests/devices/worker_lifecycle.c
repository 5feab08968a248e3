// SPDX-License-Identifier: MIT
/*
 * A worker thread only while a driver is live: DRIVER_OK starts it, reset
 * (or status 0) stops it and releases its epoll, eventfds and io_uring.
 * 1000 DRIVER_OK/reset cycles end with the thread and fd counts they
 * started with; kicks between a reset and the next start are harmless; the
 * device works after the cycles, in poll mode too. The worker leaves
 * synchronous fault signals unblocked (a SIGBUS handler must run on it).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "tdev.h"

/* The worker's blocked-signal mask, from /proc. */
static uint64_t sig_blocked(int tid)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	REQUIRE(f, "open %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	fclose(f);
	return mask;
}

static void loop_one(struct tdev *t, uint8_t tag)
{
	uint8_t frame[60];
	uint32_t len;
	uint8_t *rx;

	memset(frame, 0xff, 6);
	memset(frame + 6, tag, sizeof(frame) - 6);
	rx = tnet_post_rx(t, 0, 256, 1, false);
	tnet_send(t, 0, frame, sizeof(frame), 1, false);
	REQUIRE(tvq_wait(t, 0, &len, 5000) == rx && rx[12 + 6] == tag, "loopback %u", tag);
	tnet_reap_tx(t, 0, 1);
}

/* The worker names itself once it runs. */
static int wait_worker(const char *name)
{
	int i, tid = 0;

	for (i = 0; i < 200 && !tid; i++) {
		tid = tworker_tid(name);
		if (!tid)
			tsleep_ms(5);
	}
	return tid;
}

/*
 * Threads of this process once a stopped worker is gone from /proc: its
 * pthread_join returns when the kernel clears the thread's tid, and the
 * kernel lists the thread until the rest of its exit (its io_uring's task
 * work among it) is done. Waits up to 2 s for want, then says what is there.
 */
static unsigned threads_settled(unsigned want)
{
	unsigned n;

	for (int i = 0; (n = tcount_threads()) != want && i < 2000; i++)
		tsleep_ms(1);
	return n;
}

int main(void)
{
	unsigned th0, fd0, th, fd, i;
	uint64_t blk;
	struct tdev t;
	int tid;

	twatchdog(120, "DRIVER_OK/reset cycles");
	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	/* The test driver's own call eventfds, made now so they count in fd0. */
	for (i = 0; i < 2; i++)
		t.vq[i].call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	th0 = tcount_threads();
	fd0 = tcount_fds();
	CHECK(tworker_tid("net0") == 0, "no worker before DRIVER_OK");

	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
	tid = wait_worker("net0");
	CHECK(tid > 0 && tcount_threads() == th0 + 1, "DRIVER_OK starts one worker");
	blk = sig_blocked(tid);
	CHECK(!(blk & (1ULL << (SIGBUS - 1))) && !(blk & (1ULL << (SIGSEGV - 1))) &&
	      !(blk & (1ULL << (SIGFPE - 1))) && !(blk & (1ULL << (SIGILL - 1))),
	      "the worker leaves SIGBUS, SIGSEGV, SIGFPE, SIGILL unblocked (SigBlk %llx)",
	      (unsigned long long)blk);
	CHECK(blk & (1ULL << (SIGTERM - 1)), "and blocks the application's signals");
	loop_one(&t, 1);

	uvdpa_device_reset(t.d);
	th = threads_settled(th0);
	fd = tcount_fds();
	CHECK(tworker_tid("net0") == 0 && th == th0 && fd == fd0,
	      "reset stops it and releases its fds (threads %u -> %u, fds %u -> %u)", th0, th, fd0, fd);
	t.ops->kick_vq(t.d, 0);
	t.ops->kick_vq(t.d, 1);
	CHECK(1, "kicks without a worker are harmless");

	for (i = 0; i < 1000; i++) {
		tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
		if (i % 100 == 0)
			loop_one(&t, (uint8_t)(i / 100 + 2));
		t.ops->kick_vq(t.d, 1);
		if (i % 2)
			uvdpa_device_reset(t.d);
		else
			t.ops->set_status(t.d, 0);
		t.ops->kick_vq(t.d, 1);
	}
	th = threads_settled(th0);
	fd = tcount_fds();
	CHECK(th == th0 && fd == fd0, "1000 DRIVER_OK/reset cycles: threads %u -> %u, fds %u -> %u",
	      th0, th, fd0, fd);

	CHECK(t.ops->set_poll_mode(t.d, UVDPA_POLL_ADAPTIVE) == 0, "poll mode");
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
	for (i = 0; i < 20; i++)
		loop_one(&t, (uint8_t)(100 + i));
	CHECK(1, "loopback in poll mode after the cycles");
	uvdpa_device_reset(t.d);
	th = threads_settled(th0);
	fd = tcount_fds();
	CHECK(th == th0 && fd == fd0, "poll mode: reset releases too (threads %u -> %u, fds %u -> %u)",
	      th0, th, fd0, fd);
	tdev_close(&t);
	return 0;
}
