// SPDX-License-Identifier: MIT
/*
 * A front end that hangs up and connects again at once is served, not
 * turned away as a second front end.
 *
 * The face's connection thread polls the front end's socket and the
 * listening socket together. poll() samples them one after the other, so
 * the hang-up can land just after the first sample and the new connection
 * just before the second: the thread then sees a knock while its front end
 * looks alive. That happens once in tens of thousands of reconnects; this
 * test makes it happen every time, by standing in for poll() and reporting
 * exactly that sample to the face.
 */
#include <dlfcn.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define GPA_BASE 0x100000000ull
#define MEM      (4u << 20)
#define ROUNDS   3

typedef int (*poll_fn)(struct pollfd *, nfds_t, int);

static poll_fn real_poll;
static atomic_bool staged;      /* the next hang-up is to be seen late */
static atomic_int races;        /* times the late sample was reported */

static bool is_listener(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) && v;
}

/* The connection thread's wait: the front end's socket first, the listener
 * third, no timeout. */
static bool is_conn_wait(const struct pollfd *p, nfds_t n, int timeout)
{
	return n >= 3 && timeout < 0 && is_listener(p[2].fd);
}

/*
 * Once staged: when the front end's socket turns readable (its hang-up),
 * report the sample the kernel takes when the hang-up lands between the two
 * looks: socket quiet, listener knocked on (after waiting for the knock).
 */
int poll(struct pollfd *p, nfds_t n, int timeout)
{
	int r = real_poll(p, n, timeout);
	struct pollfd l;

	if (r <= 0 || !is_conn_wait(p, n, timeout) || !p[0].revents ||
	    !atomic_exchange(&staged, false))
		return r;
	l = (struct pollfd){ .fd = p[2].fd, .events = POLLIN };
	if (p[2].revents || real_poll(&l, 1, 5000) == 1) {
		p[0].revents = 0;
		p[2].revents = POLLIN;
		atomic_fetch_add(&races, 1);
	}
	return r;
}

static void session(struct fe *f, const char *sock, unsigned round)
{
	uint64_t v;

	fe_open(f, sock, MEM);
	fe_add_region(f, 0, MEM, GPA_BASE);
	CHECK(!fe_get_u64(f, VHOST_USER_GET_FEATURES, &v),
	      "round %u: the front end is answered", round);
}

static void runs(struct fe *f, unsigned round)
{
	CHECK(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), F(VHOST_USER_PROTOCOL_F_REPLY_ACK)) &&
	      fe_send_mem_table(f) == 0 &&
	      fe_ring_start(f, 0, 256, false, true, 0) == 0 &&
	      fe_ring_start(f, 1, 256, false, true, 0) == 0, "round %u: rings started", round);
	CHECK(fe_net_loopback(f, 0, 1, 32, 1 + round, 0) == 32,
	      "round %u: 32 frames looped back", round);
}

int main(void)
{
	struct fe fes[2], *cur = &fes[0], c;
	struct harness h;

	printf("# a front end that reconnects at once is served, not refused\n");
	real_poll = (poll_fn)dlsym(RTLD_NEXT, "poll");
	REQUIRE(real_poll, "the real poll: %s", dlerror());
	harness_open(&h, "vdpasim_net", "vsucc0", NULL);

	session(cur, h.sock, 0);
	for (unsigned round = 1; round <= ROUNDS; round++) {
		struct fe *next = &fes[round % 2];
		int before = atomic_load(&races);

		atomic_store(&staged, true);
		fe_close(cur);
		session(next, h.sock, round);
		CHECK(atomic_load(&races) == before + 1,
		      "round %u: the hang-up was seen after the knock", round);
		runs(next, round);
		cur = next;
	}

	/* A real second front end is still turned away. */
	fe_open(&c, h.sock, 0);
	CHECK(fe_closed_by_peer(&c, 2000), "a second front end is turned away");
	fe_close(&c);
	CHECK(fe_net_loopback(cur, 0, 1, 8, 9, 0) == 8, "the served one still runs");
	fe_close(cur);
	CHECK(wait_device_status(h.dev, 0, 2000), "device reset after the last one left");
	harness_close(&h);
	return 0;
}
