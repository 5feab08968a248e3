// SPDX-License-Identifier: MIT
/*
 * Driver and device on two threads (argv[1]: split | packed), each sleeping
 * on an eventfd-like semaphore only when the engine says the other side
 * will signal it: every chain arrives intact and in order, with no lost
 * wake-up (a lost one would hang; the test is bounded by alarm()).
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>

#include "vqtest.h"

#define TOTAL 400000u
#define NUM 64

struct shared {
	struct pair p;
	sem_t kick, irq;
	uint32_t *bufs;              /* one u32 per slot: sequence number */
	uint64_t bufs_iova;
	unsigned bad, dev_bad;       /* each written by one thread */
};

static void *device(void *arg)
{
	struct shared *s = arg;
	struct iovec iov[2];
	struct uvdpa_chain c = { .iov = iov, .iov_cap = 2 };
	uint32_t expect = 0;

	while (expect < TOTAL) {
		unsigned n = 0;
		int ret;

		uvdpa_vq_dev_disable_kicks(&s->p.dev);
		while ((ret = uvdpa_vq_dev_pop(&s->p.dev, &c)) == 1) {
			uint32_t v;

			if (uvdpa_chain_read(&c, 0, &v, 4) != 4 || v != expect)
				s->dev_bad++;
			v = ~v;
			uvdpa_chain_write(&c, 0, &v, 4);
			uvdpa_vq_dev_push(&s->p.dev, &c, 4);
			expect++;
			if (++n == 32) {
				if (uvdpa_vq_dev_flush(&s->p.dev))
					sem_post(&s->irq);
				n = 0;
			}
		}
		if (ret < 0) {
			s->dev_bad++;
			break;
		}
		if (uvdpa_vq_dev_flush(&s->p.dev))
			sem_post(&s->irq);
		if (expect < TOTAL && !uvdpa_vq_dev_enable_kicks(&s->p.dev))
			sem_wait(&s->kick);
	}
	return NULL;
}

static void run(bool packed, bool event_idx)
{
	struct shared s;
	pthread_t t;
	uint32_t sent = 0, got = 0;
	struct uvdpa_vq_buf b[2];

	memset(&s, 0, sizeof(s));
	pair_init(&s.p, NUM, packed, event_idx, 65536);
	s.bufs = arena_get(&s.p.a, NUM * 2 * 4, 4, &s.bufs_iova);
	sem_init(&s.kick, 0, 0);
	sem_init(&s.irq, 0, 0);
	pthread_create(&t, NULL, device, &s);
	while (got < TOTAL) {
		bool added = false;

		while (sent < TOTAL && uvdpa_vq_drv_num_free(&s.p.drv) >= 2) {
			unsigned slot = sent % NUM;   /* at most NUM in flight, in order */

			s.bufs[2 * slot] = sent;
			b[0] = (struct uvdpa_vq_buf){ s.bufs_iova + 8 * slot, 4, false };
			b[1] = (struct uvdpa_vq_buf){ s.bufs_iova + 8 * slot + 4, 4, true };
			if (uvdpa_vq_drv_add(&s.p.drv, b, 2, (void *)(uintptr_t)(sent + 1)))
				break;
			sent++;
			added = true;
		}
		if (added && uvdpa_vq_drv_publish(&s.p.drv))
			sem_post(&s.kick);
		uvdpa_vq_drv_disable_cb(&s.p.drv);
		for (;;) {
			uint32_t len;
			void *tok = uvdpa_vq_drv_get_used(&s.p.drv, &len);

			if (!tok)
				break;
			if ((uintptr_t)tok != got + 1 || len != 4 ||
			    s.bufs[2 * (got % NUM) + 1] != ~got)
				s.bad++;
			got++;
		}
		if (got < TOTAL && !uvdpa_vq_drv_enable_cb(&s.p.drv) &&
		    (sent == TOTAL || uvdpa_vq_drv_num_free(&s.p.drv) < 2))
			sem_wait(&s.irq);
	}
	pthread_join(t, NULL);
	CHECK(!s.bad && !s.dev_bad && got == TOTAL, "%s event_idx=%d: %u chains across threads, in order, intact",
	      packed ? "packed" : "split", event_idx, got);
	sem_destroy(&s.kick);
	sem_destroy(&s.irq);
	pair_fini(&s.p);
}

int main(int argc, char **argv)
{
	bool packed = arg_packed(argc, argv);

	alarm(50);   /* a lost wake-up hangs: fail instead */
	run(packed, false);
	run(packed, true);
	return t_done();
}
