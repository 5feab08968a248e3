// SPDX-License-Identifier: MIT
/*
 * UVDPA_POLL_CALLER (the one-core benchmark's mode): vdpasim_net with no
 * worker thread, its work run by the driver's kicks. Frames come back
 * byte-exact and in order within the kicking call, through split and packed
 * rings, small frames (header and data in one descriptor) and big ones; a TX
 * queue stalled on missing RX buffers resumes when the driver's refill
 * kicks; the mode is chosen only while no worker runs, and the device goes
 * back to its worker afterwards.
 */
#include <dirent.h>

#include "drv_test.h"

static const uint8_t dev_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

enum { B = 32, N = 2000 };
static uint8_t tx[B][9000], rx[B][9000];

/* Threads of this process (the test's own and any device worker). */
static unsigned threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Sends cnt frames of len in one burst; all must be back after it returns. */
static unsigned burst_back(struct uvdpa_net *n, size_t len, unsigned cnt, unsigned seed)
{
	struct iovec tiov[B], riov[B];
	int lens[B], r, got;
	unsigned i, ok = 0;

	for (i = 0; i < cnt; i++) {
		t_frame(tx[i], len, dev_mac, seed + i);
		tiov[i].iov_base = tx[i];
		tiov[i].iov_len = len;
		riov[i].iov_base = rx[i];
		riov[i].iov_len = sizeof(rx[i]);
	}
	r = uvdpa_net_send_burst(n, 0, tiov, cnt);
	if (r != (int)cnt)
		return 0;
	/* no wait: the send's kick ran the device in this thread */
	got = uvdpa_net_recv_burst(n, 0, riov, lens, cnt);
	for (i = 0; got > 0 && i < (unsigned)got; i++)
		ok += lens[i] == (int)len && memcmp(rx[i], tx[i], len) == 0;
	uvdpa_net_reclaim(n, 0);
	return ok;
}

/* burst: at most the RX buffers the ring holds (packed big buffers take 17
 * descriptors each: 15 in a 256-entry ring) */
static void run(struct uvdpa_device *d, struct uvdpa_virtio *v, const char *name,
		unsigned flags, unsigned burst)
{
	static const size_t sizes[] = { 14, 60, 1514, 4096, 9000 };
	struct uvdpa_net_opts o = { .flags = flags };
	uint64_t rxp0 = t_stat(d, 0, "rx packets");
	struct uvdpa_net *n = NULL;
	unsigned i, ok, sent = 0, got = 0, skipped = 0, seed = 0, rounds, lost;
	uint64_t ovr0;
	int r;

	r = uvdpa_net_open(v, &o, &n);
	REQUIRE(r == 0, "[%s] open: %d", name, r);
	CHECK(threads() == 1, "[%s] driver live, no worker thread (%u threads)", name, threads());
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ok = burst_back(n, sizes[i], burst, 100 * i);
		CHECK(ok == burst, "[%s] burst of %u %zu-byte frames back byte-exact within the "
		      "send (%u)", name, burst, sizes[i], ok);
	}
	CHECK(t_stat(d, 0, "rx packets") - rxp0 == burst * sizeof(sizes) / sizeof(sizes[0]),
	      "[%s] rx packets counted", name);
	/* Sending without receiving fills the RX buffers: TX stalls (the frame
	 * that found RX empty is lost, an overrun, as in the kernel) and each
	 * receive burst's refill kick has the device go on with the rest. */
	ovr0 = t_stat(d, 0, "rx overruns");
	for (rounds = 0; rounds < 100000; rounds++) {
		struct iovec tiov[B], riov[B];
		int lens[B];

		for (i = 0; i < B && sent + i < N; i++) {
			t_frame(tx[i], 60, dev_mac, sent + i);
			tiov[i].iov_base = tx[i];
			tiov[i].iov_len = 60;
		}
		r = i ? uvdpa_net_send_burst(n, 0, tiov, i) : 0;
		if (r > 0)
			sent += (unsigned)r;
		uvdpa_net_reclaim(n, 0);
		if (rounds % 4 && sent < N)
			continue;   /* let RX run dry now and then */
		for (i = 0; i < B; i++) {
			riov[i].iov_base = rx[i];
			riov[i].iov_len = sizeof(rx[i]);
		}
		r = uvdpa_net_recv_burst(n, 0, riov, lens, B);
		if (r <= 0 && sent == N)
			break;
		/* in order: each frame is the next one sent or a later one */
		for (i = 0; r > 0 && i < (unsigned)r; i++, got++) {
			while (seed < N) {
				t_frame(tx[0], 60, dev_mac, seed++);
				if (lens[i] == 60 && memcmp(rx[i], tx[0], 60) == 0)
					break;
				skipped++;
			}
		}
	}
	lost = t_stat(d, 0, "rx overruns") - ovr0;
	CHECK(sent == N && got + lost == N && skipped == lost,
	      "[%s] %u frames through RX stalls: %u back in order, byte-exact, %u lost to "
	      "overruns (%u skipped)", name, N, got, lost, skipped);
	CHECK(lost > 0, "[%s] RX did run dry", name);
	CHECK(d->ops->set_poll_mode(d, UVDPA_POLL_ADAPTIVE) == -EBUSY,
	      "[%s] no leaving the mode behind a live driver", name);
	uvdpa_net_close(n);
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *d = t_net_dev(bus, "net0", dev_mac);
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	uint8_t buf[64];
	int r;

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	CHECK(d->ops->set_poll_mode(d, UVDPA_POLL_CALLER + 1) == -EINVAL, "unknown mode refused");
	CHECK(d->ops->set_poll_mode(d, UVDPA_POLL_CALLER) == 0, "caller mode chosen");
	run(d, v, "split mrg", UVDPA_NET_MRG_RXBUF | UVDPA_NET_EVENT_IDX, B);
	run(d, v, "split big indirect", UVDPA_NET_INDIRECT, B);
	run(d, v, "packed mrg indirect", UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF |
	    UVDPA_NET_INDIRECT | UVDPA_NET_EVENT_IDX, B);
	run(d, v, "packed big", UVDPA_NET_PACKED, 15);

	/* Back to a worker once no driver is live. */
	CHECK(d->ops->set_poll_mode(d, UVDPA_POLL_ADAPTIVE) == 0, "worker mode again after reset");
	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "open with a worker");
	CHECK(threads() == 2, "a worker thread runs (%u threads)", threads());
	CHECK(d->ops->set_poll_mode(d, UVDPA_POLL_CALLER) == -EBUSY,
	      "caller mode refused while the worker runs");
	t_frame(tx[0], 60, dev_mac, 1);
	r = t_send(n, 0, tx[0], 60);
	CHECK(r == 0 && uvdpa_net_wait_rx(n, 0, 10000) == 1 &&
	      uvdpa_net_recv(n, 0, buf, sizeof(buf)) == 60 && memcmp(buf, tx[0], 60) == 0,
	      "the worker loops a frame back");
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return t_done();
}
