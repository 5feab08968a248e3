// SPDX-License-Identifier: MIT
/*
 * Suspend stops processing; a kick that arrives meanwhile is remembered and
 * replayed by resume; resume without a pending kick does nothing.
 */
#include <string.h>

#include "tdev.h"

int main(void)
{
	uint8_t frame[64];
	uint32_t len;
	uint8_t *rx;
	struct tdev t;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX, 2, 64);
	tfill(frame, sizeof(frame), 3);
	memset(frame, 0xff, 6);
	rx = tnet_post_rx(&t, 0, 2048, 1, false);

	CHECK(t.ops->suspend(t.d) == 0, "suspend");
	CHECK(tdev_status(&t) & UVDPA_STATUS_DRIVER_OK, "status keeps DRIVER_OK");
	tnet_send(&t, 0, frame, sizeof(frame), 1, false);
	CHECK(tvq_idle(&t, 1, 150) && tvq_idle(&t, 0, 1), "kick while suspended: nothing processed");
	CHECK(t.ops->resume(t.d) == 0, "resume");
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx && len == 76 && memcmp(rx + 12, frame, 64) == 0,
	      "the pending kick is replayed: frame looped");
	tnet_reap_tx(&t, 0, 1);

	/* suspend / resume with nothing pending */
	CHECK(t.ops->suspend(t.d) == 0 && t.ops->resume(t.d) == 0 && tvq_idle(&t, 0, 50),
	      "suspend + resume without a kick: nothing happens");

	/* set_status(DRIVER_OK) again while suspended restarts like the kernel */
	rx = tnet_post_rx(&t, 0, 2048, 1, false);
	t.ops->suspend(t.d);
	tnet_send(&t, 0, frame, sizeof(frame), 1, false);
	CHECK(tvq_idle(&t, 0, 100), "suspended again");
	t.ops->resume(t.d);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx, "resumed again");
	tnet_reap_tx(&t, 0, 1);
	CHECK(tstat(&t, 0, "rx packets") == 2, "2 frames in total");
	tdev_close(&t);
	return 0;
}
