/* SPDX-License-Identifier: MIT */
/*
 * libuvdpa virtio-blk driver (the userspace counterpart of the kernel's
 * virtio_blk on virtio_vdpa).
 *
 * Requests are submitted asynchronously on a queue and completed by
 * uvdpa_blk_poll / uvdpa_blk_wait, which call each request's callback with
 * its result. Data is copied through device-reachable buffers: a write's
 * data is copied at submission, a read's data into the caller's buffer just
 * before its callback runs; the zero-copy calls (uvdpa_blk_zbuf_get and
 * after) copy nothing. The synchronous helpers (uvdpa_blk_read, ...) split
 * large transfers, submit on queue 0 and wait.
 *
 * Addresses are in 512-byte sectors whatever the logical block size is, as
 * virtio-blk counts them. The driver does not check ranges: the device does,
 * and a request outside the disk fails with -EIO.
 *
 * Results: 0 on success; -EIO when the device answers VIRTIO_BLK_S_IOERR or
 * no valid status; -EOPNOTSUPP for VIRTIO_BLK_S_UNSUPP.
 *
 * Threading: one thread at a time per struct uvdpa_blk, except that the
 * per-queue calls (submit, submit_burst, poll, wait, set_poll, inflight) on
 * different queues may run at the same time, one thread per queue; on one
 * queue, one thread at a time. Everything else (open, close, the
 * synchronous helpers, which use queue 0) only while no per-queue call
 * runs. The zero-copy pool is shared by all queues and its buffers go back
 * to it when their requests complete: an application that uses it drives
 * all queues from one thread. Over vhost-user
 * with reconnect_ms set, a hang-up is handled by the waiting call that sees
 * it: use one thread for all queues then (a reconnect rewrites every ring's
 * state).
 */
#ifndef UVDPA_BLK_H
#define UVDPA_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uvdpa/virtio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvdpa_blk;

#define UVDPA_BLK_SECTOR_SIZE 512
#define UVDPA_BLK_QD_MAX      128    /* requests in flight per queue */
#define UVDPA_BLK_ID_BYTES    20     /* VIRTIO_BLK_ID_BYTES */

/* Features asked for in uvdpa_blk_opts.flags. */
#define UVDPA_BLK_PACKED    (1u << 0)   /* packed rings */
#define UVDPA_BLK_INDIRECT  (1u << 1)   /* indirect descriptors */
#define UVDPA_BLK_EVENT_IDX (1u << 2)   /* VIRTIO_F_EVENT_IDX */

struct uvdpa_blk_opts {
	uint16_t queue_size;    /* entries per queue; 0 = the device's maximum */
	uint16_t queue_depth;   /* requests in flight per queue; 0 = UVDPA_BLK_QD_MAX */
	uint16_t num_queues;    /* 0 or 1 = one; more needs VIRTIO_BLK_F_MQ */
	unsigned flags;         /* UVDPA_BLK_*: each one must be offered by the device */
	/* Zero-copy data pool (see uvdpa_blk_zbuf_get): how many buffers and
	 * the bytes of each (0 = 4096; a multiple of 512, at most 1 MiB).
	 * zbuf_count 0: no pool. */
	uint32_t zbuf_count;
	uint32_t zbuf_size;
};

/* Request types. */
enum uvdpa_blk_op {
	UVDPA_BLK_OP_READ,
	UVDPA_BLK_OP_WRITE,
	UVDPA_BLK_OP_FLUSH,
	UVDPA_BLK_OP_DISCARD,
	UVDPA_BLK_OP_WRITE_ZEROES,
	UVDPA_BLK_OP_GET_ID,
};

/* Flag of UVDPA_BLK_OP_WRITE_ZEROES: the device may deallocate the range. */
#define UVDPA_BLK_WZ_UNMAP 0x1u

struct uvdpa_blk_req {
	enum uvdpa_blk_op op;
	uint64_t sector;        /* READ, WRITE, DISCARD, WRITE_ZEROES */
	void *buf;              /* READ/WRITE data; GET_ID: UVDPA_BLK_ID_BYTES */
	size_t len;             /* READ/WRITE: multiple of 512, at most uvdpa_blk_max_transfer */
	uint32_t num_sectors;   /* DISCARD, WRITE_ZEROES */
	uint32_t flags;         /* WRITE_ZEROES: UVDPA_BLK_WZ_UNMAP */
};

/* Completion: res is 0 or a negative errno (see top). */
typedef void (*uvdpa_blk_cb)(void *opaque, int res);

/*
 * Initialises the device as a block device and starts its queues. opts NULL
 * means one queue of the device's maximum size, split rings, queue depth
 * UVDPA_BLK_QD_MAX, INDIRECT and EVENT_IDX if offered. Indirect descriptors
 * are used for a request when its chain is longer than 3 descriptors or the
 * ring is smaller than 3 * queue depth.
 *
 * Returns 0 and sets *out, or:
 *   -ENODEV      v is not a block device
 *   -EBUSY       a driver is already open on v
 *   -EOPNOTSUPP  a requested feature (or VIRTIO_F_VERSION_1) is not offered,
 *                or num_queues > 1 without VIRTIO_BLK_F_MQ
 *   -EINVAL      bad queue size or depth, more queues than the device has,
 *                or (zbuf_count set) a bad zbuf_size or zbuf_count above 65536
 *   -EIO         the device refused the features
 *   -ENOMEM      out of memory
 * On error the device is left reset (status ACKNOWLEDGE), ready for another try.
 */
int uvdpa_blk_open(struct uvdpa_virtio *v, const struct uvdpa_blk_opts *opts,
		   struct uvdpa_blk **out);

/*
 * Resets the device and frees everything. Requests still in flight are
 * dropped without their callbacks. NULL is accepted.
 */
void uvdpa_blk_close(struct uvdpa_blk *b);

/* Capacity in 512-byte sectors (config space). */
uint64_t uvdpa_blk_capacity(struct uvdpa_blk *b);
/* Logical block size in bytes (512 unless VIRTIO_BLK_F_BLK_SIZE says otherwise). */
uint32_t uvdpa_blk_block_size(struct uvdpa_blk *b);
/* Largest READ/WRITE one request may carry, in bytes. */
size_t uvdpa_blk_max_transfer(const struct uvdpa_blk *b);
/* Queues set up at open. */
unsigned uvdpa_blk_num_queues(const struct uvdpa_blk *b);

/*
 * Submits req on queue q; cb(opaque, res) runs later from uvdpa_blk_poll or
 * uvdpa_blk_wait (never from submit). req and, for WRITE, its data may be
 * reused as soon as this returns; a READ's or GET_ID's buf must stay valid
 * until the callback. Returns 0, or:
 *   -EINVAL      bad q, op, or READ/WRITE length (0, not a multiple of 512,
 *                above uvdpa_blk_max_transfer)
 *   -EOPNOTSUPP  FLUSH, DISCARD or WRITE_ZEROES and its feature is not negotiated
 *   -EAGAIN      queue depth reached (or ring full); complete some first
 */
int uvdpa_blk_submit(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *req,
		     uvdpa_blk_cb cb, void *opaque);

/*
 * Submits reqs[0..cnt-1] on queue q, in order, with one notification of the
 * device for all of them (uvdpa_blk_submit notifies once per request).
 * Request i completes as with uvdpa_blk_submit, with cb(opaques[i], res)
 * (opaques NULL: cb(NULL, res)). Buffers follow uvdpa_blk_submit's rules.
 *
 * Returns how many were submitted, from 0 (queue depth or ring full: -EAGAIN
 * is never returned) to cnt. A request that is refused (bad length, op or
 * feature) stops the burst there: if it is reqs[0], its error is returned
 * (-EINVAL, -EOPNOTSUPP as for uvdpa_blk_submit), otherwise the count before
 * it, and submitting it alone tells why. -EINVAL also for a bad q, or reqs
 * NULL with cnt > 0.
 */
int uvdpa_blk_submit_burst(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *reqs,
			   unsigned cnt, uvdpa_blk_cb cb, void *const *opaques);

/* Completes what the device has finished on queue q; returns how many. */
int uvdpa_blk_poll(struct uvdpa_blk *b, unsigned q);

/*
 * Completes requests on queue q until at least min_complete have completed
 * in this call or timeout_ms passes (-1: no limit). Returns the number
 * completed, -EINVAL for a bad q, the negative errno of poll(2), or over
 * vhost-user -ECONNRESET when the back end hung up and was not reconnected
 * to (uvdpa_vhost_user_opts.reconnect_ms in uvdpa/virtio.h; a reconnect
 * makes this wait longer instead). Requests the device finished before an
 * error are completed first: the call returns their count, and the error
 * at the next call.
 */
int uvdpa_blk_wait(struct uvdpa_blk *b, unsigned q, unsigned min_complete, int timeout_ms);

/*
 * Chooses how uvdpa_blk_wait (and the synchronous helpers, on queue 0)
 * learn that requests on queue q have completed:
 *   false  (the default) sleep on the queue's call eventfd, which the device
 *          signals; costs a wake-up per wait (tens of microseconds here);
 *   true   spin on the used ring with the device's notifications turned
 *          off: no wake-up and no eventfd write on either side, one core
 *          busy while waiting. A hung-up back end is still noticed (and
 *          reconnected to) within about a thousand spins.
 * Takes effect at the next wait. Returns 0, or -EINVAL for a bad q.
 */
int uvdpa_blk_set_poll(struct uvdpa_blk *b, unsigned q, bool poll);

/* Requests in flight on queue q. */
unsigned uvdpa_blk_inflight(const struct uvdpa_blk *b, unsigned q);

/*
 * Synchronous helpers on queue 0; they wait for the answer (-ETIMEDOUT
 * after 30 s without progress). len is any multiple of 512.
 */
int uvdpa_blk_read(struct uvdpa_blk *b, uint64_t sector, void *buf, size_t len);
int uvdpa_blk_write(struct uvdpa_blk *b, uint64_t sector, const void *buf, size_t len);
/* 0 at once if VIRTIO_BLK_F_FLUSH is absent: the device is then write-through. */
int uvdpa_blk_flush(struct uvdpa_blk *b);
int uvdpa_blk_discard(struct uvdpa_blk *b, uint64_t sector, uint32_t num_sectors);
int uvdpa_blk_write_zeroes(struct uvdpa_blk *b, uint64_t sector, uint32_t num_sectors,
			   uint32_t flags);
/* The device's serial, NUL-terminated (at most UVDPA_BLK_ID_BYTES characters). */
int uvdpa_blk_get_id(struct uvdpa_blk *b, char id[UVDPA_BLK_ID_BYTES + 1]);

/*
 * Zero-copy. The pool asked for in uvdpa_blk_opts holds buffers in the
 * memory the device sees (over vhost-user the memfd shared with the back
 * end, in process the device's map). A READ or WRITE submitted with
 * uvdpa_blk_submit_zc moves its data straight between the device and such
 * a buffer: no copy on either side of the call. A buffer is the
 * application's from uvdpa_blk_zbuf_get to uvdpa_blk_zbuf_put; while one
 * of its requests is in flight (submit to callback) it is lent to the
 * device: it must not be touched, put, or used by another request. The
 * pool is the device's, shared by all queues. Threading: as everything
 * else here, one thread at a time per struct uvdpa_blk.
 */

/*
 * Takes a free buffer: *buf gets its start and *cap (if not NULL) its size.
 * Returns 0, or -EOPNOTSUPP (no pool), -ENOBUFS (the application holds
 * every buffer), -EINVAL (buf NULL).
 */
int uvdpa_blk_zbuf_get(struct uvdpa_blk *b, void **buf, size_t *cap);

/*
 * Gives a buffer back to the pool. Returns 0, or -EINVAL (not the start of
 * a buffer of this device's pool, or already given back), or -EBUSY (a
 * request on it is in flight). An error changes nothing in the pool.
 */
int uvdpa_blk_zbuf_put(struct uvdpa_blk *b, void *buf);

/*
 * Submits a READ or WRITE whose req->buf lies in a pool buffer the
 * application holds, [buf, buf + len) inside that buffer (buf need not be
 * its start). A WRITE's data is read by the device from there, a READ's
 * data lands there: it is in place when cb(opaque, res) runs, and the
 * buffer is the application's again from then on. Otherwise as
 * uvdpa_blk_submit; errors:
 *   -EINVAL      bad q, op other than READ/WRITE, buf not in a held buffer
 *                (another pool, a free or lent buffer), the range overruns
 *                the buffer, or a bad length as for uvdpa_blk_submit
 *   -EAGAIN      queue depth reached (or ring full)
 */
int uvdpa_blk_submit_zc(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *req,
			uvdpa_blk_cb cb, void *opaque);

/*
 * uvdpa_blk_submit_zc for reqs[0..cnt-1], with one notification, counted
 * and stopped as uvdpa_blk_submit_burst. Two requests of one burst may not
 * share a buffer: the second is refused as the buffer is already lent.
 */
int uvdpa_blk_submit_zc_burst(struct uvdpa_blk *b, unsigned q, const struct uvdpa_blk_req *reqs,
			      unsigned cnt, uvdpa_blk_cb cb, void *const *opaques);

#ifdef __cplusplus
}
#endif
#endif
