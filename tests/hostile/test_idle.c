// SPDX-License-Identifier: MIT
/*
 * 1000 idle devices cost a handful of threads: no front end, no thread.
 * A front end that connects gets one thread while it lives.
 */
#include <stdio.h>
#include <unistd.h>

#include "hostile.h"

#define N 1000
#define HANDFUL 8

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

	hd_net_session(&f, hd_vhost_path(&d, "idle0500", path, sizeof(path)), 4u << 20);
	CHECK(fe_net_loopback(&f, 0, 1, 20, 9, 0) == 20, "a front end on idle0500 loops frames");
	fe_close(&f);
	for (t = 0; t < 200 && hd_threads(d.pid) > idle; t++)
		usleep(10000);
	if (hd_threads(d.pid) > idle)
		hd_print_threads(d.pid);
	CHECK(hd_threads(d.pid) <= idle, "its threads end with it (%u)", hd_threads(d.pid));
	CHECK(hd_stop(&d, 5000 * hd_mult()) == 0, "uvdpad exits 0 on SIGTERM");
	return 0;
}
