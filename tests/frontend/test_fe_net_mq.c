// SPDX-License-Identifier: MIT
/*
 * Net multiqueue over vhost-user: the back end has N queue pairs
 * (GET_QUEUE_NUM), the driver opens all of them with MQ and a control path
 * the transport answers itself (VQ_PAIRS_SET as SET_VRING_ENABLE, MAC
 * -EOPNOTSUPP), and one thread per pair sends frames tagged with its pair
 * and gets each back byte-exact on the same pair: uvdpad's vdpasim_net
 * (max_vqp N, TX i loops into RX i) and DPDK testpmd's vhost PMD
 * (queues=N, io forward: RX queue i out on TX queue i). Against uvdpad,
 * VQ_PAIRS_SET 1 then disables pair 1 (a frame sent there stays unanswered)
 * and VQ_PAIRS_SET N brings it back.
 *
 * usage: test_fe_net_mq uvdpad UVDPAD UVDPA N split|packed
 *        test_fe_net_mq testpmd N split|packed
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "fe_test.h"

#define FRAMES 64
#define PAIRS_MAX 4

/* The device's MAC when it has one (vdpasim_net loops only frames to it). */
static uint8_t dev_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct pair_run {
	struct uvdpa_net *n;
	unsigned q;
	unsigned sent, back, exact, wrong_pair;
	pthread_t th;
};

/* Byte 14 names the pair, 15-16 the frame; the rest follows from both. */
static size_t frame(uint8_t *f, unsigned q, unsigned i)
{
	static const uint8_t src[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	size_t len = 60 + (size_t)((i * 977 + q * 131) % 1455), k;

	memcpy(f, dev_mac, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = (uint8_t)q;
	f[15] = (uint8_t)i;
	f[16] = (uint8_t)(i >> 8);
	for (k = 17; k < len; k++)
		f[k] = (uint8_t)(k * 7 + q * 31 + i * 13);
	return len;
}

static int send_one(struct uvdpa_net *n, unsigned q, const void *f, size_t len)
{
	int r, tries;

	for (tries = 0; tries < 100; tries++) {
		r = uvdpa_net_send(n, q, f, len);
		if (r != -EAGAIN)
			return r;
		uvdpa_net_wait_tx(n, q, 100);
	}
	return r;
}

/* One frame at a time on pair q: it must come back on q, byte-exact. */
static void *pair_main(void *arg)
{
	struct pair_run *p = arg;
	uint8_t out[1514], in[2048];
	unsigned i;

	for (i = 0; i < FRAMES; i++) {
		size_t len = frame(out, p->q, i);
		int r = send_one(p->n, p->q, out, len);

		if (r)
			break;
		p->sent++;
		if (uvdpa_net_wait_rx(p->n, p->q, 10000) != 1)
			break;
		r = uvdpa_net_recv(p->n, p->q, in, sizeof(in));
		if (r <= 0)
			break;
		p->back++;
		if (r > 14 && in[14] != p->q)
			p->wrong_pair++;
		p->exact += r == (int)len && !memcmp(in, out, len);
	}
	return NULL;
}

static void traffic(struct uvdpa_net *n, unsigned pairs, const char *when)
{
	struct pair_run run[PAIRS_MAX];
	unsigned q;

	for (q = 0; q < pairs; q++) {
		run[q] = (struct pair_run){ .n = n, .q = q };
		REQUIRE(pthread_create(&run[q].th, NULL, pair_main, &run[q]) == 0, "thread");
	}
	for (q = 0; q < pairs; q++) {
		pthread_join(run[q].th, NULL);
		CHECK(run[q].sent == FRAMES && run[q].back == FRAMES &&
		      run[q].exact == FRAMES && run[q].wrong_pair == 0,
		      "[%s] pair %u (own thread): %u sent, %u back on it, %u byte-exact, "
		      "%u from another pair", when, q, run[q].sent, run[q].back, run[q].exact,
		      run[q].wrong_pair);
	}
}

/* uvdpad only: a disabled pair's TX ring is not served. */
static void pairs_set(struct uvdpa_net *n, unsigned pairs)
{
	uint8_t out[1514], in[2048];
	size_t len = frame(out, 1, 999);
	int r;

	r = uvdpa_net_set_queue_pairs(n, 1);
	CHECK(r == 0, "VQ_PAIRS_SET 1: %d", r);
	r = send_one(n, 1, out, len);
	CHECK(r == 0, "frame queued on disabled pair 1: %d", r);
	r = uvdpa_net_wait_rx(n, 1, 300);
	CHECK(r == 0, "pair 1 disabled: nothing comes back (wait_rx %d)", r);
	traffic(n, 1, "one pair enabled");
	r = uvdpa_net_set_queue_pairs(n, (uint16_t)pairs);
	CHECK(r == 0, "VQ_PAIRS_SET %u: %d", pairs, r);
	/* Enabled again: the next kick has the back end take both frames. */
	r = send_one(n, 1, out, len);
	CHECK(r == 0, "second frame on pair 1: %d", r);
	for (unsigned k = 0; k < 2; k++) {
		r = uvdpa_net_wait_rx(n, 1, 10000);
		if (r == 1)
			r = uvdpa_net_recv(n, 1, in, sizeof(in));
		CHECK(r == (int)len && !memcmp(in, out, len),
		      "pair 1 enabled again: frame %u back byte-exact (%d)", k, r);
	}
	r = uvdpa_net_set_queue_pairs(n, (uint16_t)(pairs + 1));
	CHECK(r == -EINVAL, "VQ_PAIRS_SET beyond the pairs set up: %d", r);
}

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = 1, .mem_size = 256u << 20 };
	struct uvdpa_net_opts no = { .flags = UVDPA_NET_INDIRECT | UVDPA_NET_MRG_RXBUF |
					      UVDPA_NET_EVENT_IDX };
	bool uvdpad = argc >= 2 && !strcmp(argv[1], "uvdpad");
	struct uvdpa_net_config cfg;
	struct uvdpa_virtio *v;
	struct uvdpa_net *n;
	struct fe_peer peer;
	unsigned pairs;
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	int r;

	REQUIRE(argc == (uvdpad ? 6 : 4),
		"usage: test_fe_net_mq uvdpad UVDPAD UVDPA N split|packed | testpmd N split|packed");
	pairs = (unsigned)atoi(argv[argc - 2]);
	REQUIRE(pairs >= 2 && pairs <= PAIRS_MAX, "2 to %d pairs", PAIRS_MAX);
	if (!strcmp(argv[argc - 1], "packed"))
		no.flags |= UVDPA_NET_PACKED;
	if (uvdpad) {
		fe_uvdpad_start(&peer, argv[2], argv[3]);
		fe_uvdpad_add(&peer, "n0", "vdpasim_net", "max_vqp", argv[4]);
	} else {
		fe_testpmd_start_mq(&peer, pairs);
	}
	r = fe_open(peer.sock, &vo, &v);
	REQUIRE(r == 0, "open vhost-user %s: %d", peer.sock, r);
	/* DPDK's vhost library answers its own maximum, whatever queues= says. */
	CHECK(uvdpad ? uvdpa_virtio_num_queues(v) == 2 * pairs : uvdpa_virtio_num_queues(v) >= 2 * pairs,
	      "GET_QUEUE_NUM: %u rings", uvdpa_virtio_num_queues(v));
	no.queue_pairs = (uint16_t)pairs;
	r = uvdpa_net_open(v, &no, &n);
	REQUIRE(r == 0, "net open with %u pairs: %d", pairs, r);
	CHECK(uvdpa_virtio_features(v) & (1ull << VIRTIO_NET_F_MQ), "MQ negotiated");
	CHECK(uvdpa_net_queue_pairs(n) == pairs, "%u pairs set up", uvdpa_net_queue_pairs(n));
	r = uvdpa_net_get_config(n, &cfg);
	CHECK(r == 0 && (uvdpad ? cfg.max_queue_pairs == pairs : cfg.max_queue_pairs >= pairs),
	      "max_queue_pairs %u (%d)", cfg.max_queue_pairs, r);
	if (uvdpad)
		CHECK(uvdpa_net_get_mac(n, dev_mac) == 0, "MAC from GET_CONFIG");
	CHECK(uvdpa_net_set_mac(n, mac) == -EOPNOTSUPP,
	      "no MAC command over vhost-user: -EOPNOTSUPP");
	traffic(n, pairs, "all pairs");
	if (uvdpad)
		pairs_set(n, pairs);
	uvdpa_net_close(n);
	/* More pairs than the back end has. */
	no.queue_pairs = (uint16_t)(uvdpa_virtio_num_queues(v) / 2 + 1);
	r = uvdpa_net_open(v, &no, &n);
	CHECK(r == -EINVAL, "net open with %u pairs: %d", no.queue_pairs, r);
	if (!r)
		uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	fe_peer_stop(&peer);
	return fe_done();
}
