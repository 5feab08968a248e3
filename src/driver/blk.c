// SPDX-License-Identifier: MIT
/*
 * virtio-blk driver (the kernel's virtio_blk.c without the block layer):
 * each request is a chain of header, data segments and status byte, built
 * in a per-request slot of device-reachable memory.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include <uvdpa/blk.h>
#include "driver/virtio_priv.h"
#include "driver/slot_fifo.h"
#include "driver/zbuf.h"

#define BIT(b) (1ULL << (b))

#define BLK_SEGS_MAX      128           /* data segments per request we build */
#define BLK_TRANSFER_MAX  (1u << 20)    /* bytes per request we allow */
#define BLK_SEG_DEFAULT   65536         /* segment size without SIZE_MAX */
#define BLK_SYNC_TIMEOUT  30000         /* ms without progress */
#define BLK_STATUS_NONE   0xff          /* no status written by the device */
#define BLK_ZC_SIZE_DEFAULT 4096

/* Slot layout: indirect table, then these small fields, then data. */
struct blk_slot_hdr {
	struct virtio_blk_outhdr out;
	struct virtio_blk_discard_write_zeroes range;
	uint8_t status;
};

struct blk_req_state {
	uvdpa_blk_cb cb;
	void *opaque;
	void *rbuf;         /* READ / GET_ID destination */
	size_t rlen;
	unsigned zbuf;      /* zero-copy: pool buffer + 1, lent to the device */
};

struct blk_queue {
	struct vdrv_vq vq;
	struct vdma mem;
	struct blk_req_state *reqs;
	struct slot_fifo free;
	unsigned nslots;
};

struct uvdpa_blk {
	struct uvdpa_virtio *v;
	uint64_t features;
	bool indirect;
	uint16_t qsize;
	unsigned qd;
	uint32_t seg_len;
	unsigned max_segs;
	size_t max_transfer;
	size_t table_size, hdr_off, data_off, stride;
	unsigned nq;
	struct blk_queue *qs;
	struct zbuf_pool zp;    /* zero-copy data buffers */
};

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

static uint8_t *slot_host(const struct uvdpa_blk *b, const struct blk_queue *q, unsigned s,
			  size_t off)
{
	return (uint8_t *)q->mem.host + (size_t)s * b->stride + off;
}

static uint64_t slot_iova(const struct uvdpa_blk *b, const struct blk_queue *q, unsigned s,
			  size_t off)
{
	return q->mem.iova + (uint64_t)s * b->stride + off;
}

static struct blk_slot_hdr *slot_hdr(const struct uvdpa_blk *b, const struct blk_queue *q,
				     unsigned s)
{
	return (struct blk_slot_hdr *)slot_host(b, q, s, b->hdr_off);
}

static int blk_read_cfg(struct uvdpa_blk *b, size_t off, void *buf, unsigned len)
{
	return uvdpa_virtio_read_config(b->v, (unsigned)off, buf, len);
}

uint64_t uvdpa_blk_capacity(struct uvdpa_blk *b)
{
	uint64_t cap = 0;

	blk_read_cfg(b, offsetof(struct virtio_blk_config, capacity), &cap, sizeof(cap));
	return le64toh(cap);
}

uint32_t uvdpa_blk_block_size(struct uvdpa_blk *b)
{
	uint32_t bs = 0;

	if (!vdrv_has(b->features, VIRTIO_BLK_F_BLK_SIZE) ||
	    blk_read_cfg(b, offsetof(struct virtio_blk_config, blk_size), &bs, sizeof(bs)))
		return UVDPA_BLK_SECTOR_SIZE;
	bs = le32toh(bs);
	return bs ? bs : UVDPA_BLK_SECTOR_SIZE;
}

size_t uvdpa_blk_max_transfer(const struct uvdpa_blk *b)
{
	return b->max_transfer;
}

unsigned uvdpa_blk_num_queues(const struct uvdpa_blk *b)
{
	return b->nq;
}

unsigned uvdpa_blk_inflight(const struct uvdpa_blk *b, unsigned q)
{
	return q < b->nq ? b->qs[q].nslots - b->qs[q].free.n : 0;
}

static int status_to_errno(uint8_t st)
{
	switch (st) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_UNSUPP:
		return -EOPNOTSUPP;
	default:        /* IOERR, or no status at all */
		return -EIO;
	}
}

/* Header and payload of req; returns the request type or -errno. */
static int blk_prepare(struct uvdpa_blk *b, const struct uvdpa_blk_req *req,
		       struct blk_slot_hdr *h)
{
	uint32_t type;

	h->out.ioprio = 0;
	h->out.sector = 0;
	switch (req->op) {
	case UVDPA_BLK_OP_READ:
	case UVDPA_BLK_OP_WRITE:
		if (!req->len || req->len % UVDPA_BLK_SECTOR_SIZE || req->len > b->max_transfer)
			return -EINVAL;
		type = req->op == UVDPA_BLK_OP_READ ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
		h->out.sector = htole64(req->sector);
		break;
	case UVDPA_BLK_OP_FLUSH:
		if (!vdrv_has(b->features, VIRTIO_BLK_F_FLUSH))
			return -EOPNOTSUPP;
		type = VIRTIO_BLK_T_FLUSH;
		break;
	case UVDPA_BLK_OP_GET_ID:
		type = VIRTIO_BLK_T_GET_ID;
		break;
	case UVDPA_BLK_OP_DISCARD:
	case UVDPA_BLK_OP_WRITE_ZEROES:
		if (req->op == UVDPA_BLK_OP_DISCARD ?
		    !vdrv_has(b->features, VIRTIO_BLK_F_DISCARD) :
		    !vdrv_has(b->features, VIRTIO_BLK_F_WRITE_ZEROES))
			return -EOPNOTSUPP;
		type = req->op == UVDPA_BLK_OP_DISCARD ? VIRTIO_BLK_T_DISCARD :
							 VIRTIO_BLK_T_WRITE_ZEROES;
		h->range.sector = htole64(req->sector);
		h->range.num_sectors = htole32(req->num_sectors);
		h->range.flags = htole32(req->op == UVDPA_BLK_OP_WRITE_ZEROES ?
					 req->flags & UVDPA_BLK_WZ_UNMAP : 0);
		break;
	default:
		return -EINVAL;
	}
	h->out.type = htole32(type);
	h->status = BLK_STATUS_NONE;
	return (int)type;
}

/* Builds the chain of slot s for a prepared request; returns its length. */
static unsigned blk_chain(struct uvdpa_blk *b, struct blk_queue *q, unsigned s, int type,
			  uint64_t data, size_t len, struct uvdpa_vq_buf *bufs)
{
	uint64_t hdr = slot_iova(b, q, s, b->hdr_off);
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	unsigned n = 0;
	size_t off;

	bufs[n++] = (struct uvdpa_vq_buf){ hdr, sizeof(struct virtio_blk_outhdr), false };
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES)
		bufs[n++] = (struct uvdpa_vq_buf){
			hdr + offsetof(struct blk_slot_hdr, range),
			sizeof(struct virtio_blk_discard_write_zeroes), false };
	for (off = 0; off < len; off += b->seg_len)
		bufs[n++] = (struct uvdpa_vq_buf){
			data + off,
			(uint32_t)(len - off < b->seg_len ? len - off : b->seg_len), in };
	bufs[n++] = (struct uvdpa_vq_buf){ hdr + offsetof(struct blk_slot_hdr, status), 1, true };
	return n;
}

/*
 * Puts one request on the ring, without notifying: 0, or why not. zc: the
 * data is in a pool buffer the application holds, which the device gets
 * instead of the slot's bounce area.
 */
static int blk_add(struct uvdpa_blk *b, struct blk_queue *bq, const struct uvdpa_blk_req *req,
		   uvdpa_blk_cb cb, void *opaque, bool zc)
{
	struct uvdpa_vq_buf bufs[BLK_SEGS_MAX + 3];
	struct blk_req_state *st;
	size_t len = 0;
	unsigned s, n;
	int type, err, zi = -1;
	uint64_t data;

	if (!req)
		return -EINVAL;
	if (zc) {
		if (req->op != UVDPA_BLK_OP_READ && req->op != UVDPA_BLK_OP_WRITE)
			return -EINVAL;
		zi = zbuf_find(&b->zp, req->buf, req->len, false);
		if (zi < 0)
			return zi;
	}
	if (!bq->free.n)
		return -EAGAIN;
	s = slot_fifo_peek(&bq->free);
	type = blk_prepare(b, req, slot_hdr(b, bq, s));
	if (type < 0)
		return type;
	if (req->op == UVDPA_BLK_OP_READ || req->op == UVDPA_BLK_OP_WRITE)
		len = req->len;
	else if (req->op == UVDPA_BLK_OP_GET_ID)
		len = UVDPA_BLK_ID_BYTES;
	if (zc)
		data = zbuf_iova_of(&b->zp, req->buf);
	else
		data = slot_iova(b, bq, s, b->data_off);
	if (req->op == UVDPA_BLK_OP_WRITE && !zc)
		memcpy(slot_host(b, bq, s, b->data_off), req->buf, len);
	n = blk_chain(b, bq, s, type, data, len, bufs);
	if (b->indirect && (n > 3 || b->qsize < 3 * b->qd))
		err = uvdpa_vq_drv_add_indirect(&bq->vq.drv, bufs, n, slot_host(b, bq, s, 0),
						slot_iova(b, bq, s, 0), (void *)(uintptr_t)(s + 1));
	else
		err = uvdpa_vq_drv_add(&bq->vq.drv, bufs, n, (void *)(uintptr_t)(s + 1));
	if (err)
		return -EAGAIN;
	slot_fifo_take(&bq->free);
	st = &bq->reqs[s];
	st->cb = cb;
	st->opaque = opaque;
	st->rbuf = !zc && (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID) ? req->buf : NULL;
	st->rlen = len;
	st->zbuf = zc ? (unsigned)zi + 1 : 0;
	if (zc)
		zbuf_lend(&b->zp, (unsigned)zi);
	return 0;
}

int uvdpa_blk_submit(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *req,
		     uvdpa_blk_cb cb, void *opaque)
{
	int err;

	if (q >= b->nq)
		return -EINVAL;
	err = blk_add(b, &b->qs[q], req, cb, opaque, false);
	if (!err)
		vdrv_vq_notify(b->v, &b->qs[q].vq);
	return err;
}

static int blk_burst(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *reqs,
		     unsigned cnt, uvdpa_blk_cb cb, void *const *opaques, bool zc)
{
	unsigned i;
	int err = 0;

	if (q >= b->nq || (cnt && !reqs))
		return -EINVAL;
	for (i = 0; i < cnt && !err; i++)
		err = blk_add(b, &b->qs[q], &reqs[i], cb, opaques ? opaques[i] : NULL, zc);
	if (err)
		i--;
	/* One publication, and one kick if the device wants it, for them all. */
	if (i)
		vdrv_vq_notify(b->v, &b->qs[q].vq);
	if (i == 0 && err != -EAGAIN)
		return err;
	return (int)i;
}

int uvdpa_blk_submit_burst(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *reqs,
			   unsigned cnt, uvdpa_blk_cb cb, void *const *opaques)
{
	return blk_burst(b, q, reqs, cnt, cb, opaques, false);
}

int uvdpa_blk_submit_zc(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *req,
			uvdpa_blk_cb cb, void *opaque)
{
	int err;

	if (q >= b->nq)
		return -EINVAL;
	err = blk_add(b, &b->qs[q], req, cb, opaque, true);
	if (!err)
		vdrv_vq_notify(b->v, &b->qs[q].vq);
	return err;
}

int uvdpa_blk_submit_zc_burst(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *reqs,
			      unsigned cnt, uvdpa_blk_cb cb, void *const *opaques)
{
	return blk_burst(b, q, reqs, cnt, cb, opaques, true);
}

int uvdpa_blk_zbuf_get(struct uvdpa_blk *b, void **buf, size_t *cap)
{
	if (!buf)
		return -EINVAL;
	return zbuf_get(&b->zp, buf, cap);
}

int uvdpa_blk_zbuf_put(struct uvdpa_blk *b, void *buf)
{
	return zbuf_put(&b->zp, buf);
}

/* One completion: the slot freed and the data buffer handed back before
 * the callback runs, as the callback may submit again. */
static void blk_complete(struct uvdpa_blk *b, struct blk_queue *bq, void *tok, uint32_t used)
{
	unsigned s = (unsigned)((uintptr_t)tok - 1);
	struct blk_req_state st = bq->reqs[s];
	int res = status_to_errno(slot_hdr(b, bq, s)->status);

	/* A status byte but no room for it in the used length means the
	 * device did not finish the request. */
	if (used < 1)
		res = -EIO;
	if (!res && st.rbuf)
		memcpy(st.rbuf, slot_host(b, bq, s, b->data_off), st.rlen);
	slot_fifo_put(&bq->free, s);
	if (st.zbuf)
		zbuf_return(&b->zp, st.zbuf - 1);
	if (st.cb)
		st.cb(st.opaque, res);
}

#define BLK_REAP_BURST 32

int uvdpa_blk_poll(struct uvdpa_blk *b, unsigned q)
{
	uint32_t used[BLK_REAP_BURST];
	void *tok[BLK_REAP_BURST];
	struct blk_queue *bq;
	unsigned got, i;
	int cnt = 0;

	if (q >= b->nq)
		return -EINVAL;
	bq = &b->qs[q];
	while ((got = uvdpa_vq_drv_get_used_burst(&bq->vq.drv, tok, used, BLK_REAP_BURST))) {
		for (i = 0; i < got; i++)
			blk_complete(b, bq, tok[i], used[i]);
		cnt += (int)got;
	}
	return cnt;
}

int uvdpa_blk_set_poll(struct uvdpa_blk *b, unsigned q, bool poll)
{
	if (q >= b->nq)
		return -EINVAL;
	b->qs[q].vq.poll = poll;
	/* Waits enable notifications only to sleep: a polled queue never asks. */
	uvdpa_vq_drv_disable_cb(&b->qs[q].vq.drv);
	return 0;
}

/*
 * A wait that ends on its deadline or an error: what the device finished
 * before is completed first, so an error (a back end gone for good) hides
 * no completion; it comes back at the next wait.
 */
static int blk_wait_end(struct uvdpa_blk *b, unsigned q, unsigned done, int err)
{
	done += (unsigned)uvdpa_blk_poll(b, q);
	return done || !err ? (int)done : err;
}

static int blk_spin(struct uvdpa_blk *b, unsigned q, unsigned min_complete, int64_t deadline)
{
	struct blk_queue *bq = &b->qs[q];
	unsigned done = 0;
	int r;

	for (;;) {
		done += (unsigned)uvdpa_blk_poll(b, q);
		if (done >= min_complete || bq->free.n == bq->nslots)
			return (int)done;
		r = vdrv_spin(&bq->vq, deadline);
		if (r <= 0)
			return blk_wait_end(b, q, done, r);
	}
}

int uvdpa_blk_wait(struct uvdpa_blk *b, unsigned q, unsigned min_complete, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : vdrv_now_ms() + timeout_ms;
	struct blk_queue *bq;
	unsigned done = 0;

	if (q >= b->nq)
		return -EINVAL;
	bq = &b->qs[q];
	if (bq->vq.poll)
		return blk_spin(b, q, min_complete, deadline);
	for (;;) {
		int r = uvdpa_blk_poll(b, q);

		done += (unsigned)r;
		if (done >= min_complete || bq->free.n == bq->nslots)
			return (int)done;
		if (uvdpa_vq_drv_enable_cb(&bq->vq.drv)) {
			uvdpa_vq_drv_disable_cb(&bq->vq.drv);
			continue;
		}
		r = vdrv_wait_call(&bq->vq, vdrv_left_ms(deadline));
		uvdpa_vq_drv_disable_cb(&bq->vq.drv);
		if (r <= 0)
			return blk_wait_end(b, q, done, r);
	}
}

/* ---- synchronous helpers ---- */

struct blk_sync {
	int res;
	unsigned pending;
};

static void blk_sync_done(void *opaque, int res)
{
	struct blk_sync *s = opaque;

	s->pending--;
	if (res && !s->res)
		s->res = res;
}

/* Forgets the callbacks of sync requests abandoned on a timeout. */
static void blk_sync_abandon(struct uvdpa_blk *b, struct blk_sync *s)
{
	struct blk_queue *bq = &b->qs[0];
	unsigned i;

	for (i = 0; i < bq->nslots; i++)
		if (bq->reqs[i].opaque == s) {
			bq->reqs[i].cb = NULL;
			bq->reqs[i].rbuf = NULL;
		}
}

/* Waits for one completion on queue 0; 0 or -ETIMEDOUT / poll's error. */
static int blk_sync_wait(struct uvdpa_blk *b, struct blk_sync *s)
{
	int r = uvdpa_blk_wait(b, 0, 1, BLK_SYNC_TIMEOUT);

	if (r <= 0) {
		blk_sync_abandon(b, s);
		return r < 0 ? r : -ETIMEDOUT;
	}
	return 0;
}

/* Submits req split into max_transfer pieces, then waits for all of them. */
static int blk_sync(struct uvdpa_blk *b, const struct uvdpa_blk_req *req)
{
	struct blk_sync s = { 0, 0 };
	size_t off = 0, total = req->len;
	bool data = req->op == UVDPA_BLK_OP_READ || req->op == UVDPA_BLK_OP_WRITE;
	bool submitted = false;
	int err;

	if (data && (total == 0 || total % UVDPA_BLK_SECTOR_SIZE))
		return -EINVAL;
	while (data ? off < total : !submitted) {
		struct uvdpa_blk_req r = *req;

		if (data) {
			r.len = total - off < b->max_transfer ? total - off : b->max_transfer;
			r.buf = (uint8_t *)req->buf + off;
			r.sector = req->sector + off / UVDPA_BLK_SECTOR_SIZE;
		}
		err = uvdpa_blk_submit(b, 0, &r, blk_sync_done, &s);
		if (err == -EAGAIN && uvdpa_blk_inflight(b, 0)) {
			/* Queue full (of ours or of async requests): make room. */
			err = blk_sync_wait(b, &s);
			if (err)
				return err;
			continue;
		}
		if (err) {
			s.res = s.res ? s.res : err;
			break;
		}
		s.pending++;
		submitted = true;
		if (data)
			off += r.len;
	}
	while (s.pending) {
		err = blk_sync_wait(b, &s);
		if (err)
			return err;
	}
	return s.res;
}

int uvdpa_blk_read(struct uvdpa_blk *b, uint64_t sector, void *buf, size_t len)
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_READ, .sector = sector,
				   .buf = buf, .len = len };

	return blk_sync(b, &r);
}

int uvdpa_blk_write(struct uvdpa_blk *b, uint64_t sector, const void *buf, size_t len)
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_WRITE, .sector = sector,
				   .buf = (void *)buf, .len = len };

	return blk_sync(b, &r);
}

int uvdpa_blk_flush(struct uvdpa_blk *b)
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_FLUSH };

	if (!vdrv_has(b->features, VIRTIO_BLK_F_FLUSH))
		return 0;
	return blk_sync(b, &r);
}

int uvdpa_blk_discard(struct uvdpa_blk *b, uint64_t sector, uint32_t num_sectors)
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_DISCARD, .sector = sector,
				   .num_sectors = num_sectors };

	return blk_sync(b, &r);
}

int uvdpa_blk_write_zeroes(struct uvdpa_blk *b, uint64_t sector, uint32_t num_sectors,
			   uint32_t flags)
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_WRITE_ZEROES, .sector = sector,
				   .num_sectors = num_sectors, .flags = flags };

	return blk_sync(b, &r);
}

int uvdpa_blk_get_id(struct uvdpa_blk *b, char id[UVDPA_BLK_ID_BYTES + 1])
{
	struct uvdpa_blk_req r = { .op = UVDPA_BLK_OP_GET_ID, .buf = id };
	int err;

	memset(id, 0, UVDPA_BLK_ID_BYTES + 1);
	err = blk_sync(b, &r);
	id[UVDPA_BLK_ID_BYTES] = '\0';
	return err;
}

/* ---- probe ---- */

static void blk_free(struct uvdpa_blk *b)
{
	struct uvdpa_virtio *v = b->v;
	unsigned i;

	for (i = 0; b->qs && i < b->nq; i++) {
		vdrv_vq_free(b->v, &b->qs[i].vq);
		vdrv_dma_free(b->v, &b->qs[i].mem);
		free(b->qs[i].reqs);
		slot_fifo_fini(&b->qs[i].free);
	}
	free(b->qs);
	zbuf_pool_fini(v, &b->zp);
	free(b);
	vdrv_dma_sync(v);
}

void uvdpa_blk_close(struct uvdpa_blk *b)
{
	if (!b)
		return;
	vdrv_remove(b->v);
	blk_free(b);
}

/*
 * Request geometry from the device's limits and the ring. A limit the
 * device offered but cannot tell (a vhost-user back end that refuses
 * GET_CONFIG) makes it unusable: -EIO rather than a guess.
 */
static int blk_geometry(struct uvdpa_blk *b)
{
	uint32_t seg_max = 1, size_max = BLK_SEG_DEFAULT;

	if (vdrv_has(b->features, VIRTIO_BLK_F_SEG_MAX)) {
		if (blk_read_cfg(b, offsetof(struct virtio_blk_config, seg_max), &seg_max, 4))
			return -EIO;
		seg_max = le32toh(seg_max);
	}
	if (vdrv_has(b->features, VIRTIO_BLK_F_SIZE_MAX)) {
		if (blk_read_cfg(b, offsetof(struct virtio_blk_config, size_max), &size_max, 4))
			return -EIO;
		size_max = le32toh(size_max);
	}
	if (seg_max == 0)
		seg_max = 1;
	if (seg_max > BLK_SEGS_MAX)
		seg_max = BLK_SEGS_MAX;
	/* Without indirect descriptors a request must fit in the ring. */
	if (!b->indirect && seg_max > b->qsize - 2u)
		seg_max = b->qsize - 2u;
	size_max = size_max > BLK_SEG_DEFAULT ? BLK_SEG_DEFAULT : size_max;
	size_max -= size_max % UVDPA_BLK_SECTOR_SIZE;
	if (size_max == 0)
		size_max = UVDPA_BLK_SECTOR_SIZE;
	while ((size_t)seg_max * size_max > BLK_TRANSFER_MAX)
		seg_max--;
	b->seg_len = size_max;
	b->max_segs = seg_max;
	b->max_transfer = (size_t)seg_max * size_max;
	/* The table takes header, range, segments and status. */
	b->table_size = round_up((b->max_segs + 3) * sizeof(struct vring_desc), 64);
	b->hdr_off = b->table_size;
	b->data_off = round_up(b->hdr_off + sizeof(struct blk_slot_hdr), 4096);
	b->stride = b->data_off + round_up(b->max_transfer, 4096);
	return 0;
}

static int blk_queue_setup(struct uvdpa_blk *b, struct blk_queue *q, uint16_t idx)
{
	int err;

	err = vdrv_vq_alloc(b->v, &q->vq, idx, b->qsize);
	if (err)
		return err;
	uvdpa_vq_drv_disable_cb(&q->vq.drv);    /* wait asks when it sleeps */
	q->nslots = b->qd;
	q->reqs = calloc(q->nslots, sizeof(*q->reqs));
	if (!q->reqs || slot_fifo_init(&q->free, q->nslots))
		return -ENOMEM;
	return vdrv_dma_alloc(b->v, q->nslots * b->stride, &q->mem);
}

static int blk_start(struct uvdpa_blk *b, const struct uvdpa_blk_opts *o)
{
	uint16_t max = vdrv_vq_max(b->v, 0), devq = 1;
	bool packed = vdrv_has(b->features, VIRTIO_F_RING_PACKED);
	size_t zsize;
	unsigned i;
	int err;

	b->qsize = o->queue_size ? o->queue_size : max;
	if (b->qsize < 2 || b->qsize > max || (!packed && (b->qsize & (b->qsize - 1))))
		return -EINVAL;
	b->qd = o->queue_depth ? o->queue_depth : UVDPA_BLK_QD_MAX;
	if (b->qd > UVDPA_BLK_QD_MAX)
		return -EINVAL;
	if (b->qd > b->qsize)
		b->qd = b->qsize;
	if (vdrv_has(b->features, VIRTIO_BLK_F_MQ)) {
		if (blk_read_cfg(b, offsetof(struct virtio_blk_config, num_queues), &devq, 2))
			return -EIO;
		devq = le16toh(devq);
	}
	b->nq = o->num_queues > 1 ? o->num_queues : 1;
	if (b->nq > devq || b->nq > uvdpa_virtio_num_queues(b->v))
		return -EINVAL;
	err = blk_geometry(b);
	if (err)
		return err;
	b->qs = calloc(b->nq, sizeof(*b->qs));
	if (!b->qs)
		return -ENOMEM;
	for (i = 0; i < b->nq; i++) {
		err = blk_queue_setup(b, &b->qs[i], (uint16_t)i);
		if (err)
			return err;
	}
	/* Carved now, the device learns of the pool with the rings. */
	zsize = o->zbuf_size ? o->zbuf_size : BLK_ZC_SIZE_DEFAULT;
	if (o->zbuf_count && zsize % UVDPA_BLK_SECTOR_SIZE)
		return -EINVAL;
	err = zbuf_pool_init(b->v, &b->zp, o->zbuf_count, zsize, 0);
	if (err)
		return err;
	for (i = 0; i < b->nq; i++) {
		err = vdrv_vq_enable(b->v, &b->qs[i].vq);
		if (err)
			return err;
	}
	return vdrv_driver_ok(b->v);
}

int uvdpa_blk_open(struct uvdpa_virtio *v, const struct uvdpa_blk_opts *opts,
		   struct uvdpa_blk **out)
{
	struct uvdpa_blk_opts o = { .flags = UVDPA_BLK_INDIRECT | UVDPA_BLK_EVENT_IDX };
	uint64_t asked = 0, wanted, required = BIT(VIRTIO_F_VERSION_1);
	struct uvdpa_blk *b;
	int err;

	if (opts)
		o = *opts;
	if (o.flags & UVDPA_BLK_PACKED)
		asked |= BIT(VIRTIO_F_RING_PACKED);
	if (o.flags & UVDPA_BLK_INDIRECT)
		asked |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (o.flags & UVDPA_BLK_EVENT_IDX)
		asked |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (opts)
		required |= asked;
	if (o.num_queues > 1)
		required |= BIT(VIRTIO_BLK_F_MQ);
	wanted = asked | BIT(VIRTIO_F_ACCESS_PLATFORM) | BIT(VIRTIO_BLK_F_SIZE_MAX) |
		 BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
		 BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_DISCARD) |
		 BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->v = v;
	err = vdrv_probe(v, VIRTIO_ID_BLOCK, wanted, required);
	if (err) {
		free(b);
		return err;
	}
	b->features = uvdpa_virtio_features(v);
	b->indirect = vdrv_has(b->features, VIRTIO_RING_F_INDIRECT_DESC);
	err = blk_start(b, &o);
	if (err) {
		/* Over vhost-user a dead connection is the cause, not its symptom. */
		err = vdrv_error(v, err);
		vdrv_fail(v);
		blk_free(b);
		return err;
	}
	*out = b;
	return 0;
}
