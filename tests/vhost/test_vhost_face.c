// SPDX-License-Identifier: MIT
/*
 * The face around the protocol: socket paths (stale file replaced, a live
 * listener not stolen, a non-socket file kept, paths too long), device
 * removal while a front end sits in the middle of a message, the kick relay
 * for devices without set_vq_kick_fd, and rings started without a kick fd
 * (the device polls).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define GPA_BASE 0x10000000ull
#define MEM      (4u << 20)
#define PROTO    F(VHOST_USER_PROTOCOL_F_REPLY_ACK)

static int bound_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	REQUIRE(s >= 0 && !bind(s, (struct sockaddr *)&sa, sizeof(sa)), "bind %s", path);
	REQUIRE(!listening || !listen(s, 1), "listen");
	return s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void paths(void)
{
	struct harness h;
	struct uvdpa_vhost_face *face;
	char path[200], longdir[200];
	int s, fd;

	harness_open(&h, "vdpasim_net", "vnet-a", NULL);
	uvdpa_vhost_face_device_removed(h.face, h.dev);
	CHECK(!uvdpa_vhost_face_socket_path(h.face, h.dev), "no socket path after removal");
	snprintf(path, sizeof(path), "%s/vnet-a.sock", h.rundir);
	CHECK(access(path, F_OK) != 0, "socket file removed");

	s = bound_socket(path, false);
	close(s);      /* a stale socket file, as a killed daemon leaves */
	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == 0, "stale socket file replaced");
	uvdpa_vhost_face_device_removed(h.face, h.dev);

	s = bound_socket(path, true);
	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == -EADDRINUSE,
	      "a live listener on the path is not stolen");
	close(s);
	unlink(path);

	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0, "create file");
	close(fd);
	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == -EEXIST,
	      "a regular file on the path is kept (EEXIST)");
	unlink(path);

	memset(longdir, 'd', 150);
	longdir[150] = 0;
	face = uvdpa_vhost_face_new(h.bus, longdir);
	CHECK(face && uvdpa_vhost_face_device_added(face, h.dev) == -ENAMETOOLONG,
	      "socket path longer than sun_path: ENAMETOOLONG");
	uvdpa_vhost_face_free(face);

	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == 0, "added again");
	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == -EEXIST, "added twice: EEXIST");
	harness_close(&h);
}

static void removal_mid_message(void)
{
	struct harness h;
	struct fe f;
	double t;

	harness_open(&h, "vdpasim_net", "vnet-b", NULL);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	CHECK(!fe_negotiate(&f, F(VIRTIO_F_VERSION_1), PROTO) && fe_send_mem_table(&f) == 0 &&
	      fe_ring_start(&f, 0, 256, false, false, 0) == 0, "front end set up");
	CHECK(send(f.sock, "\x02\x00\x00\x00\x01", 5, MSG_NOSIGNAL) == 5, "half a header sent");
	t = now();
	uvdpa_vhost_face_device_removed(h.face, h.dev);
	CHECK(now() - t < 2.0, "device removed in %.3f s despite the stalled front end", now() - t);
	CHECK(h.dev->ops->get_status(h.dev) == 0 && !h.dev->ops->get_vq_ready(h.dev, 0),
	      "device reset on removal");
	CHECK(fe_closed_by_peer(&f, 2000), "front end sees the connection closed");
	CHECK(uvdpa_vhost_face_device_added(h.face, h.dev) == 0, "re-added for the harness");
	fe_close(&f);
	harness_close(&h);
}

static void kick_relay(void)
{
	struct uvdpa_device_ops ops;
	const struct uvdpa_device_ops *orig;
	struct harness h;
	struct fe f;

	harness_open(&h, "vdpasim_net", "vnet-c", NULL);
	/* The same device, seen through ops without set_vq_kick_fd. */
	uvdpa_vhost_face_device_removed(h.face, h.dev);
	orig = h.dev->ops;
	ops = *orig;
	ops.set_vq_kick_fd = NULL;
	h.dev->ops = &ops;
	REQUIRE(!uvdpa_vhost_face_device_added(h.face, h.dev), "re-added");
	h.sock = uvdpa_vhost_face_socket_path(h.face, h.dev);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	CHECK(!fe_negotiate(&f, F(VIRTIO_F_VERSION_1), PROTO) && fe_send_mem_table(&f) == 0 &&
	      fe_ring_start(&f, 0, 256, false, false, 0) == 0 &&
	      fe_ring_start(&f, 1, 256, false, false, 0) == 0, "rings started");
	usleep(100000);   /* let the kick of the ring start be consumed first */
	CHECK(fe_net_loopback(&f, 0, 1, 100, 1, 0) == 100,
	      "device without set_vq_kick_fd: kicks relayed, 100 frames back");
	usleep(100000);
	CHECK(fe_net_loopback(&f, 0, 1, 50, 2, 0) == 50, "and 50 more after a pause");
	{
		uint64_t v = 0;

		/* a reader could block or spin on a kick fd the front end controls */
		CHECK(read(f.ring[1].kick, &v, 8) == 8 && v > 0,
		      "the relay never reads kick eventfds (counter %llu)", (unsigned long long)v);
	}
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "reset after disconnect");
	uvdpa_vhost_face_device_removed(h.face, h.dev);
	h.dev->ops = orig;
	REQUIRE(!uvdpa_vhost_face_device_added(h.face, h.dev), "re-added");
	harness_close(&h);
}

static void polled_ring(void)
{
	uint64_t u = 1 | VHOST_USER_VRING_NOFD;
	struct harness h;
	struct fe f;

	harness_open(&h, "vdpasim_net", "vnet-d", NULL);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	CHECK(!fe_negotiate(&f, F(VIRTIO_F_VERSION_1), PROTO) && fe_send_mem_table(&f) == 0 &&
	      fe_ring_start(&f, 0, 256, false, false, 0) == 0 &&
	      fe_ring_start(&f, 1, 256, false, false, 0) == 0, "rings started");
	CHECK(fe_acked(&f, VHOST_USER_SET_VRING_KICK, &u, 8, NULL, 0) == 0,
	      "SET_VRING_KICK ring 1 with the no-fd flag (poll)");
	/* Our kick eventfd is no longer the device's: writing it proves nothing. */
	close(f.ring[1].kick);
	f.ring[1].kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	usleep(100000);
	CHECK(fe_net_loopback(&f, 0, 1, 100, 2, 0) == 100, "TX picked up by polling, 100 frames");
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "reset after disconnect");
	harness_close(&h);
}

int main(void)
{
	printf("# vhost face: sockets, removal, kick relay, polling\n");
	paths();
	removal_mid_message();
	kick_relay();
	polled_ring();
	return 0;
}
