// SPDX-License-Identifier: MIT
/*
 * INFLIGHT_SHMFD on vdpasim_blk: offered for blk and not for net;
 * GET_INFLIGHT_FD answers a zeroed memfd of the spec's size; requests leave
 * no entry in flight and counters that grow; a back end that crashed with
 * requests in flight (record written here as it would have left it: some
 * chains taken, a published batch not yet cleared) gets the region back over
 * a new connection and completes exactly the unfinished requests, oldest
 * counter first; hostile SET_INFLIGHT_FD messages are refused and the device
 * goes on. Argument "packed": the same on a packed ring, with the packed
 * record's free list, used index and old_* fields.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "fe.h"
#include <uvdpa/vdpa_abi.h>

#define GPA_BASE 0x80000000ull
#define MEM      (8u << 20)
#define QSIZE    128
#define NQ       2
#define NREQ     40
#define SECTOR   512
#define PROTO    (F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | F(VHOST_USER_PROTOCOL_F_MQ) | \
		  F(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD))

/* The spec's split layout, as a front end sees it. */
struct ent {
	uint8_t inflight;
	uint8_t pad[5];
	uint16_t next;
	uint64_t counter;
};
struct hdr {
	uint64_t features;
	uint16_t version, desc_num, last_batch_head, used_idx;
	struct ent desc[];
};

/*
 * cond, looked at again every millisecond for up to 2 s: the back end
 * updates the region just after it publishes the used entries, so a front
 * end that saw a completion may look before the back end's last store.
 */
#define SETTLES(cond) ({                                        \
	int settle_ms_ = 0;                                     \
	while (!(cond) && settle_ms_++ < 2000)                  \
		usleep(1000);                                   \
	(cond);                                                 \
})

static bool none_inflight(const struct hdr *rg)
{
	for (unsigned k = 0; k < QSIZE; k++)
		if (rg->desc[k].inflight)
			return false;
	return true;
}

/* The spec's packed layout. */
struct pent {
	uint8_t inflight, pad;
	uint16_t next, last, num;
	uint64_t counter;
	uint16_t id, flags;
	uint32_t len;
	uint64_t addr;
};
struct phdr {
	uint64_t features;
	uint16_t version, desc_num, free_head, old_free_head, used_idx, old_used_idx;
	uint8_t used_wrap_counter, old_used_wrap_counter, pad[10];
	struct pent desc[];
};
_Static_assert(sizeof(struct pent) == 32 && sizeof(struct phdr) == 32, "packed layout");

static bool none_inflight_packed(const struct phdr *rg)
{
	for (unsigned k = 0; k < QSIZE; k++)
		if (rg->desc[k].inflight)
			return false;
	return true;
}

struct req {
	struct virtio_blk_outhdr *h;
	uint8_t *data, *st;
	uint16_t head;
};

static bool packed;
/* blk_file: its requests complete in io_uring's order, which need not be
 * the order the device resubmitted them in. */
static bool any_order;

/* True if got[0..n) are want[0..n), in that order unless any_order. */
static bool resubmitted_as(struct req *const *got, struct req *const *want, unsigned n)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned k;

		if (!any_order) {
			if (got[i] != want[i])
				return false;
			continue;
		}
		for (k = 0; k < n && (got[i] != want[k] || seen & 1u << k); k++)
			;
		if (k == n)
			return false;
		seen |= 1u << k;
	}
	return true;
}

static size_t stride(void)
{
	size_t n = packed ? 32 + 32 * QSIZE : 16 + 16 * QSIZE;

	return (n + 63) & ~(size_t)63;
}

static void fill(uint8_t *p, unsigned seed)
{
	for (unsigned k = 0; k < SECTOR; k++)
		p[k] = (uint8_t)(seed * 37 + k * 11 + 1);
}

/* Adds one request to ring 0 without kicking; q->head is its head index. */
static void post(struct fe *f, struct req *q, uint32_t type, uint64_t sector, unsigned seed)
{
	struct fe_ring *r = &f->ring[0];
	struct uvdpa_vq_buf b[3];

	q->h = fe_alloc(f, 0, sizeof(*q->h), 16);
	q->data = fe_alloc(f, 0, SECTOR, 64);
	q->st = fe_alloc(f, 0, 1, 1);
	q->h->type = type;
	q->h->ioprio = 0;
	q->h->sector = sector;
	*q->st = 0xff;
	if (type == VIRTIO_BLK_T_OUT)
		fill(q->data, seed);
	else
		memset(q->data, 0, SECTOR);
	b[0] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, q->h), .len = sizeof(*q->h) };
	b[1] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, q->data), .len = SECTOR,
				      .write = type == VIRTIO_BLK_T_IN };
	b[2] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, q->st), .len = 1, .write = true };
	REQUIRE(!uvdpa_vq_drv_add(&r->drv, b, 3, q), "add");
	if (!packed)
		q->head = r->drv.avail->ring[(uint16_t)(r->drv.avail_idx_shadow - 1) & (QSIZE - 1)];
}

/* Reclaims n used chains into done[] (in completion order) within ~5 s. */
static unsigned reap(struct fe *f, struct req **done, unsigned n)
{
	struct fe_ring *r = &f->ring[0];
	unsigned got = 0;
	uint32_t len;

	for (int t = 0; t < 100 && got < n; t++) {
		struct req *q;

		while (got < n && (q = uvdpa_vq_drv_get_used(&r->drv, &len)))
			done[got++] = q;
		if (got < n)
			fe_wait_call(r, 50);
	}
	return got;
}

static bool io(struct fe *f, uint32_t type, uint64_t sector, unsigned seed, uint8_t *out)
{
	struct req q, *done;

	post(f, &q, type, sector, seed);
	uvdpa_vq_drv_publish(&f->ring[0].drv);
	fe_kick(&f->ring[0]);
	if (reap(f, &done, 1) != 1 || done != &q || *q.st != VIRTIO_BLK_S_OK)
		return false;
	if (out)
		memcpy(out, q.data, SECTOR);
	return true;
}

static bool sector_is(struct fe *f, uint64_t sector, int seed)
{
	uint8_t got[SECTOR], want[SECTOR];

	if (!io(f, VIRTIO_BLK_T_IN, sector, 0, got))
		return false;
	if (seed < 0)
		memset(want, 0, SECTOR);
	else
		fill(want, (unsigned)seed);
	return !memcmp(got, want, SECTOR);
}

static int64_t set_inflight(struct fe *f, int fd, uint64_t size, uint64_t off, uint16_t nq,
			    uint16_t qs)
{
	struct vhost_user_inflight in = { .mmap_size = size, .mmap_offset = off,
					  .num_queues = nq, .queue_size = qs };

	return fe_acked(f, VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in), &fd, fd >= 0);
}

static int get_inflight(struct fe *f, uint16_t nq, uint16_t qs, struct vhost_user_inflight *out)
{
	struct vhost_user_inflight in = { .num_queues = nq, .queue_size = qs };
	struct vhost_user_msg m;
	int fd = -1;

	if (fe_send(f, VHOST_USER_GET_INFLIGHT_FD, 0, &in, sizeof(in), NULL, 0) ||
	    fe_recv_fd(f, &m, &fd, 5000) || m.hdr.request != VHOST_USER_GET_INFLIGHT_FD ||
	    m.hdr.size != sizeof(in)) {
		if (fd >= 0)
			close(fd);
		return -2;
	}
	*out = m.p.inflight;
	return fd;
}

static void setup(struct fe *f, uint64_t features)
{
	REQUIRE(!fe_negotiate(f, features, PROTO), "negotiate");
	REQUIRE(fe_send_mem_table(f) == 0, "mem table");
}

static uint64_t blk_features(void)
{
	return F(VIRTIO_F_VERSION_1) | (packed ? F(VIRTIO_F_RING_PACKED) : 0);
}

static void net_not_offered(void)
{
	struct harness h;
	struct fe f;
	uint64_t p;

	harness_open(&h, "vdpasim_net", "inet0", NULL);
	fe_open(&f, h.sock, 0);
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_PROTOCOL_FEATURES, &p) &&
	      !(p & F(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD)),
	      "net: INFLIGHT_SHMFD not offered (0x%llx)", (unsigned long long)p);
	fe_close(&f);
	harness_close(&h);
}

/* The front end comes back after the back end's crash: a new connection
 * that hands over the region of the previous session. */
static void reconnect_with(struct fe *f, struct harness *h, int rfd)
{
	close(f->sock);
	f->sock = -1;
	CHECK(wait_device_status(h->dev, 0, 2000), "disconnect reset the device");
	fe_reconnect(f, h->sock);
	setup(f, blk_features());
	CHECK(set_inflight(f, rfd, NQ * stride(), 0, NQ, QSIZE) == 0,
	      "SET_INFLIGHT_FD with the region of the previous session");
}

/* Requests 0..n-1 wrote sectors 1000 + k; those in published (a bit mask)
 * had completed before the crash and must not have run again. */
static void check_after_recovery(struct fe *f, unsigned n, unsigned published)
{
	for (unsigned k = 0; k < n; k++) {
		bool ran = !(published & 1u << k);

		CHECK(sector_is(f, 1000 + k, ran ? (int)(50 + k) : -1),
		      "sector %u %s", 1000 + k, ran ? "holds request's data" :
		      "untouched: a published request is not run again");
	}
	CHECK(io(f, VIRTIO_BLK_T_OUT, 2000, 77, NULL) && sector_is(f, 2000, 77),
	      "new requests after the resubmission");
}

/*
 * The record a back end leaves when it dies right after publishing a batch
 * (used->idx moved, marks not cleared yet) with other chains taken and not
 * done. Requests q[0..5] are posted; the "dead" back end took all six with
 * counters in cnt_order, and published q[1] and q[3].
 */
static void crash_and_recover(struct fe *f, struct harness *h, void *region, int rfd)
{
	static const unsigned cnt_order[6] = { 1, 4, 3, 5, 0, 2 };   /* q[i] gets counter 100 + this */
	static const unsigned resubmit_order[4] = { 4, 0, 5, 2 };     /* by counter, minus 1 and 3 */
	struct fe_ring *r = &f->ring[0];
	struct hdr *rg = region;
	struct vring_used *used = r->drv.used;
	struct req q[6], *done[6], *want[4];
	uint16_t u0;
	uint32_t base;
	unsigned k;

	CHECK(!fe_get_vring_base(f, 0, &base), "ring 0 stopped at %u", base);
	u0 = used->idx;
	for (k = 0; k < 6; k++)
		post(f, &q[k], VIRTIO_BLK_T_OUT, 1000 + k, 50 + k);
	uvdpa_vq_drv_publish(&r->drv);

	/* what the dead back end left: all six marked, q[1] and q[3] in the
	 * used ring and linked as the last batch, used_idx not updated */
	for (k = 0; k < 6; k++) {
		rg->desc[q[k].head].counter = 100 + cnt_order[k];
		rg->desc[q[k].head].inflight = 1;
	}
	used->ring[u0 & (QSIZE - 1)] = (struct vring_used_elem){ .id = q[1].head, .len = 1 };
	used->ring[(u0 + 1) & (QSIZE - 1)] = (struct vring_used_elem){ .id = q[3].head, .len = 1 };
	rg->desc[q[1].head].next = rg->last_batch_head;
	rg->desc[q[3].head].next = q[1].head;
	rg->last_batch_head = q[3].head;
	__atomic_store_n(&used->idx, (uint16_t)(u0 + 2), __ATOMIC_RELEASE);
	CHECK(rg->used_idx == u0, "record: used_idx %u behind used->idx %u", rg->used_idx,
	      (uint16_t)(u0 + 2));

	/* the front end reconnects and, not knowing better, restarts the ring
	 * at used->idx, as QEMU does after a back-end crash */
	reconnect_with(f, h, rfd);
	CHECK(fe_ring_resume(f, 0, (uint16_t)(u0 + 2)) == 0, "ring 0 resumed at base %u",
	      (uint16_t)(u0 + 2));

	CHECK(reap(f, done, 6) == 6, "six completions (two published before the crash)");
	CHECK(done[0] == &q[1] && done[1] == &q[3], "the published batch comes first");
	for (k = 0; k < 4; k++) {
		want[k] = &q[resubmit_order[k]];
		CHECK(*want[k]->st == 0, "resubmitted request %u (counter %u): status OK",
		      resubmit_order[k], 100 + cnt_order[resubmit_order[k]]);
	}
	CHECK(resubmitted_as(done + 2, want, 4), "the other four resubmitted%s",
	      any_order ? "" : " in counter order: q[4], q[0], q[5], q[2]");
	usleep(100000);
	CHECK(!uvdpa_vq_drv_get_used(&r->drv, &base), "nothing completed twice");
	CHECK(SETTLES(used->idx == (uint16_t)(u0 + 6) && rg->used_idx == used->idx),
	      "used->idx %u = record's used_idx %u", used->idx, rg->used_idx);
	CHECK(SETTLES(none_inflight(rg)), "no entry left in flight");
	check_after_recovery(f, 6, 1u << 1 | 1u << 3);
}

/*
 * The packed record a back end leaves when it dies while publishing: it took
 * q[0..3] (copies of their descriptors in free entries, counters 100..103),
 * wrote the used descriptors of q[1] and q[2] into the ring and linked their
 * entries back on the free list with the used index moved, but neither
 * cleared their marks nor committed the old_* fields.
 */
static void take_packed(struct phdr *rg, const struct vring_packed_desc *ring, uint16_t slot,
			unsigned ndesc, uint64_t counter, uint16_t *head, uint16_t *last)
{
	uint16_t e = rg->free_head;

	*head = e;
	for (unsigned k = 0; k < ndesc; k++) {
		const struct vring_packed_desc *d = &ring[(slot + k) % QSIZE];
		struct pent *p = &rg->desc[e];

		*p = (struct pent){ .next = p->next, .addr = d->addr, .len = d->len,
				    .flags = d->flags, .id = d->id };
		*last = e;
		e = p->next;
	}
	rg->desc[*head].num = (uint16_t)ndesc;
	rg->desc[*head].last = *last;
	rg->desc[*head].counter = counter;
	rg->desc[*head].inflight = 1;
	rg->free_head = rg->old_free_head = e;
}

static void crash_and_recover_packed(struct fe *f, struct harness *h, void *region, int rfd)
{
	struct fe_ring *r = &f->ring[0];
	struct phdr *rg = region;
	struct vring_packed_desc *ring = r->drv.pdesc;
	uint16_t used0, slot0, head[4], last[4], flags;
	struct req q[4], *done[4];
	bool wrap0;
	uint32_t base;
	unsigned k;

	CHECK(!fe_get_vring_base(f, 0, &base), "ring 0 stopped at 0x%x", base);
	used0 = rg->used_idx;
	slot0 = r->drv.avail_idx_shadow;
	wrap0 = r->drv.avail_wrap;
	CHECK(used0 == slot0 && rg->used_wrap_counter == wrap0 && rg->old_used_idx == used0,
	      "record at rest: used index %u = next avail slot %u", used0, slot0);
	for (k = 0; k < 4; k++)
		post(f, &q[k], VIRTIO_BLK_T_OUT, 1000 + k, 50 + k);
	uvdpa_vq_drv_publish(&r->drv);

	for (k = 0; k < 4; k++)
		take_packed(rg, ring, (uint16_t)(slot0 + 3 * k), 3, 100 + k, &head[k], &last[k]);
	/* q[1] then q[2] completed: used descriptors at the used index, each
	 * moving it by its chain's 3 slots */
	flags = wrap0 ? (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
	for (k = 1; k <= 2; k++) {
		struct vring_packed_desc *u = &ring[(slot0 + 3 * (k - 1)) % QSIZE];

		u->id = ring[(slot0 + 3 * k + 2) % QSIZE].id;
		u->len = 1;
		__atomic_store_n(&u->flags, flags, __ATOMIC_RELEASE);
	}
	rg->desc[last[2]].next = head[1];
	rg->desc[last[1]].next = rg->free_head;
	rg->free_head = head[2];
	rg->used_idx = (uint16_t)((used0 + 6) % QSIZE);
	rg->used_wrap_counter = (uint8_t)(used0 + 6 >= QSIZE ? !wrap0 : wrap0);

	reconnect_with(f, h, rfd);
	CHECK(fe_ring_resume(f, 0, base) == 0, "ring 0 resumed");

	CHECK(reap(f, done, 4) == 4, "four completions (two published before the crash)");
	CHECK(done[0] == &q[1] && done[1] == &q[2], "the published batch comes first");
	CHECK(resubmitted_as(done + 2, (struct req *[]){ &q[0], &q[3] }, 2) && *q[0].st == 0 &&
	      *q[3].st == 0, "q[0] and q[3] resubmitted%s, status OK",
	      any_order ? "" : " in counter order");
	usleep(100000);
	CHECK(!uvdpa_vq_drv_get_used(&r->drv, &base), "nothing completed twice");
	CHECK(SETTLES(rg->used_idx == r->drv.last_used_idx && rg->old_used_idx == rg->used_idx &&
		      rg->used_wrap_counter == r->drv.used_wrap),
	      "record's used index %u = the driver's %u", rg->used_idx, r->drv.last_used_idx);
	CHECK(SETTLES(none_inflight_packed(rg)), "no entry left in flight");
	check_after_recovery(f, 4, 1u << 1 | 1u << 2);
}

static void hostile(struct fe *f, struct harness *h, int rfd)
{
	int memfd = memfd_create("small", MFD_CLOEXEC);

	uint32_t base;
	bool ok;

	REQUIRE(memfd >= 0 && !ftruncate(memfd, 4096), "memfd");
	CHECK(set_inflight(f, rfd, NQ * stride(), 0, NQ, QSIZE) == EBUSY,
	      "SET_INFLIGHT_FD while the ring runs: EBUSY");
	CHECK(!fe_get_vring_base(f, 0, &base), "ring 0 stopped");
	CHECK(set_inflight(f, rfd, NQ * stride() - 64, 0, NQ, QSIZE) == EINVAL,
	      "mmap_size smaller than 2 queues of %u: EINVAL", QSIZE);
	CHECK(set_inflight(f, memfd, NQ * stride(), 0, NQ, QSIZE) == EINVAL,
	      "area past the end of its 4 KiB file: EINVAL");
	CHECK(set_inflight(f, rfd, 64, 1ull << 40, 1, 1) == EINVAL, "offset past the end: EINVAL");
	CHECK(set_inflight(f, rfd, 64, UINT64_MAX - 8, 1, 1) == EINVAL, "offset + size wraps: EINVAL");
	CHECK(set_inflight(f, rfd, NQ * stride(), 4, NQ, QSIZE) == EINVAL, "misaligned offset: EINVAL");
	CHECK(set_inflight(f, rfd, NQ * stride(), 0, 0, QSIZE) == EINVAL, "0 queues: EINVAL");
	CHECK(set_inflight(f, rfd, NQ * stride(), 0, 3, QSIZE) == EINVAL, "3 queues of 2: EINVAL");
	CHECK(set_inflight(f, rfd, NQ * stride(), 0, NQ, 0) == EINVAL, "queue size 0: EINVAL");
	CHECK(set_inflight(f, rfd, UINT64_MAX, 0, NQ, 40000) == EINVAL, "queue size 40000: EINVAL");
	CHECK(set_inflight(f, -1, NQ * stride(), 0, NQ, QSIZE) == EINVAL, "no fd: EINVAL");
	CHECK(fe_ring_restart(f, 0, base) == 0, "ring 0 restarted with the region it had");
	ok = io(f, VIRTIO_BLK_T_OUT, 3000, 9, NULL) && sector_is(f, 3000, 9);
	CHECK(ok, "the device still serves requests");
	CHECK(!(h->dev->ops->get_status(h->dev) & UVDPA_STATUS_NEEDS_RESET), "no NEEDS_RESET");
	close(memfd);
}

int main(int argc, char **argv)
{
	struct uvdpa_dev_set_config cfg = {
		.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES),
		.blk.num_queues = NQ,
	};
	struct vhost_user_inflight in;
	struct harness h;
	struct stat st;
	struct hdr *rg;
	uint8_t *map;
	uint64_t p, prev = 0;
	size_t i;
	struct fe f;
	int rfd;

	packed = argc > 1 && !strcmp(argv[1], "packed");
	printf("# INFLIGHT_SHMFD, %s ring\n", packed ? "packed" : "split");
	net_not_offered();

	/* Argument 2 "file": the same on blk_file (requests in flight across
	 * passes, completed out of order) over a temporary sparse file. */
	if (argc > 2 && !strcmp(argv[2], "file")) {
		any_order = true;
		char tmpl[] = "/tmp/uvdpa-inflight.XXXXXX";
		int tfd = mkstemp(tmpl);

		REQUIRE(tfd >= 0 && ftruncate(tfd, 128 << 20) == 0, "backing file");
		close(tfd);
		cfg.blk.path = strdup(tmpl);
		cfg.uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH);
		harness_open(&h, "blk_file", "iblk0", &cfg);
		unlink(tmpl);   /* the device keeps it open */
		free((char *)cfg.blk.path);
	} else {
		harness_open(&h, "vdpasim_blk", "iblk0", &cfg);
	}
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_PROTOCOL_FEATURES, &p) &&
	      (p & F(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD)), "blk: INFLIGHT_SHMFD offered");
	rfd = get_inflight(&f, NQ, QSIZE, &in);
	CHECK(rfd == -1 && in.mmap_size == 0, "GET_INFLIGHT_FD before negotiation: no area");
	setup(&f, blk_features());

	rfd = get_inflight(&f, NQ, QSIZE, &in);
	CHECK(rfd >= 0 && in.mmap_size == NQ * stride() && in.mmap_offset == 0 &&
	      in.num_queues == NQ && in.queue_size == QSIZE,
	      "GET_INFLIGHT_FD: fd, %llu bytes (2 x %zu) at offset %llu",
	      (unsigned long long)in.mmap_size, stride(), (unsigned long long)in.mmap_offset);
	REQUIRE(!fstat(rfd, &st) && (uint64_t)st.st_size >= in.mmap_size, "fd size");
	map = mmap(NULL, in.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	REQUIRE(map != MAP_FAILED, "mmap region");
	for (i = 0; i < in.mmap_size && !map[i]; i++)
		;
	CHECK(i == in.mmap_size, "region is zero-filled");
	CHECK(set_inflight(&f, rfd, in.mmap_size, 0, NQ, QSIZE) == 0,
	      "SET_INFLIGHT_FD hands it back (QEMU's order)");
	CHECK(fe_ring_start(&f, 0, QSIZE, packed, false, packed ? 0x80008000u : 0) == 0,
	      "ring 0 started");
	rg = (struct hdr *)map;
	CHECK(rg->version == 1 && rg->desc_num == QSIZE, "ring start initialized the region "
	      "(version %u, desc_num %u)", rg->version, rg->desc_num);

	for (i = 0; i < NREQ; i++)
		REQUIRE(io(&f, VIRTIO_BLK_T_OUT, i * 8, (unsigned)i, NULL), "write %zu", i);
	CHECK(sector_is(&f, 8, 1) && sector_is(&f, 8 * (NREQ - 1), NREQ - 1),
	      "%u writes through the tracked ring read back", NREQ);
	if (!packed) {
		struct req q[4], *done[4];

		CHECK(SETTLES(none_inflight(rg)), "no entry in flight after the requests");
		CHECK(SETTLES(rg->used_idx == f.ring[0].drv.used->idx && rg->used_idx == NREQ + 2),
		      "record's used_idx = used->idx = %u", rg->used_idx);
		/* one burst of four: each head's counter is above the previous one */
		for (i = 0; i < 4; i++)
			post(&f, &q[i], VIRTIO_BLK_T_IN, i, 0);
		uvdpa_vq_drv_publish(&f.ring[0].drv);
		fe_kick(&f.ring[0]);
		REQUIRE(reap(&f, done, 4) == 4, "burst");
		for (i = 0; i < 4; i++) {
			uint64_t c = rg->desc[q[i].head].counter;

			if (c <= prev)
				break;
			prev = c;
		}
		CHECK(i == 4 && prev >= NREQ + 2 + 4, "counters grow in the order chains were "
		      "taken (last %llu)", (unsigned long long)prev);
	} else {
		uint8_t *q1 = map + stride();
		uint16_t used_idx = *(uint16_t *)(map + 16);
		uint16_t desc_num = *(uint16_t *)(map + 10);

		for (i = 0; i < QSIZE; i++)
			if (map[32 + 32 * i])
				break;
		CHECK(i == QSIZE && desc_num == QSIZE, "packed: no entry in flight after the requests");
		CHECK(used_idx == (NREQ + 2) * 3 % QSIZE, "packed: record's used index %u", used_idx);
		CHECK(q1[8] == 0, "queue 1's region untouched (its ring never started)");
	}

	hostile(&f, &h, rfd);
	if (packed)
		crash_and_recover_packed(&f, &h, map, rfd);
	else
		crash_and_recover(&f, &h, map, rfd);

	munmap(map, in.mmap_size);
	close(rfd);
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "disconnect reset the device");
	harness_close(&h);
	return 0;
}
