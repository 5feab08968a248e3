// SPDX-License-Identifier: MIT
/*
 * Kick fds that are readable for ever: a pipe whose writer is gone and a
 * socket whose peer closed. Before the fix the device worker polled them,
 * read 0 and polled again at 100 % of a CPU. Now SET_VRING_KICK refuses
 * them (a failure ack with REPLY_ACK, a dropped front end without), the
 * daemon's CPU time stays flat, and the next front end uses the device.
 */
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "hostile.h"

#define MEM (4u << 20)

/* Daemon CPU ticks spent over about a second (100 ticks = one CPU). */
static unsigned long long cpu_over_a_second(const struct hd *d)
{
	unsigned long long t0 = hd_cpu_ticks(d->pid);

	usleep(1000000);
	return hd_cpu_ticks(d->pid) - t0;
}

/* Everything up to SET_VRING_KICK on ring 1 (tx), with or without acks. */
static void prepare(struct fe *f, const char *path, bool ack)
{
	uint64_t proto = ack ? F(VHOST_USER_PROTOCOL_F_REPLY_ACK) : 0;

	fe_open(f, path, MEM);
	fe_add_region(f, 0, MEM, 0x100000000ull);
	REQUIRE(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), proto), "negotiated");
	REQUIRE(fe_send_mem_table(f) == 0, "mem table");
	REQUIRE(fe_ring_start(f, 0, 256, false, false, 0) == 0, "rx ring started");
}

static int64_t send_kick(struct fe *f, int kfd)
{
	struct fe_ring *r = &f->ring[1];
	struct vhost_vring_state st = { .index = 1, .num = 256 };
	struct vhost_vring_addr a = { .index = 1 };
	uint64_t u = 1;

	r->num = 256;
	r->desc = fe_alloc(f, 0, uvdpa_vq_desc_size(256, false), 4096);
	r->driver = fe_alloc(f, 0, uvdpa_vq_driver_size(256, false, false), 64);
	r->device = fe_alloc(f, 0, uvdpa_vq_device_size(256, false, false), 64);
	a.desc_user_addr = (uintptr_t)r->desc;
	a.avail_user_addr = (uintptr_t)r->driver;
	a.used_user_addr = (uintptr_t)r->device;
	fe_acked(f, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	fe_acked(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	return fe_acked(f, VHOST_USER_SET_VRING_KICK, &u, 8, &kfd, 1);
}

static void check_device_usable(struct hd *d, const char *path, const char *what)
{
	struct fe f;

	hd_net_session(&f, path, MEM);
	CHECK(fe_net_loopback(&f, 0, 1, 50, 7, 0) == 50,
	      "after the %s, the next front end loops 50 frames through the device", what);
	fe_close(&f);
	(void)d;
}

int main(int argc, char **argv)
{
	unsigned long long spent;
	char path[512];
	struct hd d;
	struct fe f;
	int p[2], sv[2];

	printf("# kick fds at EOF against a real uvdpad\n");
	hd_start(&d, argc > 1 ? argv[1] : NULL);
	REQUIRE(!hd_dev_add(&d, "net0", "vdpasim_net"), "dev add net0");
	hd_vhost_path(&d, "net0", path, sizeof(path));

	/* a pipe with no writer, with REPLY_ACK: refused in-band */
	REQUIRE(!pipe(p), "pipe");
	close(p[1]);
	prepare(&f, path, true);
	CHECK(send_kick(&f, p[0]) > 0, "SET_VRING_KICK with a pipe at EOF is refused (ack != 0)");
	close(p[0]);
	spent = cpu_over_a_second(&d);
	CHECK(spent < 20, "uvdpad used %llu ticks in a second (no spinning)", spent);
	CHECK(hd_log_has(&d, "SET_VRING_KICK: ring 1: kick fd refused: it is a pipe"),
	      "the log names the request, the ring and why");
	fe_close(&f);
	check_device_usable(&d, path, "pipe");

	/* a socket whose peer closed, without REPLY_ACK: the front end is dropped */
	REQUIRE(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	close(sv[1]);
	prepare(&f, path, false);
	send_kick(&f, sv[0]);
	close(sv[0]);
	CHECK(fe_closed_by_peer(&f, 2000 * hd_mult()),
	      "SET_VRING_KICK with a socket at EOF drops a front end without REPLY_ACK");
	spent = cpu_over_a_second(&d);
	CHECK(spent < 20, "uvdpad used %llu ticks in a second (no spinning)", spent);
	CHECK(hd_log_has(&d, "kick fd refused: it is a socket"), "the log says it is a socket");
	fe_close(&f);
	check_device_usable(&d, path, "socket");

	CHECK(hd_alive(&d), "uvdpad is alive");
	CHECK(hd_stop(&d, 2000 * hd_mult()) == 0, "uvdpad exits 0 on SIGTERM");
	return 0;
}
