/* SPDX-License-Identifier: MIT */
/*
 * blk_file: a virtio-blk parent driver backed by a regular file or a block
 * device, with its I/O on io_uring (blk_file.c: creation and config;
 * blk_file_io.c: the datapath).
 *
 * Requests outlive a pass: each queue has its own ring and a fixed set of
 * request slots (one per ring entry the queue can have), each holding a
 * taken chain until its CQE arrives; its used entry is pushed then, in
 * completion order (out of order for split and packed rings alike). Every
 * ring signals one eventfd per device, the fd the worker watches through
 * attr.worker_fd, so one wake-up covers completions on any queue.
 */
#ifndef UVDPA_DEVICES_BLK_FILE_H
#define UVDPA_DEVICES_BLK_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>
#include <linux/virtio_blk.h>

#include "devices/runtime.h"

#define BF_SLOTS       VDPASIM_VQ_NUM_MAX        /* chains a queue can hold */
/*
 * Data segments offered. A driver sizes its requests by seg_max alone
 * (Linux does not cap it by the queue), while a chain may not be longer
 * than the queue it uses (the engine refuses it and stops the queue); the
 * config is read before the driver picks a queue size, so seg_max fits
 * QEMU's default vhost-user-blk queue of 128: header + 126 + status.
 */
#define BF_SEG_MAX     126
#define BF_SLOT_IOV    (VDPASIM_VQ_NUM_MAX + 8)  /* + descriptors split by the map */
#define BF_MAX_QUEUES  64
#define BF_SERIAL_MAX  VIRTIO_BLK_ID_BYTES

enum bf_op {
	BF_OP_READ,
	BF_OP_WRITE,
	BF_OP_FSYNC,
	BF_OP_FALLOC,
};

struct bf_req {
	struct uvdpa_chain c;
	struct iovec *data;             /* the request's data segments (in iov) */
	unsigned ndata;
	struct iovec *io;               /* what is left to transfer: data, or biov */
	unsigned nio;
	uint8_t *status;                /* the chain's last writable byte */
	uint64_t off;                   /* file offset of what remains */
	uint32_t left;                  /* data bytes that remain */
	uint32_t total;                 /* data bytes of the request */
	uint32_t written;               /* used length: data read + status byte */
	enum bf_op op;
	int fl_mode;                    /* BF_OP_FALLOC */
	uint64_t fl_len;
	/* O_DIRECT with guest buffers it cannot take: one aligned buffer of the
	 * slot's, grown on first need and kept (not the aligned fast path). */
	void *bounce;
	size_t bounce_cap;
	struct iovec biov;
	bool bounced;
	bool worker_op;                 /* counted in the queue's worker_ops */
	struct iovec iov[BF_SLOT_IOV];  /* the chain's segments */
};

struct bf_queue {
	struct io_uring ring;
	bool ring_up;
	bool fixed_file;                /* the backing is registered file 0 */
	struct bf_req *reqs;            /* BF_SLOTS */
	uint16_t *free;                 /* stack of free slot numbers */
	unsigned nfree;
	unsigned inflight;              /* slots holding a chain */
	unsigned worker_ops;            /* of them, done by io-wq workers */
	unsigned queued;                /* SQEs prepared, not submitted */
	bool pushed;                    /* used entries not flushed yet */
};

struct blk_file {
	struct devrt rt;               /* first */
	int fd;
	int efd;                        /* every ring's completion eventfd */
	bool read_only, direct;
	bool is_bdev;
	uint64_t capacity;              /* sectors */
	uint32_t blk_size;              /* logical block, bytes */
	uint8_t phys_exp;               /* physical block = blk_size << phys_exp */
	uint16_t min_io, num_queues;    /* min_io in blocks */
	uint32_t opt_io;                /* blocks */
	uint32_t discard_align;         /* sectors */
	uint32_t mem_align, off_align;  /* O_DIRECT: buffer and offset alignment */
	char path[4096];
	char serial[BF_SERIAL_MAX + 1];
	struct bf_queue *q;             /* num_queues */
};

static inline struct blk_file *rt_to_bf(struct devrt *s)
{
	return (struct blk_file *)s;
}

/* blk_file_io.c */
int bf_queues_open(struct blk_file *b, const char **msg);
void bf_queues_close(struct blk_file *b);
unsigned bf_work(struct devrt *s, bool *again);
int bf_worker_fd(struct devrt *s);
void bf_worker_fd_ready(struct devrt *s);
void bf_quiesce(struct devrt *s, int idx);

extern const struct uvdpa_mgmtdev blk_file_mgmtdev;

#endif
