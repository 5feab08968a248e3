// SPDX-License-Identifier: MIT
/*
 * 1000 idle devices cost a handful of threads: no front end, no thread.
 * A front end that connects gets one thread while it lives.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

#define N 1000
#define HANDFUL 8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A front end stalls in the middle of a message; deleting its device
 * ends the connection at once. */
static void removal_mid_message(struct hd *d)
{
	struct vhost_user_hdr h = { .request = VHOST_USER_SET_VRING_ADDR,
				    .flags = VHOST_USER_VERSION, .size = 40 };
	char path[512];
	struct fe f;
	double t;

	fe_open(&f, hd_vhost_path(d, "idle0700", path, sizeof(path)), 0);
	REQUIRE(write(f.sock, &h, sizeof(h)) == sizeof(h), "half a message");
	usleep(50000);
	t = now();
	CHECK(hd_dev_del(d, "idle0700") == 0 && now() - t < 2,
	      "a device whose front end stalls mid-message is deleted (%.2f s)", now() - t);
	CHECK(fe_closed_by_peer(&f, 2000), "and its front end is disconnected");
	fe_close(&f);
}

int main(int argc, char **argv)
{
	unsigned base, idle, bad = 0, t;
	char name[32], path[512];
	struct hd d;
	struct fe f;

	printf("# %u idle devices against a real uvdpad\n", N);
	hd_start(&d, argc > 1 ? argv[1] : NULL);
	base = hd_threads(d.pid);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "idle%04u", i);
		if (hd_dev_add(&d, name, i & 1 ? "vdpasim_blk" : "vdpasim_net"))
			bad++;
	}
	CHECK(bad == 0, "%u devices added (%u failures)", N, bad);
	idle = hd_threads(d.pid);
	CHECK(idle <= HANDFUL, "uvdpad runs %u threads with %u idle devices (%u with none)",
	      idle, N, base);

	removal_mid_message(&d);
	hd_net_session(&f, hd_vhost_path(&d, "idle0500", path, sizeof(path)), 4u << 20);
	CHECK(fe_net_loopback(&f, 0, 1, 20, 9, 0) == 20, "a front end on idle0500 loops frames");
	fe_close(&f);
	for (t = 0; t < 200 * hd_mult() && hd_threads(d.pid) > idle; t++)
		usleep(10000);
	if (hd_threads(d.pid) > idle)
		hd_print_threads(d.pid);
	CHECK(hd_threads(d.pid) <= idle, "its threads end with it (%u)", hd_threads(d.pid));
	CHECK(hd_stop(&d, 5000 * hd_mult()) == 0, "uvdpad exits 0 on SIGTERM");
	return 0;
}
