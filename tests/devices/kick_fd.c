// SPDX-License-Identifier: MIT
/*
 * Notification paths: the worker waits on a kick fd the caller owns
 * (set_vq_kick_fd, what the vhost-user face uses), which can be replaced
 * and is dropped by reset; interrupts through a trigger eventfd or a
 * function called on the worker (which may kick).
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tdev.h"

static atomic_int calls;
static struct tdev *gt;

static void on_used(void *opaque)
{
	(void)opaque;
	atomic_fetch_add(&calls, 1);
	/* callbacks may kick (the only op allowed from them) */
	gt->ops->kick_vq(gt->d, 0);
}

static void add_frame(struct tdev *t, uint8_t tag)
{
	uint8_t frame[60];
	uint8_t *buf = talloc(t, 72, 64);
	struct uvdpa_vq_buf b = { tiova(t, buf), 72, false };

	memset(frame, 0xff, 6);
	memset(frame + 6, tag, sizeof(frame) - 6);
	memset(buf, 0, 12);
	memcpy(buf + 12, frame, sizeof(frame));
	REQUIRE(uvdpa_vq_drv_add(&t->vq[1].drv, &b, 1, buf) == 0, "add");
	uvdpa_vq_drv_publish(&t->vq[1].drv);
}

/* An RX buffer the device only finds when a TX frame needs it. */
static uint8_t *post_rx_quiet(struct tdev *t)
{
	uint8_t *buf = talloc(t, 256, 64);
	struct uvdpa_vq_buf b = { tiova(t, buf), 256, true };

	REQUIRE(uvdpa_vq_drv_add(&t->vq[0].drv, &b, 1, buf) == 0, "add rx");
	uvdpa_vq_drv_publish(&t->vq[0].drv);
	return buf;
}

static void knock(int fd)
{
	uint64_t one = 1;

	REQUIRE(write(fd, &one, 8) == 8, "write kick fd");
}

int main(void)
{
	int k1 = eventfd(0, EFD_CLOEXEC), k2 = eventfd(0, EFD_CLOEXEC);
	struct uvdpa_callback cb = { .fn = on_used, .opaque = NULL, .trigger_fd = -1 };
	uint32_t len;
	uint8_t *rx;
	struct tdev t;
	int i;

	gt = &t;
	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_negotiate(&t, F_ACCESS_PLATFORM | F_VERSION_1);
	/* kick fd set before the queues and before DRIVER_OK */
	CHECK(t.ops->set_vq_kick_fd(t.d, 1, k1) == 0, "set_vq_kick_fd before DRIVER_OK");
	tdev_setup_vq(&t, 0, 64);
	tdev_setup_vq(&t, 1, 64);
	tdev_driver_ok(&t);

	rx = post_rx_quiet(&t);
	add_frame(&t, 1);
	knock(k1);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx && rx[12 + 6] == 1, "a write on the caller's fd kicks TX");

	/* After work the worker takes a pass or two more (kicks off while it
	 * finds work, back on with one more look, a linger): a frame only a
	 * kick may find is added once it sleeps. */
	CHECK(tworker_asleep("net0", 5000), "the worker sleeps");
	CHECK(t.ops->set_vq_kick_fd(t.d, 1, k2) == 0, "replace the kick fd");
	rx = post_rx_quiet(&t);
	add_frame(&t, 2);
	knock(k1);
	CHECK(tvq_idle(&t, 0, 100), "the old fd no longer kicks");
	knock(k2);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx && rx[12 + 6] == 2, "the new one does");
	close(k1);

	/* kick_vq still works next to a kick fd */
	rx = post_rx_quiet(&t);
	add_frame(&t, 3);
	t.ops->kick_vq(t.d, 1);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx && rx[12 + 6] == 3, "kick_vq works alongside");

	/* function callbacks on the worker */
	t.ops->set_vq_cb(t.d, 0, &cb);
	for (i = 0; i < 10; i++) {
		tnet_post_rx(&t, 0, 256, 1, false);
		add_frame(&t, (uint8_t)(10 + i));
		knock(k2);
		REQUIRE(tvq_wait(&t, 0, &len, 5000), "rx %d", i);
	}
	CHECK(atomic_load(&calls) >= 1, "RX callback function called on the worker (%d times)",
	      atomic_load(&calls));
	t.ops->set_vq_cb(t.d, 0, NULL);
	i = atomic_load(&calls);
	tnet_post_rx(&t, 0, 256, 1, false);
	add_frame(&t, 30);
	knock(k2);
	CHECK(tvq_wait(&t, 0, &len, 5000) && atomic_load(&calls) == i, "cleared callback not called");

	/* reset drops the caller's fd: it may be closed right away */
	uvdpa_device_reset(t.d);
	close(k2);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
	rx = tnet_post_rx(&t, 0, 256, 1, false);
	add_frame(&t, 40);
	t.ops->kick_vq(t.d, 1);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx && rx[12 + 6] == 40, "after reset kick_vq drives it");
	CHECK(t.ops->set_vq_kick_fd(t.d, 1, 1000) < 0, "a closed fd is refused");
	CHECK(t.ops->set_vq_kick_fd(t.d, 9, -1) < 0, "bad queue index refused");
	tdev_close(&t);
	return 0;
}
