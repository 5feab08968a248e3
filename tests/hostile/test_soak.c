// SPDX-License-Identifier: MIT
/*
 * 10,000 front ends come and go on one device of a real uvdpad: valid
 * sessions up to DRIVER_OK, sessions cut in the middle of the handshake,
 * in the middle of a message, and with requests still unanswered. At the
 * end uvdpad holds as many fds and threads as after the warm-up, its RSS is
 * flat, and the device still works.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "hostile.h"

#define SESSIONS 10000
#define WARMUP   400
#define MEM      (2u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void valid(struct fe *f)
{
	REQUIRE(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), F(VHOST_USER_PROTOCOL_F_REPLY_ACK)),
		"negotiate");
	REQUIRE(fe_send_mem_table(f) == 0, "mem table");
	REQUIRE(fe_ring_resume(f, 0, 0) == 0 && fe_ring_resume(f, 1, 0) == 0, "rings");
}

static void mid_handshake(struct fe *f)
{
	uint64_t v;
	int r;

	r = fe_send(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	REQUIRE(!r, "SET_OWNER: %s", strerror(-r));
	r = fe_get_u64(f, VHOST_USER_GET_FEATURES, &v);
	REQUIRE(!r, "GET_FEATURES: %s", strerror(-r));
}

/* A header that announces more than follows (or half a header). */
static void mid_message(struct fe *f, unsigned i)
{
	struct vhost_user_hdr h = { .request = VHOST_USER_SET_VRING_ADDR,
				    .flags = VHOST_USER_VERSION, .size = 40 };
	uint8_t buf[sizeof(h) + 10] = { 0 };
	size_t len = i & 4 ? sizeof(h) / 2 : sizeof(buf);

	memcpy(buf, &h, sizeof(h));
	REQUIRE(send(f->sock, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "partial message: %s",
		strerror(errno));
}

/* Requests with fds and replies owed, and nobody reading. */
static void in_flight(struct fe *f)
{
	uint64_t u = 0;

	fe_send(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	fe_send(f, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	fe_send(f, VHOST_USER_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0);
	fe_send(f, VHOST_USER_SET_VRING_CALL, 0, &u, 8, &f->ring[0].call, 1);
	fe_send(f, VHOST_USER_GET_VRING_BASE, 0, &u, 8, NULL, 0);
}

static void one_session(struct fe *f, const char *path, unsigned i)
{
	fe_reconnect(f, path);
	switch (i % 4) {
	case 0: valid(f); break;
	case 1: mid_handshake(f); break;
	case 2: mid_message(f, i); break;
	default: in_flight(f); break;
	}
}

/* The last connection's thread ends once it has reset the device. */
/*
 * A count once the previous connection's teardown is over: its thread
 * closes its fds and exits after the front end already sees the socket
 * closed, so a count taken at once can catch it half-way.
 */
static unsigned settled(unsigned (*count)(pid_t), pid_t pid, unsigned want)
{
	for (int t = 0; t < 300 && count(pid) > want; t++)
		usleep(10000);
	return count(pid);
}

/* A count that stayed the same over 50 ms. */
static unsigned steady(unsigned (*count)(pid_t), pid_t pid)
{
	unsigned a = count(pid), b;

	for (int t = 0; t < 100; t++, a = b) {
		usleep(50000);
		b = count(pid);
		if (a == b)
			break;
	}
	return a;
}

/* AddressSanitizer keeps freed memory in quarantine (256 MiB), which
 * would read as growth; the daemon inherits this environment. */
static void no_quarantine(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char opts[512];

	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
		 old ? old : "", old && *old ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
}

int main(int argc, char **argv)
{
	unsigned fds0, th0, fds1, th1;
	unsigned long rss0, rss1, slack;
	char path[512];
	double t0;
	struct hd d;
	struct fe f;

	printf("# %u front ends come and go, against a real uvdpad\n", SESSIONS);
	no_quarantine();
	hd_start(&d, argc > 1 ? argv[1] : NULL);
	REQUIRE(!hd_dev_add(&d, "soak0", "vdpasim_net"), "dev add");
	hd_vhost_path(&d, "soak0", path, sizeof(path));
	hd_net_session(&f, path, MEM);
	REQUIRE(fe_net_loopback(&f, 0, 1, 10, 1, 0) == 10, "first session works");

	t0 = now();
	for (unsigned i = 0; i < WARMUP; i++)
		one_session(&f, path, i);
	fe_reconnect(&f, path);
	valid(&f);
	fds0 = steady(hd_fds, d.pid);
	th0 = steady(hd_threads, d.pid);
	rss0 = hd_rss_kb(d.pid);
	for (unsigned i = WARMUP; i < SESSIONS; i++)
		one_session(&f, path, i);
	fe_reconnect(&f, path);
	valid(&f);
	printf("# %u sessions in %.1f s\n", SESSIONS, now() - t0);
	th1 = settled(hd_threads, d.pid, th0);
	fds1 = settled(hd_fds, d.pid, fds0);
	rss1 = hd_rss_kb(d.pid);
	/* A leak grows; one fewer (a worker between two io_uring set-ups
	 * when the warm-up count was taken) is not one. */
	CHECK(fds1 <= fds0, "uvdpad holds %u fds (%u after the warm-up)", fds1, fds0);
	if (th1 != th0)
		hd_print_threads(d.pid);
	CHECK(th1 <= th0, "and runs %u threads (%u after the warm-up)", th1, th0);
	slack = 4096ul * hd_mult();
	CHECK(rss1 <= rss0 + slack, "RSS %lu KiB (%lu after the warm-up, slack %lu)",
	      rss1, rss0, slack);
	CHECK(fe_net_loopback(&f, 0, 1, 50, 2, 0) == 50, "the device still loops frames");
	fe_close(&f);
	CHECK(hd_stop(&d, 2000 * hd_mult()) == 0, "uvdpad exits 0 on SIGTERM");
	return 0;
}
