/* SPDX-License-Identifier: MIT */
/*
 * Virtqueue engine: split and packed rings (virtio 1.2 §2.7, §2.8), from the
 * device side (take chains, publish used entries, decide notifications) and
 * from the driver side (add chains, decide kicks, reclaim used entries).
 *
 * Device side safety contract: every address the driver wrote (descriptor
 * table, indirect tables, buffers) is translated through the memory map and
 * refused if any byte is outside it or lacks the needed access. A chain that
 * loops, is longer than the queue size, puts a readable descriptor after a
 * writable one, nests indirect tables, has an indirect table whose length is
 * not a multiple of 16 or is 0, or an avail index that jumps more than the
 * queue size ahead, marks the queue broken: the pop returns -EIO and keeps
 * returning it until the queue is set up again. Nothing is written to the
 * driver's memory for a refused chain. Also refused (spec MUSTs): an
 * INDIRECT descriptor with NEXT set, or without VIRTIO_F_INDIRECT_DESC
 * negotiated (l.indirect); more buffer descriptors in one chain, indirect
 * entries included, than the queue size. An indirect table must lie in one
 * region. Zero-length descriptors carry no buffer and are never translated;
 * a chain made only of them (zero bytes in all) is refused like the above.
 *
 * Kick-driven workers call uvdpa_vq_dev_enable_kicks before sleeping and
 * re-check when it returns true (with event idx, avail_event moves only there).
 *
 * Concurrency: a struct uvdpa_vq_dev is used by one thread at a time (the
 * device worker); a struct uvdpa_vq_drv likewise by one driver thread.
 */
#ifndef UVDPA_VIRTIO_VQ_H
#define UVDPA_VIRTIO_VQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>
#include <uvdpa/device.h>

/* Largest queue the engine accepts (virtio: 32768; packed: also 32768). */
#define UVDPA_VQ_MAX_NUM 32768

struct uvdpa_vq_layout {
	uint16_t num;          /* queue size: power of 2 for split, any <= 32768 for packed */
	bool packed;
	bool event_idx;        /* VIRTIO_F_EVENT_IDX / RING_EVENT_IDX negotiated */
	bool indirect;         /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool in_order;         /* VIRTIO_F_IN_ORDER negotiated: the caller uses
	                        * chains in the order popped (packed: a burst of
	                        * chains nothing was written to takes one used
	                        * descriptor: the spec's in-order use of
	                        * descriptors) */
	uint64_t desc;         /* IOVA of descriptor area */
	uint64_t driver;       /* IOVA of driver area (split: avail; packed: driver event) */
	uint64_t device;       /* IOVA of device area (split: used; packed: device event) */
};

/* Bytes each area takes for a queue of num entries (split: the 2-byte
 * used_event / avail_event words count only when event_idx is set). */
uint64_t uvdpa_vq_desc_size(uint16_t num, bool packed);
uint64_t uvdpa_vq_driver_size(uint16_t num, bool packed, bool event_idx);
uint64_t uvdpa_vq_device_size(uint16_t num, bool packed, bool event_idx);

/* ================================================================== */
/* Device side                                                         */
/* ================================================================== */

/*
 * One descriptor chain, as host memory segments: iov[0 .. n_out) are
 * device-readable (driver -> device), iov[n_out .. n_out + n_in) are
 * device-writable. The caller provides iov storage of iov_cap entries; a
 * chain needing more segments is refused with -E2BIG (queue not broken: the
 * caller may complete it with an error). A descriptor that spans two map
 * regions becomes two segments.
 */
struct uvdpa_chain {
	struct iovec *iov;
	uint32_t iov_cap;
	uint32_t n_out, n_in;
	uint32_t out_len, in_len;     /* total bytes readable / writable */
	uint16_t id;                  /* split: head index; packed: buffer id */
	uint16_t ndesc;               /* ring slots the chain took (packed) */
	/* set by the engine when an inflight area is attached (see below) */
	uint16_t slot;                /* packed: area entry of the chain's head */
	bool resubmitted;             /* taken again from the area, not the ring */
};

struct uvdpa_vq_dev {
	struct uvdpa_vq_layout l;
	const struct uvdpa_memmap *map;
	/* the map region the last buffer lay in: chains of one driver mostly
	 * lie in one region, so most walks start without a search (reset with
	 * map; only ever an entry below map->n) */
	const struct uvdpa_map_region *hint;
	bool broken;                  /* set on a protocol violation */
	/* split ring host pointers */
	struct vring_desc *sdesc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* packed ring host pointers */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *drv_event;   /* written by the driver */
	struct vring_packed_desc_event *dev_event;   /* written by the device */
	/* device state */
	uint16_t last_avail_idx;      /* split: free-running; packed: ring index */
	uint16_t shadow_avail_idx;    /* split: avail->idx as last read (one load per batch) */
	bool avail_wrap;              /* packed */
	uint16_t used_idx;            /* split: free-running shadow of used->idx; packed: ring index */
	bool used_wrap;               /* packed */
	uint16_t signalled_used;      /* used idx at last notification (event idx) */
	bool signalled_used_valid;
	uint16_t pending;             /* used entries written but not yet published */
	/* packed: first used slot of the current batch and its flags, written last */
	uint16_t batch_head_idx;
	uint16_t batch_head_flags;
	bool batch_head_pending;
	/* inflight tracking (NULL: off; see uvdpa_vq_dev_set_inflight) */
	void *inflight;
	struct uvdpa_vq_resubmit *resubmit;   /* the caller's scratch */
	uint16_t resubmit_n, resubmit_pos;    /* chains to take again, next one */
	uint64_t inflight_counter;            /* order in which chains were taken */
	/* packed: chains completed in this batch, put back on the area's free
	 * list only when the batch is published (so no pop reuses them first) */
	uint16_t pend_head, pend_last, pend_n;
};

/*
 * Translates and checks the ring areas (each must lie in one region, with
 * read access for driver-written parts and write access for device-written
 * parts) and starts from state *s (NULL = index 0, wrap counters 1).
 * Returns 0 or -EINVAL / -EFAULT.
 */
int uvdpa_vq_dev_setup(struct uvdpa_vq_dev *vq, const struct uvdpa_vq_layout *l,
		       const struct uvdpa_memmap *map, const struct uvdpa_vq_state *s);
/* Re-translates the ring areas after a map change, keeping the state. */
int uvdpa_vq_dev_remap(struct uvdpa_vq_dev *vq, const struct uvdpa_memmap *map);

/* 1: a chain was taken; 0: ring empty; -EIO: ring broken (see top);
 * -E2BIG: chain has more segments than c->iov_cap (chain consumed, complete it). */
int uvdpa_vq_dev_pop(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c);
/*
 * Takes up to n chains into c[0 .. n) (each with its iov and iov_cap set),
 * reading the avail index (split) at most once: returns how many were
 * taken, res[i] being pop's result for c[i] (1 or -E2BIG). Fewer than n
 * means the ring ran empty or broke (chains taken before that stay valid);
 * 0 and a broken queue: -EIO. Nothing is held back for a later call: every
 * chain taken is returned now. Same checks as pop; does not re-arm kicks.
 */
int uvdpa_vq_dev_pop_burst(struct uvdpa_vq_dev *vq, struct uvdpa_chain *c, int *res,
			   unsigned n);
/* True if the driver has made chains available that are not taken yet. */
bool uvdpa_vq_dev_has_avail(const struct uvdpa_vq_dev *vq);

/* Records a used entry (written bytes); not visible to the driver until flush. */
void uvdpa_vq_dev_push(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c, uint32_t written);
/* push of n chains, each with the same written count (one call per burst). */
void uvdpa_vq_dev_push_burst(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c,
			     unsigned n, uint32_t written);
/* Publishes all pushed entries (one index / flags store with release order).
 * Returns true if the driver must be notified (event-idx or flags rules). */
bool uvdpa_vq_dev_flush(struct uvdpa_vq_dev *vq);

/* Asks the driver for / tells it to stop kicks (poll mode). After enabling,
 * returns true if chains arrived meanwhile (re-check before sleeping). */
bool uvdpa_vq_dev_enable_kicks(struct uvdpa_vq_dev *vq);
void uvdpa_vq_dev_disable_kicks(struct uvdpa_vq_dev *vq);

/* State for GET_VRING_BASE / migration. */
void uvdpa_vq_dev_get_state(const struct uvdpa_vq_dev *vq, struct uvdpa_vq_state *s);

/*
 * Gives back the chain taken last (not pushed): the next pop returns it
 * again. Call newest first to give back several.
 */
void uvdpa_vq_dev_unpop(struct uvdpa_vq_dev *vq, const struct uvdpa_chain *c);

/*
 * Inflight tracking (vhost-user INFLIGHT_SHMFD, "Inflight I/O tracking" in
 * the vhost-user spec). The device records in an area shared with the
 * driver's side which chains it has taken and not completed yet: split, a
 * 16-byte header {features, version, desc_num, last_batch_head, used_idx}
 * and one 16-byte entry per descriptor {inflight, next, counter}; packed, a
 * 32-byte header (free list, used index and wrap counter, each with its
 * last published value) and one 32-byte entry per ring slot holding a copy
 * of the descriptor. Taking a chain marks it; publishing its used entry
 * clears it, in the spec's order, so that a device that dies at any point
 * leaves a record the next one can repair.
 *
 * Attaching an area that holds such a record (a previous run, version 1)
 * repairs its last batch, makes the queue continue where the record says
 * (split: last_avail = used->idx + chains inflight; packed: used index and
 * wrap from the record, avail = used + slots inflight) and hands the chains
 * still inflight out again, oldest first, before any new chain. A zeroed
 * area (version 0) is initialized from the queue's current state.
 *
 * Every index read from the area is bounded: a driver that scribbles on it
 * can lose its own requests, never make the device touch memory outside.
 */
struct uvdpa_vq_resubmit {
	uint64_t counter;
	uint16_t idx;                 /* split: head index; packed: area entry */
};

/* Bytes the area of one queue of num entries takes. */
size_t uvdpa_vq_inflight_size(uint16_t num, bool packed);
/*
 * After uvdpa_vq_dev_setup and before the first pop. area: len bytes, at
 * least uvdpa_vq_inflight_size, 8-byte aligned; scratch: room for l.num
 * entries. Both stay the caller's and must live until the queue is set up
 * again (which detaches). Returns 0; -EINVAL (too small, misaligned);
 * -EBADMSG: the record is inconsistent (wrong size or version, an index out
 * of range); the area is then not attached.
 */
int uvdpa_vq_dev_set_inflight(struct uvdpa_vq_dev *vq, void *area, size_t len,
			      struct uvdpa_vq_resubmit *scratch);

/* Copies between a chain's segments and a flat buffer; return bytes copied. */
size_t uvdpa_chain_read(const struct uvdpa_chain *c, size_t off, void *buf, size_t len);
size_t uvdpa_chain_write(const struct uvdpa_chain *c, size_t off, const void *buf, size_t len);
/*
 * uvdpa_chain_read into memory nobody reads soon (a block device's disk):
 * stores bypass the cache (SSE2 streaming stores on x86-64), so a cold
 * destination costs no read-for-ownership. They are weakly ordered: call
 * uvdpa_chain_nt_fence before publishing anything that depends on them.
 * Elsewhere the same as uvdpa_chain_read.
 */
size_t uvdpa_chain_read_nt(const struct uvdpa_chain *c, size_t off, void *buf, size_t len);
/*
 * uvdpa_chain_write whose stores bypass the cache, for big copies into
 * buffers the other side reads next: the lines go to memory instead of
 * being fetched for ownership from the CPU that read them last. The same
 * ordering rule as uvdpa_chain_read_nt.
 */
size_t uvdpa_chain_write_nt(const struct uvdpa_chain *c, size_t off, const void *buf,
			    size_t len);
void uvdpa_chain_nt_fence(void);
/* The two above with x86-64's baseline (SSE2) stores whatever the CPU has,
 * so that tests reach the copy CPUs without AVX take. */
size_t uvdpa_chain_read_nt_baseline(const struct uvdpa_chain *c, size_t off, void *buf,
				    size_t len);
size_t uvdpa_chain_write_nt_baseline(const struct uvdpa_chain *c, size_t off, const void *buf,
				     size_t len);
/* Copies from the readable part of src (from src_off) into the writable part
 * of dst (from dst_off) with no bounce buffer; returns bytes copied. */
size_t uvdpa_chain_copy(const struct uvdpa_chain *dst, size_t dst_off,
			const struct uvdpa_chain *src, size_t src_off, size_t len);

/* ================================================================== */
/* Driver side (used by libuvdpa's drivers)                            */
/* ================================================================== */

/*
 * The driver owns the ring memory (host pointers) and knows each area's
 * IOVA. Buffers are given as IOVAs (what goes into descriptors).
 */
struct uvdpa_vq_buf {
	uint64_t addr;                /* IOVA */
	uint32_t len;
	bool write;                   /* device-writable */
};

struct uvdpa_vq_drv {
	uint16_t num;
	bool packed, event_idx, indirect;
	/* VIRTIO_F_IN_ORDER: one used entry may complete a batch of chains (all
	 * made available up to its id); set before the first add. */
	bool in_order;
	void *desc_mem, *driver_mem, *device_mem;   /* host pointers */
	/* split */
	struct vring_desc *sdesc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* packed */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *drv_event, *dev_event;
	/* free descriptor list / bookkeeping */
	uint16_t free_head, num_free;
	uint16_t free_tail;           /* split: the free list is a queue */
	uint16_t avail_idx_shadow;    /* split: next avail idx; packed: next slot */
	bool avail_wrap;              /* packed */
	uint16_t last_used_idx;       /* split: free-running; packed: slot */
	bool used_wrap;               /* packed */
	uint16_t kicked_avail;        /* avail idx at last kick decision (packed: batch head slot) */
	uint16_t added_since_kick;    /* split: chains; packed: ring slots */
	uint16_t batch_head_flags;    /* packed: flags of the batch head, stored at publish */
	bool cb_disabled;             /* uvdpa_vq_drv_disable_cb in effect */
	uint16_t *next;               /* per-descriptor free list links / chain length */
	/* per id; after: in order, the id of the chain added next */
	struct { void *token; uint16_t ndesc; uint16_t last; uint16_t after; } *state;
	/* in order: chains in flight, oldest to newest (UVDPA_VQ_NO_ID: none),
	 * and the batch being handed out: its last id and that one's length */
	uint16_t oldest, newest, batch_last;
	bool in_batch;
	uint32_t batch_len;
};
#define UVDPA_VQ_NO_ID 0xffffu

/* In order: the chain added after id, or UVDPA_VQ_NO_ID if id is the newest. */
static inline uint16_t uvdpa_vq_drv_order_after(const struct uvdpa_vq_drv *vq, uint16_t id)
{
	return id == vq->newest ? UVDPA_VQ_NO_ID : vq->state[id].after;
}

/*
 * Lays out and zeroes the rings in the given memory (sizes from
 * uvdpa_vq_*_size). Allocates bookkeeping; free with uvdpa_vq_drv_fini.
 */
int uvdpa_vq_drv_init(struct uvdpa_vq_drv *vq, uint16_t num, bool packed, bool event_idx,
		      void *desc_mem, void *driver_mem, void *device_mem);
void uvdpa_vq_drv_fini(struct uvdpa_vq_drv *vq);

/* Adds one chain (readable buffers must precede writable ones); token is
 * returned by get_used. -ENOSPC if not enough free descriptors. Not visible
 * to the device until uvdpa_vq_drv_publish. */
int uvdpa_vq_drv_add(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
		     unsigned n, void *token);
/* add of one buffer (a receive buffer, a small frame with its header), with
 * none of the general add's loops: the per-frame path of the net driver. */
int uvdpa_vq_drv_add_one(struct uvdpa_vq_drv *vq, uint64_t addr, uint32_t len, bool write,
			 void *token);
/* Like add, but the chain is one descriptor pointing at an indirect table
 * the caller placed at table (host) / table_iova, with room for n entries. */
int uvdpa_vq_drv_add_indirect(struct uvdpa_vq_drv *vq, const struct uvdpa_vq_buf *bufs,
			      unsigned n, void *table, uint64_t table_iova, void *token);
/* Makes added chains visible; returns true if the device needs a kick. */
bool uvdpa_vq_drv_publish(struct uvdpa_vq_drv *vq);
/* Reclaims one used chain: returns its token and sets *len, or NULL. */
void *uvdpa_vq_drv_get_used(struct uvdpa_vq_drv *vq, uint32_t *len);
/* Reclaims up to n used chains into tok[] and len[]; returns how many. The
 * same checks as get_used; the split ring reads the used index once. */
unsigned uvdpa_vq_drv_get_used_burst(struct uvdpa_vq_drv *vq, void **tok, uint32_t *len,
				     unsigned n);
/* Interrupt suppression from the driver side. enable returns true if used
 * entries arrived meanwhile. */
bool uvdpa_vq_drv_enable_cb(struct uvdpa_vq_drv *vq);
void uvdpa_vq_drv_disable_cb(struct uvdpa_vq_drv *vq);
unsigned uvdpa_vq_drv_num_free(const struct uvdpa_vq_drv *vq);

#endif
