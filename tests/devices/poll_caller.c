// SPDX-License-Identifier: MIT
/*
 * UVDPA_POLL_CALLER at the device ops: a kick runs vdpasim_net's work in
 * the kicking thread, so a frame is looped before kick_vq returns; a
 * callback function that kicks from inside that pass (the mutex held) has
 * its kick served by the same pass instead of deadlocking.
 */
#include <errno.h>
#include <string.h>

#include "tdev.h"

struct reentry {
	struct tdev *t;
	unsigned calls;
};

/* RX interrupt: kicks TX again, as a driver's completion handler may. */
static void rx_cb(void *opaque)
{
	struct reentry *r = opaque;

	r->calls++;
	r->t->ops->kick_vq(r->t->d, 1);
}

int main(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x07 };
	struct uvdpa_dev_set_config cfg = { .mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) };
	struct reentry re = { 0 };
	struct uvdpa_callback cb = { .fn = rx_cb, .opaque = &re, .trigger_fd = -1 };
	uint8_t frame[60];
	uint32_t len = 0;
	unsigned i, back = 0, n0;
	struct tdev t;

	twatchdog(60, "a kick from a callback deadlocked the pass");
	memcpy(cfg.net.mac, mac, 6);
	tdev_open(&t, NULL, "vdpasim_net", "caller0", &cfg);
	CHECK(t.ops->set_poll_mode(t.d, UVDPA_POLL_CALLER) == 0, "caller mode");
	n0 = tcount_threads();
	tdev_start(&t, F_VERSION_1 | F_ACCESS_PLATFORM, 2, 64);
	CHECK(tcount_threads() == n0, "DRIVER_OK started no worker (%u threads, %u before)",
	      tcount_threads(), n0);
	re.t = &t;
	t.ops->set_vq_cb(t.d, 0, &cb);
	for (i = 0; i < 8; i++)
		tnet_post_rx(&t, 0, 2048, 1, false);
	memcpy(frame, mac, 6);
	memset(frame + 6, 0x5a, sizeof(frame) - 6);
	/* each send kicks TX: the frame is looped before the kick returns, and
	 * the RX callback's own kick is served by that same pass */
	for (i = 0; i < 4; i++) {
		tnet_send_flat(&t, 0, frame, sizeof(frame));
		if (tvq_poll(&t, 0, &len) && len == tnet_hdr_len(&t) + sizeof(frame))
			back++;
		tnet_reap_tx(&t, 0, 1);
	}
	CHECK(back == 4, "4 frames looped within their kicks (%u)", back);
	CHECK(re.calls >= 1, "the RX callback ran and kicked from inside the pass (%u calls)",
	      re.calls);
	CHECK(t.ops->set_poll_mode(t.d, UVDPA_POLL_OFF) == -EBUSY,
	      "no leaving the mode behind a live driver");
	tdev_close(&t);
	return 0;
}
