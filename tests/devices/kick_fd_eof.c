// SPDX-License-Identifier: MIT
/*
 * Kick fds that are not live eventfds: a pipe whose writer closed and a
 * socket whose peer closed are readable for ever (read() returns 0). The
 * worker must not spin on them: it stops watching the fd, breaks that queue
 * (NEEDS_RESET) and raises the config callback, and then sleeps.
 */
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tdev.h"

static atomic_int config_calls;

static void on_config(void *opaque)
{
	(void)opaque;
	atomic_fetch_add(&config_calls, 1);
}

static bool wait_needs_reset(struct tdev *t, int ms)
{
	double end = tnow_ms() + ms;

	while (tnow_ms() < end) {
		if (tdev_status(t) & UVDPA_STATUS_NEEDS_RESET)
			return true;
		tsleep_ms(5);
	}
	return false;
}

/* fd is a dead kick fd, given before DRIVER_OK or after. */
static void run(const char *what, int fd, bool after)
{
	struct uvdpa_callback cb = { .fn = on_config, .trigger_fd = -1 };
	int calls = atomic_load(&config_calls), tid;
	uint64_t c0, c1;
	struct tdev t;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_negotiate(&t, F_ACCESS_PLATFORM | F_VERSION_1);
	t.ops->set_config_cb(t.d, &cb);
	tdev_setup_vq(&t, 0, 64);
	tdev_setup_vq(&t, 1, 64);
	if (!after)
		REQUIRE(t.ops->set_vq_kick_fd(t.d, 1, fd) == 0, "set_vq_kick_fd");
	tdev_driver_ok(&t);
	if (after)
		REQUIRE(t.ops->set_vq_kick_fd(t.d, 1, fd) == 0, "set_vq_kick_fd");

	CHECK(wait_needs_reset(&t, 2000), "%s: the queue is broken (NEEDS_RESET)", what);
	CHECK(atomic_load(&config_calls) > calls, "%s: config callback raised", what);
	tid = tworker_tid("net0");
	REQUIRE(tid > 0, "worker thread");
	tsleep_ms(50);
	c0 = tthread_cpu_ns(tid);
	tsleep_ms(500);
	c1 = tthread_cpu_ns(tid);
	CHECK(c1 - c0 < 20000000ULL, "%s: the worker sleeps (%.2f ms CPU in 500 ms)", what,
	      (double)(c1 - c0) / 1e6);
	tdev_close(&t);
	close(fd);
}

int main(void)
{
	int p[2], sv[2];

	twatchdog(30, "kick fds at EOF");
	REQUIRE(pipe(p) == 0, "pipe");
	close(p[1]);
	run("pipe without writer, before DRIVER_OK", p[0], false);
	REQUIRE(pipe(p) == 0, "pipe");
	close(p[1]);
	run("pipe without writer, after DRIVER_OK", p[0], true);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	close(sv[1]);
	run("socket whose peer closed, before DRIVER_OK", sv[0], false);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	close(sv[1]);
	run("socket whose peer closed, after DRIVER_OK", sv[0], true);
	return 0;
}
