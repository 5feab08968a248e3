// SPDX-License-Identifier: MIT
/*
 * blk_file datapath: virtio-blk requests turned into io_uring operations on
 * the backing fd, straight from and into the chain's segments (guest
 * memory). A pass takes chains into free slots and submits once per queue;
 * completions are reaped at the start of each pass (no syscall) and when the
 * shared eventfd fires, and each pushes its used entry as it arrives.
 *
 * Bounds are sim_blk.c's: [sector, sector + ceil(bytes / 512)) must lie in
 * the capacity, computed without overflow, or the request fails with IOERR
 * before anything is submitted. Short transfers are resubmitted for the
 * rest; a transfer that makes no progress (end of a file that shrank) and
 * every error the kernel returns (EIO, ENOSPC, EFAULT ...) answer IOERR.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/falloc.h>

#include "devices/blk_discard.h"
#include "devices/blk_file.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE  (1u << SECTOR_SHIFT)
/* Largest O_DIRECT request with unaligned guest buffers (bounced). */
#define BF_BOUNCE_MAX (4u << 20)

static bool range_ok(const struct blk_file *b, uint64_t sector, uint64_t bytes)
{
	uint64_t count = (bytes >> SECTOR_SHIFT) + ((bytes & (SECTOR_SIZE - 1)) != 0);

	return sector <= b->capacity && count <= b->capacity - sector;
}

/* Drops bytes from the front of a segment list, in place. */
static void iov_advance(struct iovec **iov, unsigned *n, size_t bytes)
{
	while (*n && bytes >= (*iov)->iov_len) {
		bytes -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && bytes) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + bytes;
		(*iov)->iov_len -= bytes;
	}
}

/* Drops bytes from the back of a segment list, in place. */
static void iov_trim(struct iovec *iov, unsigned *n, size_t bytes)
{
	while (*n && bytes) {
		struct iovec *last = &iov[*n - 1];
		size_t k = bytes < last->iov_len ? bytes : last->iov_len;

		last->iov_len -= k;
		bytes -= k;
		if (!last->iov_len)
			(*n)--;
	}
}

static uint8_t *last_writable_byte(const struct uvdpa_chain *c)
{
	unsigned i = c->n_out + c->n_in;

	while (i > c->n_out) {
		const struct iovec *v = &c->iov[--i];

		if (v->iov_len)
			return (uint8_t *)v->iov_base + v->iov_len - 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */
/* ------------------------------------------------------------------ */

static struct bf_req *slot_take(struct bf_queue *q)
{
	q->inflight++;
	return &q->reqs[q->free[--q->nfree]];
}

static void slot_put(struct bf_queue *q, struct bf_req *req)
{
	if (req->worker_op) {
		req->worker_op = false;
		q->worker_ops--;
	}
	q->free[q->nfree++] = (uint16_t)(req - q->reqs);
	q->inflight--;
}

/* Answers the driver. A queue that is not set up any more has no ring to
 * answer in (quiesce makes that impossible while requests are in flight). */
static void req_finish(struct bf_queue *q, struct devrt_vq *vq, struct bf_req *req, uint8_t st)
{
	if (vq->set_up) {
		if (req->status)
			*req->status = st;
		uvdpa_vq_dev_push(&vq->dev, &req->c, req->written);
		q->pushed = true;
	}
	slot_put(q, req);
}

/* ------------------------------------------------------------------ */
/* Submission                                                          */
/* ------------------------------------------------------------------ */

static bool req_prep(struct bf_queue *q, int fd, struct bf_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) {
		/* Cannot happen (one SQE per slot, as many entries as slots);
		 * flush what is queued rather than fail a request. */
		io_uring_submit(&q->ring);
		q->queued = 0;
		sqe = io_uring_get_sqe(&q->ring);
		if (!sqe)
			return false;
	}
	/* The registered file (index 0) spares a file lookup per request. */
	if (q->fixed_file)
		fd = 0;
	/* One segment (nearly every request, and every bounced one): the
	 * plain opcodes spare the kernel importing an iovec, as fio does. */
	switch (req->op) {
	case BF_OP_READ:
		if (req->nio == 1)
			io_uring_prep_read(sqe, fd, req->io[0].iov_base,
					   (unsigned)req->io[0].iov_len, req->off);
		else
			io_uring_prep_readv(sqe, fd, req->io, req->nio, req->off);
		break;
	case BF_OP_WRITE:
		if (req->nio == 1)
			io_uring_prep_write(sqe, fd, req->io[0].iov_base,
					    (unsigned)req->io[0].iov_len, req->off);
		else
			io_uring_prep_writev(sqe, fd, req->io, req->nio, req->off);
		break;
	case BF_OP_FSYNC:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BF_OP_FALLOC:
		io_uring_prep_fallocate(sqe, fd, req->fl_mode, req->off, req->fl_len);
		break;
	}
	if (q->fixed_file)
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	io_uring_sqe_set_data(sqe, req);
	q->queued++;
	return true;
}

static bool iov_aligned(const struct iovec *v, unsigned n, uint32_t align)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (((uintptr_t)v[i].iov_base | v[i].iov_len) & (align - 1))
			return false;
	return true;
}

static void iov_gather(const struct iovec *v, unsigned n, uint8_t *dst)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		memcpy(dst, v[i].iov_base, v[i].iov_len);
		dst += v[i].iov_len;
	}
}

static void iov_scatter(const struct iovec *v, unsigned n, const uint8_t *src)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		memcpy(v[i].iov_base, src, v[i].iov_len);
		src += v[i].iov_len;
	}
}

/*
 * O_DIRECT takes file offsets and lengths in whole logical blocks (refused:
 * the driver was told blk_size) and buffers at the file system's memory
 * alignment; guest buffers that miss it go through the slot's bounce buffer.
 */
static uint8_t direct_setup(struct blk_file *b, struct bf_req *req)
{
	size_t align = b->mem_align > 4096 ? b->mem_align : 4096;

	if ((req->off | req->total) & (b->off_align - 1))
		return VIRTIO_BLK_S_IOERR;
	if (iov_aligned(req->data, req->ndata, b->mem_align))
		return VIRTIO_BLK_S_OK;
	/* A driver must not make the device allocate without bound. */
	if (req->total > BF_BOUNCE_MAX)
		return VIRTIO_BLK_S_IOERR;
	if (req->bounce_cap < req->total) {
		void *p = NULL;

		if (posix_memalign(&p, align, req->total))
			return VIRTIO_BLK_S_IOERR;
		free(req->bounce);
		req->bounce = p;
		req->bounce_cap = req->total;
	}
	req->bounced = true;
	req->biov.iov_base = req->bounce;
	req->biov.iov_len = req->total;
	req->io = &req->biov;
	req->nio = 1;
	if (req->op == BF_OP_WRITE)
		iov_gather(req->data, req->ndata, req->bounce);
	return VIRTIO_BLK_S_OK;
}

/* IN / OUT: the data segments are the chain's, minus header or status. */
static uint8_t rw_setup(struct blk_file *b, struct bf_req *req, uint32_t type, uint64_t sector)
{
	struct uvdpa_chain *c = &req->c;

	if (type == VIRTIO_BLK_T_IN) {
		req->op = BF_OP_READ;
		req->data = &c->iov[c->n_out];
		req->ndata = c->n_in;
		req->total = c->in_len - 1;
		iov_trim(req->data, &req->ndata, 1);
	} else {
		if (b->read_only)
			return VIRTIO_BLK_S_IOERR;
		req->op = BF_OP_WRITE;
		req->data = c->iov;
		req->ndata = c->n_out;
		req->total = c->out_len - sizeof(struct virtio_blk_outhdr);
		iov_advance(&req->data, &req->ndata, sizeof(struct virtio_blk_outhdr));
	}
	if (!range_ok(b, sector, req->total))
		return VIRTIO_BLK_S_IOERR;
	req->off = sector << SECTOR_SHIFT;
	req->left = req->total;
	req->io = req->data;
	req->nio = req->ndata;
	return b->direct ? direct_setup(b, req) : VIRTIO_BLK_S_OK;
}

/* DISCARD / WRITE_ZEROES: one 16-byte range after the header (seg max 1). */
static uint8_t falloc_setup(struct blk_file *b, struct bf_req *req, uint32_t type)
{
	uint64_t sector, bytes;
	uint32_t flags;
	uint8_t st = blk_discard_range(&req->c, type, &sector, &bytes, &flags);

	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (b->read_only || !range_ok(b, sector, bytes))
		return VIRTIO_BLK_S_IOERR;
	req->op = BF_OP_FALLOC;
	req->off = sector << SECTOR_SHIFT;
	req->fl_len = bytes;
	/* Punched ranges read as zeroes, so unmap may deallocate. */
	req->fl_mode = type == VIRTIO_BLK_T_WRITE_ZEROES && !(flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ?
		       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE :
		       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	return VIRTIO_BLK_S_OK;
}

/* GET_ID: answered at once; the serial is NUL-padded, not terminated at 20. */
static void get_id(struct blk_file *b, struct bf_req *req)
{
	char id[VIRTIO_BLK_ID_BYTES] = { 0 };
	size_t n = req->c.in_len - 1;

	memcpy(id, b->serial, strnlen(b->serial, sizeof(id)));
	req->written += (uint32_t)uvdpa_chain_write(&req->c, 0, id, n < sizeof(id) ? n : sizeof(id));
}

/* The request header; false if the chain has none. Drivers put it in a
 * descriptor of its own, so the walk through segments is rarely needed. */
static bool req_header(const struct uvdpa_chain *c, struct virtio_blk_outhdr *h)
{
	if (c->n_out && c->iov[0].iov_len >= sizeof(*h)) {
		memcpy(h, c->iov[0].iov_base, sizeof(*h));
		return true;
	}
	return uvdpa_chain_read(c, 0, h, sizeof(*h)) == sizeof(*h);
}

/*
 * Parses a taken chain. Returns true if it went to the ring; otherwise *st
 * is the answer to give at once.
 */
static bool req_start(struct blk_file *b, struct bf_queue *q, struct bf_req *req, uint8_t *st)
{
	struct uvdpa_chain *c = &req->c;
	struct virtio_blk_outhdr h;
	uint64_t sector;
	uint32_t type;

	req->bounced = false;
	req->written = 1;
	req->status = c->in_len >= 1 ? last_writable_byte(c) : NULL;
	/* No header or no status byte: nothing can be answered. */
	if (!req->status || !req_header(c, &h)) {
		req->status = NULL;
		req->written = 0;
		*st = VIRTIO_BLK_S_IOERR;
		return false;
	}
	type = le32toh(h.type);
	sector = le64toh(h.sector);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		*st = rw_setup(b, req, type, sector);
		if (*st == VIRTIO_BLK_S_OK && req->total == 0)
			return false;
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* As sim_blk (and the kernel): these carry no sector. */
		if (sector != 0) {
			*st = VIRTIO_BLK_S_IOERR;
			return false;
		}
		*st = VIRTIO_BLK_S_OK;
		if (type == VIRTIO_BLK_T_GET_ID) {
			get_id(b, req);
			return false;
		}
		if (type == VIRTIO_BLK_T_FLUSH)
			req->op = BF_OP_FSYNC;
		else
			*st = falloc_setup(b, req, type);
		if (*st == VIRTIO_BLK_S_OK && req->op == BF_OP_FALLOC && req->fl_len == 0)
			return false;
		break;
	default:
		*st = VIRTIO_BLK_S_UNSUPP;
		return false;
	}
	if (*st != VIRTIO_BLK_S_OK)
		return false;
	if (!req_prep(q, b->fd, req)) {
		*st = VIRTIO_BLK_S_IOERR;
		return false;
	}
	/* The kernel cannot do these inline: they go to its io-wq workers
	 * (buffered writes on ext4, fsync, fallocate). */
	if ((req->op == BF_OP_WRITE && !b->direct) || req->op == BF_OP_FSYNC ||
	    req->op == BF_OP_FALLOC) {
		req->worker_op = true;
		q->worker_ops++;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

/* A read or write moved res bytes: done, resubmitted for the rest, or failed. */
static int rw_progress(struct blk_file *b, struct bf_queue *q, struct bf_req *req, int res)
{
	if (res < 0 || (res == 0 && req->left))
		return VIRTIO_BLK_S_IOERR;
	if ((uint32_t)res < req->left) {
		iov_advance(&req->io, &req->nio, (size_t)res);
		req->off += (uint32_t)res;
		req->left -= (uint32_t)res;
		return req_prep(q, b->fd, req) ? -1 : VIRTIO_BLK_S_IOERR;
	}
	req->left = 0;
	if (req->op == BF_OP_READ) {
		if (req->bounced)
			iov_scatter(req->data, req->ndata, req->bounce);
		req->written += req->total;
	}
	return VIRTIO_BLK_S_OK;
}

/* Returns the status, or -1 while the request goes on. */
static int cqe_status(struct blk_file *b, struct bf_queue *q, struct bf_req *req, int res)
{
	switch (req->op) {
	case BF_OP_READ:
	case BF_OP_WRITE:
		return rw_progress(b, q, req, res);
	case BF_OP_FALLOC:
		/* A file system without ZERO_RANGE (tmpfs) still punches holes,
		 * which read as zeroes too. */
		if (res == -EOPNOTSUPP && (req->fl_mode & FALLOC_FL_ZERO_RANGE)) {
			req->fl_mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
			return req_prep(q, b->fd, req) ? -1 : VIRTIO_BLK_S_IOERR;
		}
		if (res == -EOPNOTSUPP)
			return VIRTIO_BLK_S_UNSUPP;
		return res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case BF_OP_FSYNC:
	default:
		return res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	}
}

static void queue_submit(struct bf_queue *q)
{
	if (q->queued) {
		io_uring_submit(&q->ring);
		q->queued = 0;
	}
}

/* Mutex held. Takes every CQE there is (no syscall but the resubmission);
 * returns how many requests it answered. */
static unsigned queue_reap(struct devrt *s, unsigned i)
{
	struct blk_file *b = rt_to_bf(s);
	struct bf_queue *q = &b->q[i];
	struct devrt_vq *vq = &s->vqs[i];
	struct io_uring_cqe *cqe;
	unsigned head, n = 0, answered = 0;

	if (!q->inflight)
		return 0;
	io_uring_for_each_cqe(&q->ring, head, cqe) {
		struct bf_req *req = io_uring_cqe_get_data(cqe);
		int st = cqe_status(b, q, req, cqe->res);

		n++;
		if (st >= 0) {
			req_finish(q, vq, req, (uint8_t)st);
			answered++;
		}
	}
	io_uring_cq_advance(&q->ring, n);
	queue_submit(q);
	if (q->pushed) {
		q->pushed = false;
		devrt_flush(s, vq);
	}
	return answered;
}

/* ------------------------------------------------------------------ */
/* Worker hooks                                                        */
/* ------------------------------------------------------------------ */

static unsigned queue_work(struct devrt *s, unsigned i, bool *again)
{
	struct blk_file *b = rt_to_bf(s);
	struct bf_queue *q = &b->q[i];
	struct devrt_vq *vq = &s->vqs[i];
	unsigned done, answered;

	/* Completions count as work: a polling worker keeps polling while
	 * I/O comes back instead of sleeping between submission and CQE. */
	answered = queue_reap(s, i);
	for (done = 0; done < VDPASIM_BURST && q->nfree; done++) {
		struct bf_req *req = slot_take(q);
		uint8_t st;
		int r;

		memset(&req->c, 0, sizeof(req->c));
		req->c.iov = req->iov;
		req->c.iov_cap = BF_SLOT_IOV;
		r = devrt_pop(s, vq, &req->c);
		if (r == 0 || r == -EIO) {
			slot_put(q, req);
			break;
		}
		if (r == -E2BIG) {
			/* Segments unknown: answered empty, as sim_blk does. */
			req->status = NULL;
			req->written = 0;
			req_finish(q, vq, req, VIRTIO_BLK_S_IOERR);
			continue;
		}
		if (!req_start(b, q, req, &st))
			req_finish(q, vq, req, st);
	}
	queue_submit(q);
	if (q->pushed) {
		q->pushed = false;
		devrt_flush(s, vq);
	}
	if (done == VDPASIM_BURST)
		*again = true;
	return done + answered;
}

unsigned bf_work(struct devrt *s, bool *again)
{
	struct blk_file *b = rt_to_bf(s);
	unsigned i, done = 0, waiting = 0;

	for (i = 0; i < s->attr.nvqs; i++)
		if (devrt_vq_usable(&s->vqs[i]))
			done += queue_work(s, i, again);
	for (i = 0; !done && s->poll != UVDPA_POLL_OFF && i < b->num_queues; i++)
		waiting += b->q[i].worker_ops;
	/*
	 * A polling pass that found nothing while io-wq workers have requests
	 * of ours: they may be waiting for this core (a back end pinned to one
	 * core), so let them run rather than spin past them. Requests the
	 * kernel completes by itself (reads, O_DIRECT) are not waited for so:
	 * the core would go to whatever else runs, late to see them done.
	 */
	if (waiting)
		sched_yield();
	return done;
}

int bf_worker_fd(struct devrt *s)
{
	return rt_to_bf(s)->efd;
}

void bf_worker_fd_ready(struct devrt *s)
{
	uint64_t v;
	unsigned i;

	if (read(rt_to_bf(s)->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	for (i = 0; i < s->attr.nvqs; i++)
		queue_reap(s, i);
}

/* Mutex held: blocks until queue i has nothing in flight. */
static void queue_drain(struct devrt *s, unsigned i)
{
	struct bf_queue *q = &rt_to_bf(s)->q[i];

	queue_submit(q);
	while (q->inflight) {
		struct io_uring_cqe *cqe;
		int r = io_uring_wait_cqe(&q->ring, &cqe);

		if (r < 0 && r != -EINTR && r != -EAGAIN) {
			fprintf(stderr, "uvdpa: %s: vq %u: waiting for I/O: %s\n",
				s->vdev.name ? s->vdev.name : "blk_file", i, strerror(-r));
			return;
		}
		queue_reap(s, i);
	}
}

void bf_quiesce(struct devrt *s, int idx)
{
	struct blk_file *b = rt_to_bf(s);
	unsigned i;

	if (!b->q)
		return;
	if (idx >= 0) {
		if ((unsigned)idx < b->num_queues)
			queue_drain(s, (unsigned)idx);
		return;
	}
	for (i = 0; i < b->num_queues; i++)
		queue_drain(s, i);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int queue_open(struct bf_queue *q, int efd, int fd)
{
	unsigned i;
	int r;

	q->reqs = calloc(BF_SLOTS, sizeof(*q->reqs));
	q->free = calloc(BF_SLOTS, sizeof(*q->free));
	if (!q->reqs || !q->free)
		return -ENOMEM;
	for (i = 0; i < BF_SLOTS; i++)
		q->free[i] = (uint16_t)(BF_SLOTS - 1 - i);
	q->nfree = BF_SLOTS;
	r = io_uring_queue_init(BF_SLOTS, &q->ring, 0);
	if (r)
		return r;
	q->ring_up = true;
	/* Without it (a kernel or a limit that refuses) requests name the fd. */
	q->fixed_file = io_uring_register_files(&q->ring, &fd, 1) == 0;
	return io_uring_register_eventfd(&q->ring, efd);
}

int bf_queues_open(struct blk_file *b, const char **msg)
{
	unsigned i;
	int r;

	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0)
		return -errno;
	b->q = calloc(b->num_queues, sizeof(*b->q));
	if (!b->q)
		return -ENOMEM;
	for (i = 0; i < b->num_queues; i++) {
		r = queue_open(&b->q[i], b->efd, b->fd);
		if (r) {
			if (msg && r != -ENOMEM)
				*msg = "cannot set up io_uring (kernel without it, or not allowed)";
			return r;
		}
	}
	return 0;
}

void bf_queues_close(struct blk_file *b)
{
	unsigned i, j;

	for (i = 0; b->q && i < b->num_queues; i++) {
		struct bf_queue *q = &b->q[i];

		if (q->ring_up)
			io_uring_queue_exit(&q->ring);
		for (j = 0; q->reqs && j < BF_SLOTS; j++)
			free(q->reqs[j].bounce);
		free(q->reqs);
		free(q->free);
	}
	free(b->q);
	b->q = NULL;
	if (b->efd >= 0)
		close(b->efd);
	b->efd = -1;
}
