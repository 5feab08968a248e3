// SPDX-License-Identifier: MIT
/*
 * Poll mode: the worker busy-polls the rings (telling the driver not to
 * kick), backs off to sleeping in epoll when idle (little CPU used) with
 * kicks asked for again, and wakes up on a kick; turning poll mode off
 * restores kick-driven operation, where a busy driver makes the worker
 * linger before it sleeps. How many kicks a stream needs depends on timing,
 * so it is printed, not asserted.
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

/* CPU time the process takes over 300 ms while the device sits idle, with
 * RX buffers posted as a net driver leaves them. */
static double idle_cpu_ms(struct tdev *t)
{
	double c0;
	int i;

	for (i = 0; i < 8; i++)
		tnet_post_rx(t, 0, 512, 1, false);
	tsleep_ms(50);
	c0 = cpu_seconds();
	tsleep_ms(300);
	return (cpu_seconds() - c0) * 1e3;
}

/* Adds a frame and kicks only if the ring asks for it; tells which. */
static void send_frame(struct tdev *t, const uint8_t *frame, size_t len, bool *kick_wanted)
{
	uint8_t *buf = talloc(t, 12 + len, 64);
	struct uvdpa_vq_buf b = { tiova(t, buf), (uint32_t)(12 + len), false };

	memset(buf, 0, 12);
	memcpy(buf + 12, frame, len);
	REQUIRE(uvdpa_vq_drv_add(&t->vq[1].drv, &b, 1, buf) == 0, "add");
	*kick_wanted = uvdpa_vq_drv_publish(&t->vq[1].drv);
	if (*kick_wanted)
		t->ops->kick_vq(t->d, 1);
}

/* Busy-waits (as a polling driver would) up to 5 s for a used chain. */
static void *spin_used(struct tdev *t, uint16_t q, uint32_t *len)
{
	int i;

	for (i = 0; i < 5000000; i++) {
		void *tok = tvq_poll(t, q, len);

		if (tok)
			return tok;
		if (i > 1000)
			tsleep_ms(0);
	}
	return NULL;
}

static void run(bool packed)
{
	const char *what = packed ? "packed" : "split";
	uint8_t frame[128];
	bool kick = true;
	double ms;
	uint32_t len;
	struct tdev t;
	int i, kicks = 0;

	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_EVENT_IDX | (packed ? F_PACKED : 0), 2, 256);
	CHECK(t.ops->set_poll_mode(t.d, UVDPA_POLL_ADAPTIVE) == 0, "%s: poll mode on", what);
	tfill(frame, sizeof(frame), 1);
	memset(frame, 0xff, 6);

	/* a steady stream, the driver polling too */
	for (i = 0; i < 200; i++) {
		uint8_t *rx;

		tmem_rewind(&t);
		rx = tnet_post_rx(&t, 0, 512, 1, false);
		frame[20] = (uint8_t)i;
		send_frame(&t, frame, sizeof(frame), &kick);
		kicks += kick;
		REQUIRE(spin_used(&t, 0, &len) == rx && len == 140 &&
			memcmp(rx + 12, frame, sizeof(frame)) == 0, "frame %d", i);
		REQUIRE(spin_used(&t, 1, &len), "tx %d", i);
	}
	CHECK(1, "%s: 200 frames looped while polling; TX kicks the ring asked for: %d",
	      what, kicks);

	/* idle: back off */
	ms = idle_cpu_ms(&t);
	CHECK(ms < 150, "%s: idle device sleeps (%.0f ms CPU in 300 ms)", what, ms);
	send_frame(&t, frame, sizeof(frame), &kick);
	CHECK(kick, "%s: after backing off the ring asks for kicks again", what);
	CHECK(tvq_wait(&t, 0, &len, 5000) && tvq_wait(&t, 1, &len, 5000),
	      "%s: a kick wakes the sleeping poller", what);

	CHECK(t.ops->set_poll_mode(t.d, UVDPA_POLL_OFF) == 0, "%s: poll mode off", what);
	for (i = 0; i < 20; i++) {
		tnet_post_rx(&t, 0, 512, 1, false);
		tnet_send(&t, 0, frame, sizeof(frame), 1, false);
		REQUIRE(tvq_wait(&t, 0, &len, 5000), "rx");
		tnet_reap_tx(&t, 0, 1);
	}
	/* no polling, a driver that keeps the worker busy: the worker lingers
	 * before asking for kicks, but it still goes to sleep */
	for (kicks = 0, i = 0; i < 200; i++) {
		/* RX buffers posted earlier are filled first: any one will do */
		tmem_rewind(&t);
		tnet_post_rx(&t, 0, 512, 1, false);
		send_frame(&t, frame, sizeof(frame), &kick);
		kicks += kick;
		REQUIRE(spin_used(&t, 0, &len) && len == 140 && spin_used(&t, 1, &len), "frame %d",
			i);
	}
	CHECK(1, "%s: 200 frames looped on kicks; TX kicks the ring asked for: %d", what, kicks);
	ms = idle_cpu_ms(&t);
	CHECK(ms < 150, "%s: after lingering the worker sleeps (%.0f ms CPU in 300 ms)", what, ms);
	send_frame(&t, frame, sizeof(frame), &kick);
	CHECK(kick && tvq_wait(&t, 0, &len, 5000) && tvq_wait(&t, 1, &len, 5000),
	      "%s: then the ring asks for a kick, which wakes it", what);
	CHECK(tstat(&t, 0, "rx packets") == 422, "%s: kick-driven again (422 frames in all)", what);
	CHECK(tstat(&t, 0, "rx overruns") == 0, "%s: no frame lost", what);
	tdev_close(&t);
}

int main(void)
{
	run(false);
	run(true);
	return 0;
}
