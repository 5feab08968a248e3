// SPDX-License-Identifier: MIT
/*
 * max_vqp 2 (beyond the kernel): 5 queues, MQ offered, CVQ VQ_PAIRS_SET,
 * each TX queue loops into the RX queue of its own pair, per-queue stats.
 */
#include <string.h>

#include <linux/virtio_net.h>

#include "tdev.h"

#define F_CTRL_VQ F(17)
#define F_MQ      F(22)

int main(void)
{
	struct uvdpa_dev_set_config cfg = { .mask = 1ULL << 12, .net.max_vq_pairs = 2 };
	uint16_t pairs;
	uint8_t frame[100];
	uint32_t len;
	uint8_t *rx0, *rx1;
	struct tdev t;

	tdev_open(&t, NULL, "vdpasim_net", "net0", &cfg);
	CHECK(t.d->nvqs == 5, "2 pairs: 5 queues");
	CHECK((tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_CTRL_VQ | F_MQ, 5, 128) &
	       (F_MQ | F_CTRL_VQ)) == (F_MQ | F_CTRL_VQ), "MQ and CTRL_VQ negotiated");

	pairs = htole16(2);
	CHECK(tnet_cvq(&t, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2) ==
	      VIRTIO_NET_OK, "VQ_PAIRS_SET 2 -> OK");
	pairs = htole16(3);
	CHECK(tnet_cvq(&t, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2) ==
	      VIRTIO_NET_ERR, "VQ_PAIRS_SET 3 (more than max) -> ERR");
	pairs = 0;
	CHECK(tnet_cvq(&t, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2) ==
	      VIRTIO_NET_ERR, "VQ_PAIRS_SET 0 -> ERR");

	rx0 = tnet_post_rx(&t, 0, 2048, 1, false);
	rx1 = tnet_post_rx(&t, 1, 2048, 1, false);
	tfill(frame, sizeof(frame), 1);
	memset(frame, 0xff, 6);
	tnet_send(&t, 1, frame, sizeof(frame), 1, false);
	tnet_reap_tx(&t, 1, 1);
	CHECK(tvq_wait(&t, 2, &len, 5000) == rx1 && len == 112 && memcmp(rx1 + 12, frame, 100) == 0,
	      "frame sent on TX1 arrives on RX1");
	CHECK(tvq_idle(&t, 0, 50), "and not on RX0");
	frame[50] ^= 0xff;
	tnet_send(&t, 0, frame, sizeof(frame), 1, false);
	tnet_reap_tx(&t, 0, 1);
	CHECK(tvq_wait(&t, 0, &len, 5000) == rx0 && memcmp(rx0 + 12, frame, 100) == 0,
	      "frame sent on TX0 arrives on RX0");

	CHECK(tstat(&t, 2, "rx packets") == 1 && tstat(&t, 3, "tx packets") == 1 &&
	      tstat(&t, 0, "rx packets") == 1 && tstat(&t, 1, "tx packets") == 1 &&
	      tstat(&t, 4, "cvq requests") == 3 && tstat(&t, 4, "cvq successes") == 1,
	      "stats per queue: qidx 0/1 pair 0, 2/3 pair 1, 4 cvq");
	tdev_close(&t);
	return 0;
}
