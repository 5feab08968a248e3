// SPDX-License-Identifier: MIT
/*
 * Without io_uring (here a seccomp filter refuses io_uring_setup, as a
 * container's default profile does) a helper thread writes the call fds.
 * A driver whose call eventfd is saturated and blocking makes that write
 * sleep until it reads: only the interrupts wait. The worker serves the
 * requests, replacing the call fd returns at once, the interrupt owed
 * reaches the new fd once the driver drains the old one, and a reset
 * returns with the helper caught in its write.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "tblk.h"

#define PROMPT_MS 1000.0

/* io_uring_setup fails with ENOSYS from now on, in every thread made after. */
static void no_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	REQUIRE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0, "seccomp filter");
	REQUIRE(syscall(__NR_io_uring_setup, 1, NULL) == -1 && errno == ENOSYS,
		"io_uring_setup refused");
}

/* A flush, completed through the ring (the interrupts may be held). */
static bool flush_served(struct tdev *t, struct virtio_blk_outhdr *h, uint8_t *st)
{
	struct uvdpa_vq_buf b[2] = {
		{ tiova(t, h), sizeof(*h), false },
		{ tiova(t, st), 1, true },
	};
	double end;
	uint32_t len;

	h->type = htole32(VIRTIO_BLK_T_FLUSH);
	h->sector = 0;
	*st = 0xee;
	REQUIRE(tvq_add(t, 0, b, 2, h, false) == 0, "add");
	for (end = tnow_ms() + 5000; tnow_ms() < end; tsleep_ms(1)) {
		void *got = tvq_poll(t, 0, &len);

		if (got)
			return got == h && *st == VIRTIO_BLK_S_OK;
	}
	return false;
}

/* Sets the call fd; how long the op took. */
static double set_call(struct tdev *t, int fd)
{
	struct uvdpa_callback cb = { .trigger_fd = fd };
	double t0 = tnow_ms();

	t->ops->set_vq_cb(t->d, 0, &cb);
	return tnow_ms() - t0;
}

int main(void)
{
	struct virtio_blk_outhdr *h;
	unsigned i, served = 0;
	struct pollfd p;
	struct tdev t;
	uint64_t v;
	double ms;
	int a, b, c, helper;
	uint8_t *st;

	twatchdog(60, "call fds written without io_uring");
	no_io_uring();
	tdev_open(&t, NULL, "vdpasim_blk", "blk0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 32);
	h = talloc(&t, sizeof(*h) + 1, 16);
	st = (uint8_t *)(h + 1);
	for (i = 0; i < 200 && !(helper = tthread_tid("virq:blk0")); i++)
		tsleep_ms(10);   /* the worker starts it first thing */
	REQUIRE(helper, "the worker has a call-fd writer thread (no io_uring)");

	/* A driver that never reads its saturated, blocking call fd. */
	a = tsaturated_eventfd();
	ms = set_call(&t, a);
	CHECK(flush_served(&t, h, st), "first request served");
	CHECK(tthread_wait_in(helper, SYS_write, SYS_write, -1, 2000),
	      "the writer sleeps in write() on the full counter");
	for (i = 0; i < 20; i++)
		served += flush_served(&t, h, st);
	CHECK(served == 20, "the worker serves on: %u of 20 requests", served);

	/* A new call fd: the op returns; the owed interrupt goes there once the
	 * driver drains the old one and the writer's sleep ends. */
	b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	REQUIRE(b >= 0, "eventfd");
	ms += set_call(&t, b);
	CHECK(ms < PROMPT_MS, "replacing a call fd the writer sleeps on returns (%.1f ms)", ms);
	CHECK(flush_served(&t, h, st), "served after the change");
	p = (struct pollfd){ .fd = b, .events = POLLIN };
	CHECK(poll(&p, 1, 100) == 0, "no interrupt on the new fd while the writer is held");
	REQUIRE(read(a, &v, 8) == 8, "the driver drains the old fd");
	CHECK(poll(&p, 1, 5000) == 1, "then the new fd gets its interrupt");

	/* Held again; a reset stops the worker and cancels the writer's write. */
	c = tsaturated_eventfd();
	set_call(&t, c);
	CHECK(flush_served(&t, h, st), "request with a third, saturated call fd");
	CHECK(tthread_wait_in(helper, SYS_write, SYS_write, -1, 2000), "the writer sleeps again");
	ms = tnow_ms();
	t.ops->set_status(t.d, 0);
	ms = tnow_ms() - ms;
	CHECK(ms < PROMPT_MS, "reset returns with the writer held (%.1f ms)", ms);
	for (i = 0; i < 200 && (tthread_tid("virq:blk0") || tworker_tid("blk0")); i++)
		tsleep_ms(10);   /* a joined thread may stay listed a moment */
	CHECK(!tthread_tid("virq:blk0") && !tworker_tid("blk0"), "worker and writer gone");
	tdev_close(&t);
	close(a);
	close(b);
	close(c);
	return 0;
}
