// SPDX-License-Identifier: MIT
/*
 * A call fd whose O_NONBLOCK the driver cleared (not saturated): every
 * interrupt write then goes the slow way (io_uring hands it to an io-wq
 * kernel thread) and completes after the worker moved on. No interrupt may
 * be lost on the way: here the driver sleeps on its call fd alone, one
 * request at a time, so a lost one is a request that never wakes it.
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tblk.h"

#define REQUESTS 300
#define SATURATED 0xfffffffffffffffeULL

struct req {
	struct virtio_blk_outhdr h;
	uint8_t st;
};

static void flush_req(struct tdev *t, struct req *r)
{
	struct uvdpa_vq_buf b[2] = {
		{ tiova(t, &r->h), sizeof(r->h), false },
		{ tiova(t, &r->st), 1, true },
	};

	r->h.type = htole32(VIRTIO_BLK_T_FLUSH);
	r->h.sector = 0;
	r->st = 0xee;
	REQUIRE(tvq_add(t, 0, b, 2, r, false) == 0, "add");
}

/* Sleeps on the call fd until token tok is used; false if no interrupt
 * comes for 2 s while it is not. */
static bool wait_irq_for(struct tdev *t, int fd, void *tok)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint32_t len;
	uint64_t v;

	for (;;) {
		void *got = tvq_poll(t, 0, &len);

		if (got == tok)
			return true;
		if (got)
			continue;
		p.revents = 0;
		if (poll(&p, 1, 2000) != 1)
			return false;
		REQUIRE(read(fd, &v, 8) == 8, "read the call fd");
	}
}

static void *saturate_thread(void *arg)
{
	uint64_t v = SATURATED;

	REQUIRE(write(*(int *)arg, &v, 8) == 8, "saturate");
	return NULL;
}

/*
 * Sets the counter to its maximum. An interrupt of an earlier round may
 * still be on its way and land at any moment, and the write of the maximum
 * then waits for the counter to be drained: it is made by a helper thread,
 * and while it has not landed this thread drains the counter. Only the
 * helper's landing ends the wait, never a readable counter (the helper's
 * own value makes it readable too); a drain that takes the helper's value
 * (it landed just after the wait gave up) starts over. This thread's read
 * and the helper's write cannot both block: one needs the counter at 0,
 * the other not.
 */
static void saturate(int fd)
{
	for (;;) {
		pthread_t th;
		uint64_t v;

		REQUIRE(pthread_create(&th, NULL, saturate_thread, &fd) == 0, "thread");
		for (;;) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(th, NULL, &ts) == 0)
				return;
			REQUIRE(read(fd, &v, 8) == 8, "read the call fd");
			if (v >= SATURATED)
				break;
		}
		pthread_join(th, NULL);
	}
}

/*
 * The race an owed interrupt closes: a write held back by a saturated
 * counter lands only once the driver drains it; a request completed right
 * then finds that write still outstanding (not reaped yet), and its own
 * interrupt must follow, not be dropped.
 */
static void held_back_then_more(struct tdev *t, int fd)
{
	struct req *r = talloc(t, 2 * sizeof(*r), 16);
	uint64_t v;
	int i;

	for (i = 0; i < 100; i++) {
		uint32_t len;

		saturate(fd);
		flush_req(t, &r[0]);
		REQUIRE(tvq_wait(t, 0, &len, 2000) == &r[0], "first request");
		REQUIRE(read(fd, &v, 8) == 8 && v == SATURATED, "drain");
		flush_req(t, &r[1]);
		REQUIRE(wait_irq_for(t, fd, &r[1]), "round %d: the second request's interrupt", i);
	}
}

int main(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);   /* blocking */
	struct uvdpa_callback cb = { .trigger_fd = fd };
	struct virtio_blk_outhdr *h;
	struct uvdpa_vq_buf b[2];
	struct tdev t;
	uint32_t len;
	uint8_t *st;
	uint64_t v;
	int i;

	twatchdog(60, "interrupts through a blocking call fd");
	REQUIRE(fd >= 0, "eventfd");
	tdev_open(&t, NULL, "vdpasim_blk", "blk0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 32);
	t.ops->set_vq_cb(t.d, 0, &cb);
	h = talloc(&t, sizeof(*h) + 1, 16);
	st = (uint8_t *)(h + 1);
	for (i = 0; i < REQUESTS; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		h->type = htole32(VIRTIO_BLK_T_FLUSH);
		h->sector = 0;
		*st = 0xee;
		b[0] = (struct uvdpa_vq_buf){ tiova(&t, h), sizeof(*h), false };
		b[1] = (struct uvdpa_vq_buf){ tiova(&t, st), 1, true };
		REQUIRE(tvq_add(&t, 0, b, 2, h, false) == 0, "add %d", i);
		REQUIRE(poll(&p, 1, 2000) == 1, "request %d: no interrupt within 2 s", i);
		REQUIRE(read(fd, &v, 8) == 8, "read the call fd");
		/* The interrupt may come before this request's own (an owed one
		 * for the previous); the entry is there or on its way. */
		while (!tvq_poll(&t, 0, &len)) {
			p.revents = 0;
			REQUIRE(poll(&p, 1, 2000) == 1, "request %d: completion without interrupt", i);
			REQUIRE(read(fd, &v, 8) == 8, "read the call fd");
		}
		REQUIRE(*st == VIRTIO_BLK_S_OK, "status");
	}
	CHECK(1, "%d requests, each woken by its interrupt through a blocking call fd", REQUESTS);
	tmem_rewind(&t);
	held_back_then_more(&t, fd);
	CHECK(1, "100 rounds: an interrupt raised while a held-back write is pending follows it");
	tdev_close(&t);
	close(fd);
	return 0;
}
