// SPDX-License-Identifier: MIT
/*
 * A front end that publishes a descriptor outside its own memory table.
 * The device refuses the chain and stops the queue (NEEDS_RESET); vhost-user
 * has no way to tell a front end its device needs a reset, so the face drops
 * the connection with a reason. Before that, the front end kept a session on
 * a dead queue for as long as it liked. uvdpad survives and the next front
 * end gets a working device.
 */
#include <unistd.h>

#include "hostile.h"

#define MEM (4u << 20)

/* Sends one TX chain whose only buffer lies far outside the memory table. */
static void publish_out_of_map(struct fe *f)
{
	struct fe_ring *tx = &f->ring[1];
	struct uvdpa_vq_buf b = { .addr = 0xdead00000000ull, .len = 64 };

	REQUIRE(!uvdpa_vq_drv_add(&tx->drv, &b, 1, f), "tx add");
	uvdpa_vq_drv_publish(&tx->drv);
	fe_kick(tx);
}

int main(int argc, char **argv)
{
	char path[512];
	struct hd d;
	struct fe f;

	REQUIRE(argc > 1, "usage: %s UVDPAD", argv[0]);
	hd_start(&d, argv[1]);
	REQUIRE(hd_dev_add(&d, "n0", "vdpasim_net") == 0, "dev add n0");
	hd_vhost_path(&d, "n0", path, sizeof(path));

	hd_net_session(&f, path, MEM);
	publish_out_of_map(&f);
	CHECK(fe_closed_by_peer(&f, 3000 * hd_mult()),
	      "the front end is dropped once the device stopped its queue");
	CHECK(hd_log_has(&d, "needs a reset, which vhost-user cannot ask for"),
	      "the log says why");
	fe_close(&f);

	CHECK(hd_alive(&d), "uvdpad keeps running");
	hd_net_session(&f, path, MEM);
	CHECK(fe_net_loopback(&f, 0, 1, 64, 7, 0) == 64,
	      "the next front end gets a working device (64 frames looped back)");
	fe_close(&f);

	CHECK(hd_stop(&d, 2000 * hd_mult()) == 0, "uvdpad exits cleanly");
	return 0;
}
