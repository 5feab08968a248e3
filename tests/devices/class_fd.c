// SPDX-License-Identifier: MIT
/*
 * The hook for a class with an fd of its own (a file-backed blk's io_uring
 * completion eventfd): the worker watches it while it runs, calls
 * worker_fd_ready when it is readable and runs a pass after; each start asks
 * for the fd again, and a stopped worker no longer watches it.
 */
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/runtime.h"
#include "tdev.h"

struct cls {
	struct devrt sim;             /* first, as the core requires */
	int efd;
	atomic_int asked, ready, passes;
};

static struct cls *to_cls(struct devrt *s)
{
	return (struct cls *)s;
}

static unsigned work(struct devrt *s, bool *again)
{
	*again = false;
	atomic_fetch_add(&to_cls(s)->passes, 1);
	return 0;
}

static int worker_fd(struct devrt *s)
{
	atomic_fetch_add(&to_cls(s)->asked, 1);
	return to_cls(s)->efd;
}

static void fd_ready(struct devrt *s)
{
	uint64_t v;

	REQUIRE(read(to_cls(s)->efd, &v, 8) == 8, "the class drains its fd");
	atomic_fetch_add(&to_cls(s)->ready, 1);
}

static bool wait_for(atomic_int *v, int want)
{
	int i;

	for (i = 0; i < 200 && atomic_load(v) < want; i++)
		tsleep_ms(5);
	return atomic_load(v) >= want;
}

static void knock(int fd)
{
	uint64_t one = 1;

	REQUIRE(write(fd, &one, 8) == 8, "write the class fd");
}

int main(void)
{
	const struct devrt_dev_attr attr = {
		.id = 2, .supported_features = VDPASIM_F_ACCESS_PLATFORM, .config_size = 8,
		.alloc_size = sizeof(struct cls), .nvqs = 1, .work_fn = work,
		.worker_fd = worker_fd, .worker_fd_ready = fd_ready,
	};
	const uint8_t live = UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
			     UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK;
	struct devrt *s;
	struct cls *c;
	int err = 0, passes, efd;

	twatchdog(30, "class fd");
	s = devrt_create(&attr, NULL, "cls0", &err);
	REQUIRE(s, "create: %d", err);
	c = to_cls(s);
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	REQUIRE(c->efd >= 0, "eventfd");

	s->vdev.ops->set_status(&s->vdev, live);
	CHECK(atomic_load(&c->asked) == 1, "the worker asks for the class fd when it starts");
	passes = atomic_load(&c->passes);
	knock(c->efd);
	CHECK(wait_for(&c->ready, 1) && wait_for(&c->passes, passes + 1),
	      "a readable class fd calls worker_fd_ready, then a pass");
	knock(c->efd);
	CHECK(wait_for(&c->ready, 2), "and again");

	s->vdev.ops->reset(&s->vdev);
	knock(c->efd);
	tsleep_ms(50);
	CHECK(atomic_load(&c->ready) == 2, "no worker, no watching");
	s->vdev.ops->set_status(&s->vdev, live);
	CHECK(atomic_load(&c->asked) == 2 && wait_for(&c->ready, 3),
	      "the next start asks again and sees what came meanwhile");
	efd = c->efd;   /* the class owns it; it outlives the worker */
	devrt_destroy(s);
	close(efd);
	return 0;
}
