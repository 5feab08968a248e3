// SPDX-License-Identifier: MIT
/*
 * Reset (kernel devrt_do_reset): queues not ready, addresses and
 * callbacks cleared, features and status 0, generation + 1; the config
 * space and the statistics survive; the device can be probed again.
 */
#include <string.h>

#include <linux/virtio_net.h>

#include "tdev.h"

static void traffic(struct tdev *t, unsigned n)
{
	uint8_t frame[80];
	uint32_t len;
	unsigned i;

	tfill(frame, sizeof(frame), n);
	memset(frame, 0xff, 6);
	for (i = 0; i < n; i++) {
		tnet_post_rx(t, 0, 2048, 1, false);
		tnet_send(t, 0, frame, sizeof(frame), 1, false);
		tnet_reap_tx(t, 0, 1);
		REQUIRE(tvq_wait(t, 0, &len, 5000) && len == 92, "frame %u", i);
	}
}

int main(void)
{
	static const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	struct uvdpa_vq_state st;
	uint8_t cfgmac[6];
	uint32_t gen;
	struct tdev t;
	int i;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F(17) | F_PACKED, 3, 64);
	traffic(&t, 5);
	CHECK(tnet_cvq(&t, 2, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6) ==
	      VIRTIO_NET_OK, "MAC set through the CVQ");
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.packed.last_avail_idx == 10,
	      "TX state before reset: 10 ring slots taken");

	gen = t.ops->get_generation(t.d);
	CHECK(uvdpa_device_reset(t.d) == 0, "reset");
	CHECK(tdev_status(&t) == 0 && t.ops->get_driver_features(t.d) == 0 &&
	      t.ops->get_generation(t.d) == gen + 1, "status 0, features 0, generation + 1");
	for (i = 0; i < 3; i++)
		REQUIRE(!t.ops->get_vq_ready(t.d, (uint16_t)i), "vq %d not ready", i);
	CHECK(1, "every queue not ready");
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.split.avail_index == 0,
	      "queue state back to 0");
	t.ops->get_config(t.d, 0, cfgmac, 6);
	CHECK(memcmp(cfgmac, mac, 6) == 0, "config MAC kept");
	CHECK(tstat(&t, 0, "rx packets") == 5 && tstat(&t, 1, "tx packets") == 5 &&
	      tstat(&t, 2, "cvq requests") == 1, "statistics kept");

	/* A kick after reset touches nothing. */
	t.ops->kick_vq(t.d, 1);
	tsleep_ms(20);
	CHECK(tdev_status(&t) == 0, "kick on a reset device is ignored");

	/* Probe again, now split. */
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F(17), 3, 128);
	traffic(&t, 3);
	CHECK(tstat(&t, 0, "rx packets") == 8 && tstat(&t, 1, "tx packets") == 8,
	      "re-probed device loops again, statistics continue");
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.split.avail_index == 3,
	      "new TX state counts from 0");
	tdev_close(&t);
	return 0;
}
