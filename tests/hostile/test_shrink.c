// SPDX-License-Identifier: MIT
/*
 * Shared memory that shrinks under a real uvdpad. A front end ftruncates
 * its guest-memory memfd while net traffic runs, or the inflight area of a
 * blk device (before its ring starts, and while requests flow): it loses
 * its own connection with a log line, uvdpad survives, other devices and
 * the next front end of the same device keep working. The inflight memfd
 * uvdpad hands out is sealed and cannot shrink at all.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/virtio_blk.h>

#include "hostile.h"

#define MEM   (4u << 20)
#define QSIZE 128
#define PROTO (F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | F(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))

static const char *sock_path(struct hd *d, const char *name)
{
	static char buf[4][512];
	static unsigned i;

	return hd_vhost_path(d, name, buf[i++ % 4], sizeof(buf[0]));
}

/* Kicks until the back end closes the connection (true) or time runs out.
 * Only eventfds are touched: the front end's own memory is gone too. */
static bool kick_until_dropped(struct fe *f, unsigned nrings)
{
	for (unsigned t = 0; t < 100 * hd_mult(); t++) {
		for (unsigned i = 0; i < nrings; i++)
			fe_kick(&f->ring[i]);
		if (fe_closed_by_peer(f, 20))
			return true;
	}
	return false;
}

static void net_still_works(struct hd *d, const char *name)
{
	struct fe f;

	hd_net_session(&f, sock_path(d, name), MEM);
	CHECK(fe_net_loopback(&f, 0, 1, 50, 3, 0) == 50, "%s loops 50 frames", name);
	fe_close(&f);
}

static void guest_memory_shrinks(struct hd *d)
{
	struct fe f;

	hd_net_session(&f, sock_path(d, "net0"), MEM);
	CHECK(fe_net_loopback(&f, 0, 1, 100, 1, 0) == 100, "net0: traffic runs");
	REQUIRE(!ftruncate(f.memfd, 0), "truncate guest memory");
	CHECK(kick_until_dropped(&f, 2), "net0: the front end that shrank guest memory is dropped");
	CHECK(hd_alive(d), "uvdpad survives");
	CHECK(hd_log_has(d, "vhost net0: guest memory shrank under the device"),
	      "the log says why the front end was dropped");
	fe_close(&f);
	net_still_works(d, "net1");
	net_still_works(d, "net0");
}

/* blk front end up to a started ring whose inflight area is our own memfd. */
static int blk_session(struct hd *d, struct fe *f, bool truncate_before_start)
{
	struct vhost_user_inflight in = { .num_queues = 1, .queue_size = QSIZE };
	struct vhost_user_msg m;
	int gfd = -1, own;

	fe_open(f, sock_path(d, "blk0"), MEM);
	fe_add_region(f, 0, MEM, 0x100000000ull);
	REQUIRE(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), PROTO), "blk negotiated");
	REQUIRE(fe_send_mem_table(f) == 0, "blk mem table");
	REQUIRE(!fe_send(f, VHOST_USER_GET_INFLIGHT_FD, 0, &in, sizeof(in), NULL, 0) &&
		!fe_recv_fd(f, &m, &gfd, 5000) && gfd >= 0 && m.p.inflight.mmap_size,
		"GET_INFLIGHT_FD");
	CHECK(ftruncate(gfd, 0) < 0 && errno == EPERM,
	      "uvdpad's inflight memfd is sealed: ftruncate fails (EPERM)");
	in = m.p.inflight;
	own = memfd_create("hostile-inflight", MFD_CLOEXEC);
	REQUIRE(own >= 0 && !ftruncate(own, (off_t)in.mmap_size), "own inflight memfd");
	REQUIRE(fe_acked(f, VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in), &own, 1) == 0,
		"SET_INFLIGHT_FD with an unsealed memfd of our own");
	close(gfd);
	if (truncate_before_start)
		REQUIRE(!ftruncate(own, 0), "truncate the inflight area");
	fe_ring_start(f, 0, QSIZE, false, false, 0);
	return own;
}

static void post_request(struct fe *f)
{
	struct fe_ring *r = &f->ring[0];
	struct virtio_blk_outhdr *h = fe_alloc(f, 0, sizeof(*h), 16);
	uint8_t *data = fe_alloc(f, 0, 512, 64), *st = fe_alloc(f, 0, 1, 1);
	struct uvdpa_vq_buf b[3] = {
		{ .addr = fe_gpa(f, h), .len = sizeof(*h) },
		{ .addr = fe_gpa(f, data), .len = 512, .write = true },
		{ .addr = fe_gpa(f, st), .len = 1, .write = true },
	};

	h->type = VIRTIO_BLK_T_IN;
	h->sector = 0;
	REQUIRE(!uvdpa_vq_drv_add(&r->drv, b, 3, st), "add");
	uvdpa_vq_drv_publish(&r->drv);
	fe_kick(r);
}

/* The fault hits the connection's own thread: the ring start reads the
 * area to replay what it records. */
static void inflight_shrinks_before_start(struct hd *d)
{
	struct fe f;
	int own;

	own = blk_session(d, &f, true);
	CHECK(fe_closed_by_peer(&f, 3000 * hd_mult()),
	      "blk0: inflight area truncated before the ring started: front end dropped");
	CHECK(hd_alive(d), "uvdpad survives");
	CHECK(hd_log_has(d, "vhost blk0: guest memory shrank under the device"),
	      "the log says why the front end was dropped");
	close(own);
	fe_close(&f);
	net_still_works(d, "net1");
}

/* The fault hits the device's worker. */
static void inflight_shrinks_while_running(struct hd *d)
{
	uint32_t len;
	struct fe f;
	int own;

	own = blk_session(d, &f, false);
	post_request(&f);
	/* the ring's start sends one call of its own (used entries a dead back
	 * end may have left unsignalled): wait past it for the completion */
	bool used = false;
	for (int k = 0; k < 3 && !used; k++)
		used = fe_wait_call(&f.ring[0], 3000) && uvdpa_vq_drv_get_used(&f.ring[0].drv, &len);
	CHECK(used, "blk0: a request completes with the inflight area in place");
	REQUIRE(!ftruncate(own, 0), "truncate the inflight area");
	post_request(&f);
	CHECK(kick_until_dropped(&f, 1),
	      "blk0: inflight area truncated while requests flow: front end dropped");
	CHECK(hd_alive(d), "uvdpad survives");
	close(own);
	fe_close(&f);
	net_still_works(d, "net1");
}

int main(int argc, char **argv)
{
	struct hd d;

	printf("# shared memory that shrinks, against a real uvdpad\n");
	hd_start(&d, argc > 1 ? argv[1] : NULL);
	REQUIRE(!hd_dev_add(&d, "net0", "vdpasim_net") && !hd_dev_add(&d, "net1", "vdpasim_net") &&
		!hd_dev_add(&d, "blk0", "vdpasim_blk"), "devices added");
	inflight_shrinks_before_start(&d);
	guest_memory_shrinks(&d);
	inflight_shrinks_while_running(&d);
	CHECK(hd_stop(&d, 2000 * hd_mult()) == 0, "uvdpad exits 0 on SIGTERM");
	return 0;
}
