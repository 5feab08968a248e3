// SPDX-License-Identifier: MIT
/*
 * The ops in any order: one thread calls control ops at random (status,
 * reset, queue enable/disable, sizes, addresses inside and outside the map,
 * state, map changes, suspend/resume, poll mode, config, stats) while
 * another keeps kicking every queue. The device must neither crash nor
 * hang, and afterwards a reset and a normal probe work.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "tdev.h"

static atomic_bool done;

struct ctx {
	struct tdev *t;
	uint32_t seed;
};

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void *kicker(void *arg)
{
	struct tdev *t = arg;
	uint16_t q = 0;

	while (!atomic_load(&done)) {
		t->ops->kick_vq(t->d, q);
		q = (uint16_t)((q + 1) % 4);   /* 3 is out of range: ignored */
		tsleep_ms(0);
	}
	return NULL;
}

static void chaos(struct tdev *t, uint32_t *x, unsigned iters)
{
	struct uvdpa_device *d = t->d;
	const struct uvdpa_device_ops *o = t->ops;
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	struct uvdpa_vq_state s;
	uint8_t cfg[64];
	unsigned i;

	for (i = 0; i < iters; i++) {
		uint16_t q = (uint16_t)(rnd(x) % 4);
		uint64_t base = (rnd(x) & 1) ? t->iova + (rnd(x) % 64) * 4096 : rnd(x);

		switch (rnd(x) % 16) {
		case 0: o->set_status(d, (uint8_t)rnd(x)); break;
		case 1: o->reset(d); break;
		case 2: o->set_vq_ready(d, q, rnd(x) & 1); break;
		case 3: o->set_vq_num(d, q, 1u << (rnd(x) % 17)); break;
		case 4: o->set_vq_address(d, q, base, base + 4096, base + 8192); break;
		case 5: s.split.avail_index = (uint16_t)rnd(x); o->set_vq_state(d, q, &s); break;
		case 6: o->get_vq_state(d, q, &s); break;
		case 7: o->set_map(d, (rnd(x) & 3) ? t->map : NULL); break;
		case 8: o->suspend(d); break;
		case 9: o->resume(d); break;
		case 10: o->set_poll_mode(d, (enum uvdpa_poll_mode)(rnd(x) % 3)); break;
		case 11: o->get_config(d, rnd(x) % 40, cfg, rnd(x) % 30); break;
		case 12: o->set_config(d, rnd(x) % 40, cfg, rnd(x) % 30); break;
		case 13: o->get_vendor_vq_stats(d, q, st, UVDPA_MAX_VQ_STATS); break;
		case 14: o->set_driver_features(d, ((uint64_t)rnd(x) << 32) | rnd(x)); break;
		case 15: uvdpa_device_set_features(d, o->get_device_features(d)); break;
		}
	}
}

int main(void)
{
	uint32_t x = 12345;
	const char *mgmt[2] = { "vdpasim_net", "vdpasim_blk" };
	int k;

	for (k = 0; k < 2; k++) {
		struct uvdpa_dev_set_config cfg = { .mask = 1ULL << 25, .blk.num_queues = 3 };
		pthread_t th;
		struct tdev t;
		uint32_t len;
		int round;

		tdev_open(&t, NULL, mgmt[k], "dev0", k ? &cfg : NULL);
		/* real rings in guest memory, so some random setups are valid ones */
		tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | F_PACKED, 3, 64);
		atomic_store(&done, false);
		pthread_create(&th, NULL, kicker, &t);
		for (round = 0; round < 50; round++) {
			chaos(&t, &x, 400);
			/* now and then a sane device in the middle of the chaos (the map
			 * survives a reset, so the driver sets it again) */
			REQUIRE(t.ops->set_map(t.d, t.map) == 0, "set_map");
			tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1 | ((x & 1) ? F_PACKED : 0), 3, 64);
			if (k == 0) {
				uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

				tnet_post_rx(&t, 0, 256, 1, false);
				tnet_send(&t, 0, frame, sizeof(frame), 1, false);
				REQUIRE(tvq_wait(&t, 0, &len, 5000), "%s round %d: loops", mgmt[k], round);
			}
		}
		atomic_store(&done, true);
		pthread_join(th, NULL);
		CHECK(1, "%s: 20000 random control ops against a kicked device, sane probes between",
		      mgmt[k]);
		tdev_close(&t);
	}
	return 0;
}
