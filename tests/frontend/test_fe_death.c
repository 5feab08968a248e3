// SPDX-License-Identifier: MIT
/*
 * The back end dies under a running blk or net driver (SIGKILL): the next
 * wait for a completion ends in -ECONNRESET as soon as the socket hangs up,
 * not at its timeout, and closing the driver and the connection afterwards
 * neither hangs nor crashes. "qsd-reconnect": the same with reconnect_ms
 * set, against qemu-storage-daemon 7.2, which offers no INFLIGHT_SHMFD:
 * with nothing to resubmit from the library does not reconnect, and the
 * wait ends at once as without the option.
 *
 * usage: test_fe_death qsd | qsd-reconnect | uvdpad UVDPAD UVDPA | uvdpad-net UVDPAD UVDPA
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fe_test.h"

static uint8_t buf[65536];

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kill_peer(struct fe_peer *p)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
}

/* vdpasim_net: a frame in flight when the daemon dies never comes back. */
static void net_death(struct fe_peer *p)
{
	struct uvdpa_vhost_user_opts o = { .device_id = 1 };
	struct uvdpa_virtio *v;
	struct uvdpa_net *n;
	int64_t t0;
	int r;

	memset(buf, 0, 60);
	memcpy(buf, "\x02\x00\x00\x00\x00\x01", 6);
	r = fe_open(p->sock, &o, &v);
	REQUIRE(r == 0, "open %s: %d", p->sock, r);
	r = uvdpa_net_open(v, NULL, &n);
	REQUIRE(r == 0, "net open: %d", r);
	CHECK(uvdpa_net_send(n, 0, buf, 60) == 0 && uvdpa_net_wait_rx(n, 0, 5000) == 1 &&
	      uvdpa_net_recv(n, 0, buf, sizeof(buf)) == 60, "a frame loops while the back end lives");
	kill_peer(p);
	t0 = now_ms();
	r = uvdpa_net_wait_rx(n, 0, 20000);
	CHECK(r == -ECONNRESET, "waiting for a frame after SIGKILL of the back end: %d", r);
	CHECK(now_ms() - t0 < 2000, "  ... in %lld ms, not at the 20 s timeout",
	      (long long)(now_ms() - t0));
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
}

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts o = { .reconnect_ms = 10000 };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fe_peer p;
	int64_t t0;
	int r;

	REQUIRE(argc >= 2, "usage: test_fe_death qsd | qsd-reconnect | uvdpad UVDPAD UVDPA | "
		"uvdpad-net UVDPAD UVDPA");
	if (!strcmp(argv[1], "uvdpad-net")) {
		REQUIRE(argc >= 4, "uvdpad needs the uvdpad and uvdpa paths");
		fe_uvdpad_start(&p, argv[2], argv[3]);
		fe_uvdpad_add(&p, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
		net_death(&p);
		fe_peer_stop(&p);
		return fe_done();
	}
	if (!strcmp(argv[1], "qsd") || !strcmp(argv[1], "qsd-reconnect")) {
		fe_qsd_start(&p, "driver=null-co,node-name=n0,size=67108864,read-zeroes=on");
	} else {
		REQUIRE(argc >= 4, "uvdpad needs the uvdpad and uvdpa paths");
		fe_uvdpad_start(&p, argv[2], argv[3]);
		fe_uvdpad_add(&p, "b0", "vdpasim_blk", NULL, NULL);
	}
	r = fe_open(p.sock, strcmp(argv[1], "qsd-reconnect") ? NULL : &o, &v);
	REQUIRE(r == 0, "open %s: %d", p.sock, r);
	r = uvdpa_blk_open(v, NULL, &b);
	REQUIRE(r == 0, "blk open: %d", r);
	CHECK(uvdpa_blk_read(b, 0, buf, sizeof(buf)) == 0, "a read while the back end lives");
	kill_peer(&p);
	t0 = now_ms();
	r = uvdpa_blk_read(b, 0, buf, sizeof(buf));
	CHECK(r == -ECONNRESET, "a read after SIGKILL of the back end: %d (%s)", r, strerror(-r));
	CHECK(now_ms() - t0 < 2000, "  ... in %lld ms, not at the request timeout",
	      (long long)(now_ms() - t0));
	t0 = now_ms();
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	CHECK(now_ms() - t0 < 2000, "blk and virtio close in %lld ms", (long long)(now_ms() - t0));
	fe_peer_stop(&p);
	return fe_done();
}
