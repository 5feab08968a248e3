// SPDX-License-Identifier: MIT
/*
 * Call fds that block. A full pipe is refused at SET_VRING_CALL. A blocking
 * eventfd whose counter is at its maximum is an eventfd, so it is taken
 * (and made non-blocking); the front end then clears O_NONBLOCK on the
 * description it shares and makes the device complete buffers. Whatever
 * the device's write does, uvdpad must keep answering management and
 * control messages, let the front end go, delete the device and exit on
 * SIGTERM within 2 s. (The non-blocking write itself lives in the device
 * runtime, src/devices.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "hostile.h"

#define MEM (4u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void full_pipe(struct hd *d, const char *path)
{
	char junk[4096] = { 0 };
	uint64_t u = 1;
	struct fe f;
	int p[2];

	REQUIRE(!pipe2(p, O_NONBLOCK | O_CLOEXEC), "pipe");
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	hd_net_session(&f, path, MEM);
	CHECK(fe_acked(&f, VHOST_USER_SET_VRING_CALL, &u, 8, &p[1], 1) > 0,
	      "SET_VRING_CALL with a full pipe is refused (ack != 0)");
	CHECK(hd_log_has(d, "SET_VRING_CALL: ring 1: call fd refused: it is a pipe"),
	      "the log names the request, the ring and why");
	CHECK(fe_net_loopback(&f, 0, 1, 20, 5, 0) == 20,
	      "the rings keep their previous call fds and loop frames");
	fe_close(&f);
	close(p[0]);
	close(p[1]);
}

/* Sends n frames on tx (ring 1) without waiting for anything. */
static void blind_tx(struct fe *f, unsigned n)
{
	struct fe_ring *r = &f->ring[1];

	for (unsigned i = 0; i < n; i++) {
		uint8_t *buf = fe_alloc(f, 0, 12 + 64, 64);
		struct uvdpa_vq_buf b = { .addr = fe_gpa(f, buf), .len = 12 + 64 };

		memset(buf, 0, 12);
		memset(buf + 12, 0xff, 64);
		if (uvdpa_vq_drv_add(&r->drv, &b, 1, buf))
			break;
	}
	uvdpa_vq_drv_publish(&r->drv);
	fe_kick(r);
}

static void saturated_eventfd(struct hd *d, const char *path)
{
	uint64_t max = 0xfffffffffffffffeull, feat = 0;
	uint64_t u0 = 0, u1 = 1;
	struct fe f;
	double t;
	int efd, fl, st;

	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0 && write(efd, &max, 8) == 8, "saturated eventfd");
	hd_net_session(&f, path, MEM);
	CHECK(fe_acked(&f, VHOST_USER_SET_VRING_CALL, &u0, 8, &efd, 1) == 0 &&
	      fe_acked(&f, VHOST_USER_SET_VRING_CALL, &u1, 8, &efd, 1) == 0,
	      "a saturated blocking eventfd is taken as call fd of both rings");
	fl = fcntl(efd, F_GETFL);
	CHECK(fl & O_NONBLOCK, "uvdpad made the call fd non-blocking");
	/* hostile: clear it again on the shared file description */
	REQUIRE(fcntl(efd, F_SETFL, fl & ~O_NONBLOCK) == 0, "clear O_NONBLOCK");
	blind_tx(&f, 32);
	usleep(200000);

	t = now();
	CHECK(hd_dev_count(d) == 2 && now() - t < 2, "uvdpad answers dev show (%.2f s)", now() - t);
	t = now();
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_FEATURES, &feat) && now() - t < 2,
	      "and control messages on the wedged connection (%.2f s)", now() - t);
	fe_close(&f);
	t = now();
	CHECK(hd_dev_del(d, "net0") == 0 && now() - t < 2, "the device is deleted (%.2f s)",
	      now() - t);
	t = now();
	st = hd_stop(d, 2000 * hd_mult());
	CHECK(st == 0, "SIGTERM: uvdpad exits 0 within %u s (status %d, %.2f s)", 2 * hd_mult(), st,
	      now() - t);
	close(efd);
}

int main(int argc, char **argv)
{
	char path[512];
	struct hd d;

	printf("# call fds that block, against a real uvdpad\n");
	hd_start(&d, argc > 1 ? argv[1] : NULL);
	REQUIRE(!hd_dev_add(&d, "net0", "vdpasim_net") && !hd_dev_add(&d, "net1", "vdpasim_net"),
		"devices added");
	hd_vhost_path(&d, "net0", path, sizeof(path));
	full_pipe(&d, path);
	saturated_eventfd(&d, path);
	return 0;
}
