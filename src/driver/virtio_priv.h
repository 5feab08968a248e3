/* SPDX-License-Identifier: MIT */
/*
 * The virtio core the class drivers (net.c, blk.c) share: the §3.1
 * initialisation sequence, virtqueues on device-reachable memory, waiting
 * for notifications. The kernel splits this between virtio.c and
 * virtio_ring.c; here the ring itself is the engine in virtio/vq.h.
 */
#ifndef UVDPA_DRIVER_VIRTIO_PRIV_H
#define UVDPA_DRIVER_VIRTIO_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <uvdpa/local.h>
#include "driver/transport.h"
#include "virtio/vq.h"

struct uvdpa_virtio {
	struct vtransport *t;
	uint32_t device_id;
	uint64_t device_features;
	uint64_t features;              /* negotiated; 0 while no driver is open */
	bool driver_open;
};

/* A driver's virtqueue: the engine's driver side on its own DMA region. */
struct vdrv_vq {
	struct uvdpa_vq_drv drv;
	struct vdma ring;
	uint64_t driver_iova, device_iova;
	uint16_t idx;
	uint16_t num;
	int call_fd;                    /* owned by the transport */
	struct vtransport *t;           /* for its hang-up fd, which a reconnect changes */
	bool set_up;
	bool poll;                      /* waits spin (vdrv_spin) instead of sleeping */
	unsigned spins;
};

static inline bool vdrv_has(uint64_t features, unsigned bit)
{
	return (features >> bit) & 1;
}

/*
 * Starts a driver on v (§3.1.1 steps 1-6): reset, ACKNOWLEDGE, DRIVER,
 * features = offered & wanted, FEATURES_OK, re-read it. required bits must
 * all be offered (-EOPNOTSUPP). -ENODEV if the device is not class id,
 * -EBUSY if a driver is open, -EIO if the device refuses. On error the
 * device is left reset (or FAILED if it refused FEATURES_OK).
 */
int vdrv_probe(struct uvdpa_virtio *v, uint32_t id, uint64_t wanted, uint64_t required);

/* A uvdpa_virtio on t, reset and ACKNOWLEDGEd. Takes t: closed on error. */
int vdrv_bind(struct vtransport *t, struct uvdpa_virtio **out);

/* The transport's error if it is dead (it explains err), else err. */
int vdrv_error(struct uvdpa_virtio *v, int err);

/* Lays the queue out on fresh DMA memory (not yet known to the device). */
int vdrv_vq_alloc(struct uvdpa_virtio *v, struct vdrv_vq *vq, uint16_t idx, uint16_t num);
/* Gives the device the memory allocated so far, then the queue, enabled. */
int vdrv_vq_enable(struct uvdpa_virtio *v, struct vdrv_vq *vq);

/* Frees the queue's memory; only after vdrv_remove or a failed probe's reset. */
void vdrv_vq_free(struct uvdpa_virtio *v, struct vdrv_vq *vq);

/* Largest queue size the device takes for queue idx. */
uint16_t vdrv_vq_max(struct uvdpa_virtio *v, uint16_t idx);

/* §3.1.1 step 8 (after a last DMA sync); 0 or -EIO. */
int vdrv_driver_ok(struct uvdpa_virtio *v);

/* Marks the device FAILED (a driver gave up half-way) and resets it. */
void vdrv_fail(struct uvdpa_virtio *v);

/* Resets the device and forgets the driver (then free queues and memory). */
void vdrv_remove(struct uvdpa_virtio *v);

/*
 * DMA memory. Allocations reach the device and frees are released at the
 * next vdrv_dma_sync (vdrv_vq_enable and vdrv_driver_ok sync too), so a
 * driver's whole set-up costs the device one map update.
 */
int vdrv_dma_alloc(struct uvdpa_virtio *v, size_t size, struct vdma *out);
void vdrv_dma_free(struct uvdpa_virtio *v, struct vdma *d);
int vdrv_dma_sync(struct uvdpa_virtio *v);

/* Publishes what was added and kicks the device if the ring says so. */
static inline void vdrv_vq_notify(struct uvdpa_virtio *v, struct vdrv_vq *vq)
{
	if (uvdpa_vq_drv_publish(&vq->drv))
		v->t->ops->kick(v->t, vq->idx);
}

/*
 * Waits for the queue's notification eventfd at most timeout_ms (-1: no
 * limit) and drains it. 1: notified, or the transport's connection hung up
 * and was re-established (the back end resubmits what was in flight: look
 * at the ring again); 0: timeout; -ECONNRESET if the connection hung up for
 * good; the transport's error if it is dead; negative errno of poll.
 */
int vdrv_wait_call(const struct vdrv_vq *vq, int timeout_ms);

/*
 * A polled queue's wait, one turn at a time: the driver looks at the ring,
 * then calls this instead of sleeping. Relaxes the CPU; every so many turns
 * it also looks at the connection (a hang-up ends the wait or reconnects,
 * as in vdrv_wait_call) and at the deadline (-1: none). 1: look again;
 * 0: the deadline passed; negative: as vdrv_wait_call.
 */
int vdrv_spin(struct vdrv_vq *vq, int64_t deadline);

/* Monotonic milliseconds, for deadlines. */
int64_t vdrv_now_ms(void);
/* Milliseconds left until deadline (-1 stays -1: no deadline). */
int vdrv_left_ms(int64_t deadline);

#endif
