// SPDX-License-Identifier: MIT
/*
 * No RX buffer: the frame is lost (rx overruns + 1, TX completed) and the
 * pass stops; the TX frames behind it wait until the driver adds RX
 * buffers, whose kick runs the work again. With mergeable buffers, a frame
 * that does not fit the buffers posted gives them back untouched.
 */
#include <string.h>

#include "tdev.h"

#define F_MRG F(15)

static uint8_t frame[9000];

static void run(bool packed, bool mrg)
{
	uint64_t want = F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX | (packed ? F_PACKED : 0) |
			(mrg ? F_MRG : 0);
	const char *what = packed ? (mrg ? "packed, mergeable" : "packed") :
				    (mrg ? "split, mergeable" : "split");
	uint8_t *b[8];
	uint32_t len;
	struct tdev t;
	int i;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_start(&t, want, 2, 64);
	tfill(frame, sizeof(frame), 7);
	memset(frame, 0xff, 6);

	/* two frames, no RX buffer at all, both in the ring before the worker
	 * looks (as the kernel's, each pass loses at most one frame, so a pass
	 * between the two sends would lose the second as well) */
	REQUIRE(t.ops->suspend(t.d) == 0, "suspend");
	tnet_send(&t, 0, frame, 100, 1, false);
	tnet_send(&t, 0, frame, 200, 1, false);
	REQUIRE(t.ops->resume(t.d) == 0, "resume");
	tnet_reap_tx(&t, 0, 1);
	CHECK(tvq_idle(&t, 1, 100) && tstat(&t, 0, "rx overruns") == 1,
	      "%s: first frame lost (rx overruns 1), second waits", what);

	b[0] = tnet_post_rx(&t, 0, 2048, 1, false);
	tnet_reap_tx(&t, 0, 1);
	CHECK(tvq_wait(&t, 0, &len, 5000) == b[0] && len == 212 && memcmp(b[0] + 12, frame, 200) == 0,
	      "%s: adding an RX buffer delivers the waiting frame", what);
	CHECK(tstat(&t, 0, "rx overruns") == 1 && tstat(&t, 0, "rx packets") == 1 &&
	      tstat(&t, 1, "tx packets") == 2, "%s: stats", what);

	if (mrg) {
		/* 9000 bytes need 5 buffers of 2048; only 3 are there */
		for (i = 0; i < 3; i++)
			b[i] = tnet_post_rx(&t, 0, 2048, 1, false);
		tnet_send(&t, 0, frame, 9000, 3, false);
		tnet_reap_tx(&t, 0, 1);
		CHECK(tvq_idle(&t, 0, 100) && tstat(&t, 0, "rx overruns") == 2,
		      "%s: 9000-byte frame does not fit 3 buffers: overrun, buffers kept", what);
		for (i = 3; i < 8; i++)
			b[i] = tnet_post_rx(&t, 0, 2048, 1, false);
		tnet_send(&t, 0, frame, 9000, 3, false);
		tnet_reap_tx(&t, 0, 1);
		for (i = 0; i < 5; i++) {
			uint8_t *got = tvq_wait(&t, 0, &len, 5000);

			REQUIRE(got == b[i], "buffer %d used in order", i);
			REQUIRE(len == (i < 4 ? 2048 : 9012 - 4 * 2048), "buffer %d length %u", i, len);
			if (i == 0)
				REQUIRE(got[10] == 5 && got[11] == 0, "num_buffers 5");
			REQUIRE(memcmp(got + (i ? 0 : 12), frame + (i ? i * 2048 - 12 : 0),
				       len - (i ? 0 : 12)) == 0, "buffer %d content", i);
		}
		CHECK(1, "%s: the given-back buffers carry the next frame, num_buffers 5", what);
	}
	tdev_close(&t);
}

int main(void)
{
	run(false, false);
	run(true, false);
	run(false, true);
	run(true, true);
	return 0;
}
