// SPDX-License-Identifier: MIT
/*
 * Net reconnect (no inflight area, split or packed rings): frames with sequence
 * numbers loop through uvdpad's vdpasim_net while uvdpad is killed with
 * SIGKILL and restarted (same run directory, the device added again under
 * its name and MAC) three times. The application must see delays, never an
 * error: no send, receive or wait fails. Every frame that comes back is
 * byte-exact; frames may be lost or repeated only around a kill (the ones
 * on the wire when the daemon died, or sent again because it died before
 * saying it had sent them); well before the first kill and after the last
 * restart each frame comes back exactly once.
 *
 * The same against DPDK testpmd's vhost PMD (io forward, which sends every
 * frame back), killed and started again on the same socket: a back end of
 * another vendor resuming at the bases the front end gives.
 *
 * Packed rings resume where the old back end's used entries end, which the
 * front end finds from its own used position and wrap counter.
 *
 * usage: test_fe_net_reconnect uvdpad UVDPAD UVDPA [packed] | testpmd [packed]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fe_test.h"

#define NFRAMES 12000
#define KILLS   3
#define WINDOW  32              /* frames out before the sender waits for some */
#define MARGIN  600             /* frames around a kill that may be lost or repeated */

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static unsigned char seen[NFRAMES];
static unsigned errors, corrupt;

static size_t frame_len(unsigned seq)
{
	return 60 + (seq * 37) % 1455;
}

static void frame(uint8_t *f, unsigned seq)
{
	size_t i, len = frame_len(seq);

	memcpy(f, mac, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, &seq, sizeof(seq));
	for (i = 18; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

static bool testpmd;

static void *restart(void *arg)
{
	struct fe_peer *p = arg;
	struct timespec ts = { .tv_nsec = 300 * 1000000L };

	/* Long enough for the front end to find nobody there and retry. */
	nanosleep(&ts, NULL);
	if (testpmd) {
		fe_testpmd_restart(p);
		return NULL;
	}
	fe_uvdpad_restart(p);
	fe_uvdpad_add(p, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
	return NULL;
}

static void error_seen(const char *what, int r)
{
	if (!errors++)
		CHECK(0, "%s: %d (%s)", what, r, strerror(-r));
}

/* Takes what came back; the highest sequence number seen, or -1. */
static int drain(struct uvdpa_net *n)
{
	static uint8_t in[2048], want[2048];
	int r, top = -1;
	unsigned seq;

	for (;;) {
		r = uvdpa_net_recv(n, 0, in, sizeof(in));
		if (r == -EAGAIN)
			return top;
		if (r < 0) {
			error_seen("recv", r);
			return top;
		}
		memcpy(&seq, in + 14, sizeof(seq));
		if (r < 18 || seq >= NFRAMES || (size_t)r != frame_len(seq)) {
			corrupt++;
			continue;
		}
		frame(want, seq);
		if (memcmp(in, want, (size_t)r)) {
			corrupt++;
			continue;
		}
		if (seen[seq] < 255)
			seen[seq]++;
		if ((int)seq > top)
			top = (int)seq;
	}
}

static void send_one(struct uvdpa_net *n, unsigned seq)
{
	static uint8_t f[2048];
	int r, tries;

	frame(f, seq);
	for (tries = 0; tries < 100; tries++) {
		r = uvdpa_net_send(n, 0, f, frame_len(seq));
		if (r != -EAGAIN)
			break;
		/* The ring is full: a dead back end is found and replaced here. */
		r = uvdpa_net_wait_tx(n, 0, 1000);
		if (r < 0)
			break;
		drain(n);
	}
	if (r)
		error_seen("send", r);
}

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts o = { .device_id = 1, .reconnect_ms = 20000 };
	unsigned seq, kills = 0, kill_at[KILLS], steady = NFRAMES, lost = 0, twice = 0, i;
	int top = -1, r, idle;
	struct uvdpa_virtio *v;
	struct uvdpa_net *n;
	bool restarting = false;
	struct fe_peer p;
	pthread_t th;

	struct uvdpa_net_opts no = { .flags = UVDPA_NET_PACKED | UVDPA_NET_INDIRECT |
					      UVDPA_NET_EVENT_IDX | UVDPA_NET_MRG_RXBUF };
	/* packed-inorder: VIRTIO_F_IN_ORDER too (the back ends complete a
	 * burst with one used descriptor, and the driver's base after a
	 * hang-up is found through its batches) */
	bool in_order = !strcmp(argv[argc - 1], "packed-inorder");
	bool packed = in_order || !strcmp(argv[argc - 1], "packed");

	REQUIRE(argc >= 2,
		"usage: test_fe_net_reconnect uvdpad UVDPAD UVDPA [packed|packed-inorder] | "
		"testpmd [packed|packed-inorder]");
	testpmd = !strcmp(argv[1], "testpmd");
	if (testpmd) {
		/* testpmd takes seconds to start on a loaded machine */
		o.reconnect_ms = 90000;
		fe_testpmd_start(&p);
	} else {
		REQUIRE(argc >= 4, "uvdpad needs the uvdpad and uvdpa paths");
		fe_uvdpad_start(&p, argv[2], argv[3]);
		fe_uvdpad_add(&p, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
	}
	r = fe_open(p.sock, &o, &v);
	REQUIRE(r == 0, "open %s with reconnect_ms %d: %d", p.sock, o.reconnect_ms, r);
	if (in_order)
		no.flags |= UVDPA_NET_IN_ORDER;
	r = uvdpa_net_open(v, packed ? &no : NULL, &n);
	REQUIRE(r == 0, "net open, %s rings: %d", packed ? "packed" : "split", r);
	CHECK(!in_order || (uvdpa_virtio_features(v) & (1ull << 35)),
	      "VIRTIO_F_IN_ORDER negotiated");

	for (seq = 0; seq < NFRAMES && errors == 0; seq++) {
		if (kills < KILLS && seq >= (kills + 1) * NFRAMES / (KILLS + 2) && !restarting) {
			kill_at[kills++] = seq;
			kill(p.pid, SIGKILL);
			waitpid(p.pid, NULL, 0);
			p.pid = 0;
			REQUIRE(pthread_create(&th, NULL, restart, &p) == 0, "restart thread");
			restarting = true;
		}
		send_one(n, seq);
		r = drain(n);
		top = r > top ? r : top;
		/* Signed: with every frame back (top == seq) there is nothing
		 * to wait for (unsigned, it wrapped and waited 200 ms). */
		if ((int)seq - (top + 1) >= WINDOW) {
			r = uvdpa_net_wait_rx(n, 0, 200);
			if (r < 0)
				error_seen("wait_rx", r);
			r = drain(n);
			top = r > top ? r : top;
		}
		if (restarting && top > (int)kill_at[kills - 1]) {
			/* Frames come back again: the new daemon took over. */
			pthread_join(th, NULL);
			restarting = false;
			if (kills == KILLS)
				steady = seq + MARGIN;
		}
	}
	for (idle = 0; idle < 10 && errors == 0; idle++) {
		r = uvdpa_net_wait_rx(n, 0, 200);
		if (r < 0)
			error_seen("final wait_rx", r);
		if (drain(n) >= 0)
			idle = 0;
	}
	if (restarting)
		pthread_join(th, NULL);

	CHECK(kills == KILLS, "%s killed with SIGKILL and restarted %u times while frames flowed",
	      testpmd ? "testpmd" : "uvdpad", kills);
	CHECK(errors == 0, "no send, receive or wait failed (%u errors)", errors);
	CHECK(corrupt == 0, "every frame that came back is byte-exact (%u not)", corrupt);
	for (i = 0; i < NFRAMES; i++) {
		lost += !seen[i];
		twice += seen[i] > 1;
	}
	printf("# %u frames: %u lost, %u came back twice\n", NFRAMES, lost, twice);
	for (i = 0, r = 0; i + MARGIN < kill_at[0]; i++)
		r += seen[i] != 1;
	CHECK(r == 0, "before the first kill (0..%u) every frame came back once: %d did not",
	      kill_at[0] - MARGIN, r);
	CHECK(steady < NFRAMES, "traffic ran steadily after the last restart (from frame %u)",
	      steady);
	for (i = steady, r = 0; i < NFRAMES; i++)
		r += seen[i] != 1;
	CHECK(r == 0, "after the last restart (%u..%u) every frame came back once: %d did not",
	      steady, NFRAMES - 1, r);
	CHECK(lost <= KILLS * MARGIN, "lost only around the kills: %u", lost);

	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	fe_peer_stop(&p);
	return fe_done();
}
