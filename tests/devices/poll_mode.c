// SPDX-License-Identifier: MIT
/*
 * Poll mode: the worker busy-polls the rings (the driver is told not to
 * kick, and chains are taken without a kick), backs off to sleeping in
 * epoll when idle (little CPU used), and wakes up again on a kick; turning
 * poll mode off restores kick-driven operation.
 */
#include <string.h>
#include <sys/resource.h>

#include "tdev.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Adds a frame without kicking, whatever the ring says. */
static void send_nokick(struct tdev *t, const uint8_t *frame, size_t len, bool *kick_wanted)
{
	uint8_t *buf = talloc(t, 12 + len, 64);
	struct uvdpa_vq_buf b = { tiova(t, buf), (uint32_t)(12 + len), false };

	memset(buf, 0, 12);
	memcpy(buf + 12, frame, len);
	REQUIRE(uvdpa_vq_drv_add(&t->vq[1].drv, &b, 1, buf) == 0, "add");
	*kick_wanted = uvdpa_vq_drv_publish(&t->vq[1].drv);
}

static void run(bool packed)
{
	const char *what = packed ? "packed" : "split";
	uint8_t frame[128];
	bool kick = true;
	double c0, c1;
	uint32_t len;
	struct tdev t;
	int i, kicks = 0;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX | (packed ? F_PACKED : 0), 2, 256);
	CHECK(t.ops->set_poll_mode(t.d, true) == 0, "%s: poll mode on", what);
	tfill(frame, sizeof(frame), 1);
	memset(frame, 0xff, 6);

	/* a steady stream: the worker keeps polling, the driver needn't kick */
	for (i = 0; i < 200; i++) {
		uint8_t *rx;

		tmem_rewind(&t);
		rx = tnet_post_rx(&t, 0, 512, 1, false);
		frame[20] = (uint8_t)i;
		send_nokick(&t, frame, sizeof(frame), &kick);
		kicks += kick;
		REQUIRE(tvq_wait(&t, 0, &len, 5000) == rx && len == 140 &&
			memcmp(rx + 12, frame, sizeof(frame)) == 0, "frame %d", i);
		REQUIRE(tvq_wait(&t, 1, &len, 5000), "tx %d", i);
	}
	CHECK(1, "%s: 200 frames looped without a single kick", what);
	CHECK(kicks < 20, "%s: the ring asked for %d kicks out of 200 (kicks disabled while polling)",
	      what, kicks);

	/* idle: back off to epoll */
	tsleep_ms(50);
	c0 = cpu_seconds();
	tsleep_ms(300);
	c1 = cpu_seconds();
	CHECK(c1 - c0 < 0.15, "%s: idle device sleeps (%.0f ms CPU in 300 ms)", what,
	      (c1 - c0) * 1e3);
	send_nokick(&t, frame, sizeof(frame), &kick);
	CHECK(kick, "%s: after backing off the ring asks for kicks again", what);
	tnet_post_rx(&t, 0, 512, 1, false);
	t.ops->kick_vq(t.d, 1);
	CHECK(tvq_wait(&t, 0, &len, 5000) && tvq_wait(&t, 1, &len, 5000),
	      "%s: a kick wakes the sleeping poller", what);

	CHECK(t.ops->set_poll_mode(t.d, false) == 0, "%s: poll mode off", what);
	for (i = 0; i < 20; i++) {
		tnet_post_rx(&t, 0, 512, 1, false);
		tnet_send(&t, 0, frame, sizeof(frame), 1, false);
		REQUIRE(tvq_wait(&t, 0, &len, 5000), "rx");
		tnet_reap_tx(&t, 0, 1);
	}
	CHECK(tstat(&t, 0, "rx packets") == 221, "%s: kick-driven again (221 frames in all)", what);
	tdev_close(&t);
}

int main(void)
{
	run(false);
	run(true);
	return 0;
}
