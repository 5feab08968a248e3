/* SPDX-License-Identifier: MIT */
/*
 * Device runtime shared by every parent driver (after the kernel's
 * drivers/vdpa/vdpa_sim/vdpa_sim.h): implements struct uvdpa_device_ops
 * once; each parent (sim_net.c, sim_blk.c, blk_file.c, net_tap.c) fills a
 * struct devrt_dev_attr with its ids, features, config hooks,
 * queue count, work function and stats.
 *
 * Datapath: one worker thread per device while a driver is live: started at
 * DRIVER_OK, stopped (thread, epoll, eventfds and io_uring released) when the
 * device is reset or loses DRIVER_OK. It sleeps in epoll on one eventfd per
 * virtqueue (written by kick_vq), on the caller's kick fds (set_vq_kick_fd)
 * and on a control eventfd. Each pass runs the class' work function with the
 * device mutex held; control ops that change queues, the map or the status
 * take the same mutex, so they always see the datapath between two passes.
 * No chain survives a pass, except in a class with a quiesce hook (blk_file:
 * I/O in flight), which the core calls before anything the chains point
 * into changes.
 *
 * Interrupts (struct uvdpa_callback):
 * - A callback *function* is called on the worker with the mutex held, as the
 *   kernel's simulator does: it may call kick_vq (lock-free) but no other op
 *   of the same device.
 * - A *trigger fd* is never written with the mutex held. A pass only notes
 *   which queues need an interrupt (one per queue per pass, under the ring's
 *   event-idx or flag rules); after unlocking, the worker sends them with one
 *   io_uring submission (runtime_irq.c). A write the fd cannot take (the driver
 *   cleared O_NONBLOCK and let the counter saturate) stays queued in the
 *   kernel instead of blocking the worker; until it completes that queue
 *   gets no further write, and an interrupt raised meanwhile is sent after
 *   it. So a stuck trigger fd costs only its own driver. Once set_vq_cb / set_config_cb / reset returns, the
 *   worker no longer uses the old fd number: the caller may close it.
 *   Residual risk (the kernel's, not ours to close): io_uring checks
 *   O_NONBLOCK once before calling the eventfd's write(), which checks it
 *   again; a driver clearing it exactly in between, with its counter
 *   saturated, would make that inline attempt sleep. Forcing every write to
 *   an io-wq thread (IOSQE_ASYNC) would close it at 5-10x the cost per write.
 * - The config callback's trigger fd is written by the worker too; a config
 *   change raised while no worker runs is sent when one starts (or dropped by
 *   the reset that cleared the callback).
 *
 * Kick fds of the caller are watched edge-triggered and never read (as the
 * kernel's vhost never drains a kick eventfd): every eventfd write is a new
 * edge, and a read could block if the driver cleared O_NONBLOCK. A kick fd
 * that reports HUP or an error (a pipe or socket at EOF, not a live eventfd)
 * is dropped and breaks its queue (NEEDS_RESET, config callback raised).
 *
 * A class may have the worker watch one fd of its own (attr.worker_fd /
 * worker_fd_ready, e.g. an io_uring completion eventfd).
 *
 * The worker blocks every signal but SIGBUS, SIGSEGV, SIGFPE and SIGILL:
 * synchronous faults must reach the handler that contains a driver shrinking
 * its memory (a blocked one kills the process).
 */
#ifndef UVDPA_DEVICES_SIM_H
#define UVDPA_DEVICES_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <liburing.h>

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

struct devrt;

struct devrt_vq {
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
	bool irq_due;                   /* trigger fd to be written after this pass */
	uint32_t irq_seq;               /* bumped when the trigger fd changes */
	/* inflight area (set_vq_inflight), attached at every setup */
	void *inflight;
	size_t inflight_len;
	struct uvdpa_vq_resubmit *resubmit;   /* engine scratch, resubmit_cap entries */
	uint32_t resubmit_cap;
};

struct devrt_dev_attr {
	uint32_t id;                    /* virtio device id */
	uint64_t supported_features;    /* default device features */
	size_t config_size;
	size_t alloc_size;              /* size of the class struct embedding struct devrt */
	uint32_t nvqs;
	/*
	 * Runs on the worker with the mutex held while DRIVER_OK and not
	 * suspended. Handles up to VDPASIM_BURST chains per queue, returns how
	 * many it handled and sets *again when a queue has more right away.
	 */
	unsigned (*work_fn)(struct devrt *s, bool *again);
	/* Refreshes s->config before a read / reacts after a write (mutex held). */
	void (*get_config)(struct devrt *s, void *config);
	void (*set_config)(struct devrt *s, const void *config);
	/* Vendor stats of queue idx (mutex held); NULL: none (-EOPNOTSUPP). */
	int (*get_stats)(struct devrt *s, uint16_t idx, struct uvdpa_vq_stat *st, unsigned max);
	/* Releases class resources; the core frees the allocation. */
	void (*free)(struct devrt *s);
	/*
	 * Optional: one fd of the class the worker watches besides the kicks
	 * (e.g. an io_uring completion eventfd). worker_fd is called with the
	 * mutex held each time a worker starts and returns the fd (or -1); the
	 * class keeps owning it, and the worker stops watching it when it stops.
	 * The fd is watched level-triggered for EPOLLIN: worker_fd_ready (mutex
	 * held, on the worker) must consume what made it readable; a pass
	 * follows. HUP or an error on it stops the watch with a log line.
	 */
	int (*worker_fd)(struct devrt *s);
	void (*worker_fd_ready)(struct devrt *s);
	/*
	 * Optional, for classes whose requests outlive a pass (I/O in flight
	 * pointing into driver memory): completes every request in flight on
	 * queue idx (-1: all) before the core changes what they point into.
	 * Called with the mutex held before set_map, reset, suspend, DRIVER_OK
	 * going away, set_vq_ready(0), get/set_vq_state and dev_del; it may
	 * block until the requests are done and push their used entries.
	 */
	void (*quiesce)(struct devrt *s, int idx);
	/* Optional: queue idx was made ready or not ready (mutex held, after
	 * the change; net_tap attaches its TAP queues to the enabled rings). */
	void (*vq_ready)(struct devrt *s, uint16_t idx, bool ready);
};

/* The worker's interrupt signaller (runtime_irq.c); targets 0..nvqs-1 are the
 * queues, nvqs the config. Worker-private but for devrt_irq_wanted. */
struct devrt_irq_busy {
	bool on;                        /* a write is outstanding */
	bool owed;                      /* raised meanwhile: send when it completes */
	bool queued;                    /* in the batch being built */
	uint32_t seq;                   /* for the target's fd of that seq */
};

struct devrt_irq_req {
	uint32_t t, seq;
	int fd;
};

/* Without io_uring: a target's fd as the helper thread writes it. */
struct devrt_irq_dup {
	int cur;                        /* the helper's copy it writes; closed by it */
	int next;                       /* a newer target fd's copy, not yet taken */
	uint32_t seq;                   /* the seq next (or cur) was copied for */
	bool copied;                    /* seq is valid */
	bool pending;                   /* an interrupt to send */
};

struct devrt_irq {
	struct io_uring ring;
	bool ring_up;
	bool direct;                    /* no io_uring here: plain write() after unlocking */
	unsigned cap, inflight;         /* ring entries; requests not yet completed */
	unsigned ntargets;
	struct devrt_irq_busy *busy;  /* per target */
	struct devrt_irq_req *batch;  /* this pass' interrupts */
	unsigned nbatch;
	uint32_t *resend;               /* owed targets whose write completed */
	unsigned nresend;
	int efd;                        /* signalled for io-wq completions; in the worker's epoll */
	int wake_fd;                    /* the worker's ctl fd: its poll breaks a trapped write */
	bool wake_armed;
	/* No io_uring: a helper thread writes copies of the fds (runtime_irq.c) */
	bool helper_up;
	pthread_t helper;
	pthread_mutex_t hlock;          /* dups, hstop; never held across a write */
	pthread_cond_t hwake;
	bool hstop;
	struct devrt_irq_dup *dups;     /* per target */
};

int devrt_irq_open(struct devrt_irq *q, unsigned ntargets);
void devrt_irq_close(struct devrt_irq *q);
int devrt_irq_ring_up(struct devrt_irq *q, int wake_fd);
void devrt_irq_ring_down(struct devrt_irq *q);
int devrt_irq_helper_up(struct devrt_irq *q, const char *name);
void devrt_irq_reap(struct devrt_irq *q);
bool devrt_irq_wanted(struct devrt_irq *q, uint32_t t, uint32_t seq);
void devrt_irq_add(struct devrt_irq *q, uint32_t t, uint32_t seq, int fd);
void devrt_irq_submit(struct devrt_irq *q);

struct devrt {
	struct uvdpa_device vdev;       /* first: what the bus sees */
	struct devrt_dev_attr attr;
	pthread_mutex_t mutex;
	/* Serialises starting and stopping the worker (DRIVER_OK, reset,
	 * dev_del); taken before mutex. */
	pthread_mutex_t life;
	/* Held by the worker while it submits trigger-fd writes outside the
	 * mutex; taken (under mutex) by ops that change a trigger fd, so the
	 * worker is done with the old fd number when they return. */
	pthread_mutex_t fence;
	pthread_t worker;
	bool worker_started;            /* from DRIVER_OK to reset: idle devices cost no thread */
	bool stopped;                   /* dev_del: never start again */
	char tname[16];                 /* worker thread name */
	char irq_tname[16];             /* its call-fd writer's, without io_uring */
	atomic_bool stop;
	atomic_int ctl_waiting;         /* control ops queued on the mutex */
	atomic_int kickers;             /* kick_vq calls using a kick eventfd */
	int epfd, ctl_fd;               /* created with the worker */
	int *kfds;                      /* our kick eventfds, one per queue, with the worker */
	int class_fd;                   /* attr.worker_fd's, watched while the worker runs */
	struct devrt_irq irq;         /* the worker's; set up with it */

	/* everything below is protected by mutex */
	struct devrt_vq *vqs;
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
	bool config_irq_due;            /* config trigger fd to be written by the worker */
	uint32_t config_irq_seq;
	uint32_t *irq_due;              /* queues with irq_due set, in order; nvqs entries */
	unsigned irq_ndue;
};

static inline struct devrt *vdpa_to_sim(struct uvdpa_device *d)
{
	return (struct devrt *)d;
}

/*
 * Allocates attr->alloc_size bytes (struct devrt first) and applies the
 * provisioned DEV_FEATURES (must be a subset of the class word: -EINVAL). The class fills its part and config afterwards,
 * before the device is used. Returns NULL and sets *err on failure.
 */
struct devrt *devrt_create(const struct devrt_dev_attr *attr,
			       const struct uvdpa_dev_set_config *cfg, const char *name,
			       int *err);
/* Stops the worker for good (dev_del); idempotent. */
void devrt_stop(struct devrt *s);
/* Stops and frees everything (the free op); also for a half-built device. */
void devrt_destroy(struct devrt *s);

/* Control-side locking: lets a busy-polling worker step aside. */
void devrt_lock(struct devrt *s);
void devrt_unlock(struct devrt *s);

/* ---- helpers for work functions (mutex held) ---- */

static inline bool devrt_vq_usable(const struct devrt_vq *vq)
{
	return vq->ready && vq->set_up && !vq->broken;
}

static inline bool devrt_has_feature(const struct devrt *s, unsigned bit)
{
	return (s->features >> bit) & 1;
}

/*
 * Takes the next chain (c->iov / c->iov_cap set by the caller). 1: taken;
 * 0: empty (kicks re-armed unless polling); -E2BIG: taken but too many
 * segments, complete it; -EIO: the queue is now broken (stopped, NEEDS_RESET).
 */
int devrt_pop(struct devrt *s, struct devrt_vq *vq, struct uvdpa_chain *c);
/*
 * Gives back the chain taken last from vq (not pushed); the device takes it
 * again later. Call newest first to give back several.
 */
void devrt_unpop(struct devrt_vq *vq, const struct uvdpa_chain *c);
/* Publishes the pushed entries and interrupts the driver if the ring says so. */
void devrt_flush(struct devrt *s, struct devrt_vq *vq);
/* Stops a queue the driver corrupted: NEEDS_RESET, one line on stderr. */
void devrt_vq_break(struct devrt *s, struct devrt_vq *vq, const char *why);
/* Raises a config-change interrupt. */
void devrt_config_changed(struct devrt *s);

/* What a net control queue served by devrt_cvq_work has seen. */
struct devrt_cvq_stats {
	uint64_t requests, successes, errors;
};
/* One command of a control queue: returns the ack (VIRTIO_NET_OK or ERR). */
typedef uint8_t devrt_cvq_fn(struct devrt *s, const struct uvdpa_chain *c);
/*
 * Serves up to a burst of control-queue chains (iov of iov_cap segments as
 * scratch): each command goes to handle, its ack is written to the chain's
 * writable byte (a chain without one is answered with length 0), the used
 * entries are published once. Sets *again when the burst was full.
 */
unsigned devrt_cvq_work(struct devrt *s, struct devrt_vq *cvq, struct iovec *iov,
			  uint32_t iov_cap, devrt_cvq_fn *handle,
			  struct devrt_cvq_stats *st, bool *again);

/* Built-in parents (templates copied per bus by uvdpa_bus_register_builtin). */
extern const struct uvdpa_mgmtdev vdpasim_net_mgmtdev;
extern const struct uvdpa_mgmtdev vdpasim_blk_mgmtdev;

#endif
