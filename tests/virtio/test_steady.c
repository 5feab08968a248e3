// SPDX-License-Identifier: MIT
/*
 * A split ring used in order with fixed buffers (a receive ring, the net
 * driver's transmit slots) reaches a steady state where every round puts the
 * same descriptors, avail entries and used entries at the same places. The
 * driver and the device must then leave those lines alone: a store of the
 * same value still takes the line out of the other CPU's cache. Checked by
 * making the pages read-only after the first round: a store faults.
 */
#include <signal.h>

#include "vqtest.h"

#define NUM     4096            /* the avail and used rings span several pages */
#define BUF_LEN 64
#define WRITTEN 60

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	static const char msg[] = "FAIL a store to a read-only ring page: a value was "
				  "stored again\nFAILED\n";

	(void)sig;
	(void)si;
	(void)ctx;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* Read-only: every whole page in [p, p + len). */
static void protect(void *p, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)p + pg - 1) & ~(pg - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(pg - 1);

	if (to > from && mprotect((void *)from, to - from, PROT_READ)) {
		perror("mprotect");
		exit(2);
	}
}

/*
 * One round: the driver adds every buffer (add_one, or the general add of
 * a one-buffer chain), the device takes them all and completes them in
 * order, the driver reclaims them. False on any mismatch.
 */
static bool round_trip(struct pair *p, uint64_t *iova, bool general)
{
	static struct iovec iov[NUM];
	struct uvdpa_chain c;
	unsigned i;

	for (i = 0; i < NUM; i++) {
		void *tok = (void *)(uintptr_t)(i + 1);
		struct uvdpa_vq_buf b = { iova[i], BUF_LEN, true };
		int r = general ? uvdpa_vq_drv_add(&p->drv, &b, 1, tok) :
				  uvdpa_vq_drv_add_one(&p->drv, iova[i], BUF_LEN, true, tok);

		if (r)
			return false;
	}
	uvdpa_vq_drv_publish(&p->drv);
	for (i = 0; i < NUM; i++) {
		memset(&c, 0, sizeof(c));
		c.iov = &iov[i];
		c.iov_cap = 1;
		if (uvdpa_vq_dev_pop(&p->dev, &c) != 1 || c.n_in != 1 ||
		    iov[i].iov_len != BUF_LEN)
			return false;
		uvdpa_vq_dev_push(&p->dev, &c, WRITTEN);
	}
	uvdpa_vq_dev_flush(&p->dev);
	for (i = 0; i < NUM; i++) {
		uint32_t len = 0;
		void *tok = uvdpa_vq_drv_get_used(&p->drv, &len);

		if (tok != (void *)(uintptr_t)(i + 1) || len != WRITTEN)
			return false;
	}
	return uvdpa_vq_drv_num_free(&p->drv) == NUM;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	static uint64_t iova[NUM];
	struct pair p;
	unsigned i, r;
	bool ok = true;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (pair_init(&p, NUM, false, true, 4u << 20)) {
		fprintf(stderr, "pair_init failed\n");
		return 2;
	}
	for (i = 0; i < NUM; i++)
		arena_get(&p.a, BUF_LEN, 64, &iova[i]);

	CHECK(round_trip(&p, iova, false), "first round: %u buffers out and back in order", NUM);
	/* Every buffer got descriptor i: the free list hands descriptors out in
	 * the order they came back. */
	for (i = 0; i < NUM && le64toh(p.drv.sdesc[i].addr) == iova[i]; i++)
		;
	CHECK(i == NUM, "buffer i went out in descriptor i (%u of %u)", i, NUM);

	protect(p.drv.sdesc, uvdpa_vq_desc_size(NUM, false));
	/* avail: the first page holds the index; used: the index and, with
	 * event idx, avail_event stay writable */
	protect(p.drv.avail, uvdpa_vq_driver_size(NUM, false, true) - 2);
	protect(p.drv.used, uvdpa_vq_device_size(NUM, false, true) - 2);
	mprotect((void *)((uintptr_t)p.drv.avail & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1)),
		 (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE);
	mprotect((void *)((uintptr_t)p.drv.used & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1)),
		 (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE);

	for (r = 0; r < 4 && ok; r++)
		ok = round_trip(&p, iova, r % 2);
	CHECK(ok, "4 more rounds (add_one and add) with descriptors, avail and used entries "
		  "read-only: nothing stored again");

	/* A changed buffer is written: the store reaches the ring. */
	mprotect(p.a.g.mem, p.a.g.size, PROT_READ | PROT_WRITE);
	arena_get(&p.a, BUF_LEN, 64, &iova[7]);
	CHECK(round_trip(&p, iova, false) && le64toh(p.drv.sdesc[7].addr) == iova[7],
	      "a buffer at a new address is stored in its descriptor");
	pair_fini(&p);
	return t_done();
}
