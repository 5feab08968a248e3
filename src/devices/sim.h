/* SPDX-License-Identifier: MIT */
/*
 * Simulator core (kernel drivers/vdpa/vdpa_sim/vdpa_sim.h): implements
 * struct uvdpa_device_ops once; each device class (sim_net.c, sim_blk.c)
 * fills a struct vdpasim_dev_attr with its ids, features, config hooks,
 * queue count, work function and stats.
 *
 * Datapath: one worker thread per device (started at the first DRIVER_OK)
 * sleeps in epoll on one eventfd per
 * virtqueue (written by kick_vq), on the caller's kick fds (set_vq_kick_fd)
 * and on a control eventfd. Each pass runs the class' work function with the
 * device mutex held; control ops that change queues, the map or the status
 * take the same mutex, so they always see the datapath between two passes.
 * No chain survives a pass.
 *
 * Interrupts (struct uvdpa_callback) are raised from the worker with the
 * mutex held, as the kernel's simulator does: a callback function may call
 * kick_vq (lock-free) but no other op of the same device.
 */
#ifndef UVDPA_DEVICES_SIM_H
#define UVDPA_DEVICES_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvdpa/bus.h>
#include <uvdpa/device.h>
#include <uvdpa/vdpa_abi.h>
#include "virtio/vq.h"

#define VDPASIM_VQ_NUM_MAX   256      /* get_vq_num_max, as the kernel */
#define VDPASIM_VENDOR_ID    0
#define VDPASIM_VQ_ALIGN     4096     /* PAGE_SIZE */
#define VDPASIM_BURST        64       /* chains per queue per pass */
#define VDPASIM_CHAIN_IOV    1024     /* segments a chain may have */

/* Transport features the virtqueue engine implements, offered by every class. */
#define VDPASIM_TRANSPORT_FEATURES \
	((1ULL << 28) /* INDIRECT_DESC */ | (1ULL << 29) /* EVENT_IDX */ | \
	 (1ULL << 34) /* RING_PACKED */)

#define VDPASIM_F_ACCESS_PLATFORM (1ULL << 33)
#define VDPASIM_F_VERSION_1       (1ULL << 32)

struct vdpasim;

struct vdpasim_vq {
	struct uvdpa_vq_dev dev;        /* engine state; valid while set_up */
	uint64_t desc_addr, driver_addr, device_addr;
	uint32_t num;
	bool ready;
	bool set_up;                    /* dev translated against the current map */
	bool broken;                    /* refused by the engine until reset */
	bool stalled;                   /* this pass stopped early on purpose */
	bool has_state;                 /* state holds where to restart */
	struct uvdpa_vq_state state;
	struct uvdpa_callback cb;
	atomic_int kick_fd;             /* ours, written by kick_vq; -1 until the worker starts */
	int ext_kick_fd;                /* the caller's, or -1 */
	uint16_t idx;
	/* inflight area (set_vq_inflight), attached at every setup */
	void *inflight;
	size_t inflight_len;
	struct uvdpa_vq_resubmit *resubmit;   /* engine scratch, resubmit_cap entries */
	uint32_t resubmit_cap;
};

struct vdpasim_dev_attr {
	uint32_t id;                    /* virtio device id */
	uint64_t supported_features;    /* default device features */
	size_t config_size;
	size_t alloc_size;              /* size of the class struct embedding struct vdpasim */
	uint32_t nvqs;
	/*
	 * Runs on the worker with the mutex held while DRIVER_OK and not
	 * suspended. Handles up to VDPASIM_BURST chains per queue, returns how
	 * many it handled and sets *again when a queue has more right away.
	 */
	unsigned (*work_fn)(struct vdpasim *s, bool *again);
	/* Refreshes s->config before a read / reacts after a write (mutex held). */
	void (*get_config)(struct vdpasim *s, void *config);
	void (*set_config)(struct vdpasim *s, const void *config);
	/* Vendor stats of queue idx (mutex held); NULL: none (-EOPNOTSUPP). */
	int (*get_stats)(struct vdpasim *s, uint16_t idx, struct uvdpa_vq_stat *st, unsigned max);
	/* Releases class resources; the core frees the allocation. */
	void (*free)(struct vdpasim *s);
};

struct vdpasim {
	struct uvdpa_device vdev;       /* first: what the bus sees */
	struct vdpasim_dev_attr attr;
	pthread_mutex_t mutex;
	pthread_t worker;
	bool worker_started;            /* on first DRIVER_OK: idle devices cost no thread */
	bool stopped;                   /* dev_del: never start again */
	char tname[16];                 /* worker thread name */
	atomic_bool stop;
	atomic_int ctl_waiting;         /* control ops queued on the mutex */
	int epfd, ctl_fd;               /* created with the worker */

	/* everything below is protected by mutex */
	struct vdpasim_vq *vqs;
	uint8_t *config;
	struct uvdpa_memmap *map;       /* the device's own copy; empty by default */
	uint64_t dev_features;          /* offered (class word or provisioned) */
	uint64_t features;              /* negotiated */
	uint8_t status;
	bool running;                   /* DRIVER_OK and not suspended */
	bool pending_kick;              /* kicked while suspended */
	enum uvdpa_poll_mode poll;      /* OFF: kicks only */
	bool kicks_off;                 /* poll mode has disabled kicks */
	uint32_t generation;
	struct uvdpa_callback config_cb;
};

static inline struct vdpasim *vdpa_to_sim(struct uvdpa_device *d)
{
	return (struct vdpasim *)d;
}

/*
 * Allocates attr->alloc_size bytes (struct vdpasim first) and applies the
 * provisioned DEV_FEATURES (must be a subset of the class word: -EINVAL). The class fills its part and config afterwards,
 * before the device is used. Returns NULL and sets *err on failure.
 */
struct vdpasim *vdpasim_create(const struct vdpasim_dev_attr *attr,
			       const struct uvdpa_dev_set_config *cfg, const char *name,
			       int *err);
/* Stops the worker (dev_del); idempotent. */
void vdpasim_stop(struct vdpasim *s);
/* Stops and frees everything (the free op); also for a half-built device. */
void vdpasim_destroy(struct vdpasim *s);

/* Control-side locking: lets a busy-polling worker step aside. */
void vdpasim_lock(struct vdpasim *s);
void vdpasim_unlock(struct vdpasim *s);

/* ---- helpers for work functions (mutex held) ---- */

static inline bool vdpasim_vq_usable(const struct vdpasim_vq *vq)
{
	return vq->ready && vq->set_up && !vq->broken;
}

static inline bool vdpasim_has_feature(const struct vdpasim *s, unsigned bit)
{
	return (s->features >> bit) & 1;
}

/*
 * Takes the next chain (c->iov / c->iov_cap set by the caller). 1: taken;
 * 0: empty (kicks re-armed unless polling); -E2BIG: taken but too many
 * segments, complete it; -EIO: the queue is now broken (stopped, NEEDS_RESET).
 */
int vdpasim_pop(struct vdpasim *s, struct vdpasim_vq *vq, struct uvdpa_chain *c);
/*
 * Gives back the chain taken last from vq (not pushed); the device takes it
 * again later. Call newest first to give back several.
 */
void vdpasim_unpop(struct vdpasim_vq *vq, const struct uvdpa_chain *c);
/* Publishes the pushed entries and interrupts the driver if the ring says so. */
void vdpasim_flush(struct vdpasim *s, struct vdpasim_vq *vq);
/* Stops a queue the driver corrupted: NEEDS_RESET, one line on stderr. */
void vdpasim_vq_break(struct vdpasim *s, struct vdpasim_vq *vq, const char *why);
/* Raises a config-change interrupt. */
void vdpasim_config_changed(struct vdpasim *s);

/* Built-in parents (templates copied per bus by uvdpa_bus_register_builtin). */
extern const struct uvdpa_mgmtdev vdpasim_net_mgmtdev;
extern const struct uvdpa_mgmtdev vdpasim_blk_mgmtdev;

#endif
