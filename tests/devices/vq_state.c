// SPDX-License-Identifier: MIT
/*
 * Queue state get/set: it follows processing (split avail index, packed
 * indexes and wrap counters), survives a ready 1 -> 0 -> 1 cycle, and a
 * state set on a stopped queue is where the device restarts.
 */
#include <string.h>

#include "tdev.h"

static void send_n(struct tdev *t, unsigned n)
{
	uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t len;
	unsigned i;

	for (i = 0; i < n; i++) {
		tnet_post_rx(t, 0, 256, 1, false);
		tnet_send(t, 0, frame, sizeof(frame), 1, false);
		tnet_reap_tx(t, 0, 1);
		REQUIRE(tvq_wait(t, 0, &len, 5000), "rx %u", i);
	}
}

int main(void)
{
	struct uvdpa_vq_state st, set;
	struct tdev t;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);

	/* split */
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 16);
	send_n(&t, 20);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.split.avail_index == 20 &&
	      t.ops->get_vq_state(t.d, 0, &st) == 0 && st.split.avail_index == 20,
	      "split: avail index 20 after 20 frames (ring of 16 wrapped)");
	t.ops->set_vq_ready(t.d, 1, false);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.split.avail_index == 20,
	      "split: state kept when the queue stops");
	set.split.avail_index = 20;
	CHECK(t.ops->set_vq_state(t.d, 1, &set) == 0, "set state 20 on the stopped queue");
	t.ops->set_vq_ready(t.d, 1, true);
	send_n(&t, 5);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.split.avail_index == 25,
	      "split: restarted from 20, now 25");

	/* packed */
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_PACKED, 2, 16);
	send_n(&t, 9);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.packed.last_avail_idx == 2 &&
	      st.packed.last_avail_counter == 0 && st.packed.last_used_idx == 2 &&
	      st.packed.last_used_counter == 0,
	      "packed: 18 slots of a 16-entry ring: index 2, wrap counters flipped");
	t.ops->set_vq_ready(t.d, 1, false);
	set = st;
	t.ops->set_vq_ready(t.d, 1, true);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && !memcmp(&st, &set, sizeof(st)),
	      "packed: ready 1 -> 0 -> 1 keeps the state");
	send_n(&t, 8);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.packed.last_avail_idx == 2 &&
	      st.packed.last_avail_counter == 1, "packed: 16 more slots: index 2, counter back to 1");

	/* after reset, an unconfigured packed queue reports the initial state */
	tdev_negotiate(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_PACKED);
	CHECK(t.ops->get_vq_state(t.d, 1, &st) == 0 && st.packed.last_avail_idx == 0 &&
	      st.packed.last_avail_counter == 1 && st.packed.last_used_counter == 1,
	      "packed after reset: index 0, wrap counters 1");
	set.packed.last_avail_idx = 20;
	CHECK(t.ops->set_vq_state(t.d, 1, &set) == 0, "an out-of-ring packed state is stored");
	tdev_setup_vq(&t, 0, 16);
	tdev_setup_vq(&t, 1, 16);
	tdev_driver_ok(&t);
	t.ops->kick_vq(t.d, 1);
	CHECK(tdev_needs_reset(&t, 2000),
	      "but a queue that cannot start from it is refused: NEEDS_RESET");
	tdev_close(&t);
	return 0;
}
