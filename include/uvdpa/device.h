/* SPDX-License-Identifier: MIT */
/*
 * uvdpa device model: what a vDPA device is to the rest of uvdpa.
 *
 * A device is a struct uvdpa_device whose ops table mirrors the kernel's
 * struct vdpa_config_ops. Everything above the bus (the vhost-user face, the
 * in-process virtio drivers, the netlink management face) talks to a device
 * only through these ops, so none of them knows which kind of device it is.
 *
 * Addresses passed to a device (ring addresses, descriptor buffers) are I/O
 * virtual addresses: they are translated through the device's memory map
 * (set_map), and any byte outside the map is refused.
 */
#ifndef UVDPA_DEVICE_H
#define UVDPA_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uvdpa/virtio_config.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvdpa_device;
struct uvdpa_mgmtdev;
struct uvdpa_bus;

/* ------------------------------------------------------------------ */
/* Memory map: I/O virtual address ranges -> host memory.             */
/* ------------------------------------------------------------------ */

/* Access rights of a region, as seen by the device. */
#define UVDPA_MAP_READ  0x1u   /* device may read (driver -> device data) */
#define UVDPA_MAP_WRITE 0x2u   /* device may write (device -> driver data) */
#define UVDPA_MAP_RW    (UVDPA_MAP_READ | UVDPA_MAP_WRITE)

/* vhost-user allows 509 slots; the map takes more so it is never the limit. */
#define UVDPA_MAP_MAX_REGIONS 1024

struct uvdpa_map_region {
	uint64_t iova;        /* first I/O virtual address */
	uint64_t size;        /* bytes, > 0 */
	void *host;           /* host address of iova */
	uint32_t perm;        /* UVDPA_MAP_* */
};

/*
 * An immutable-once-published set of non-overlapping regions, kept sorted for
 * binary search. The map never owns the memory it points at: whoever created
 * the mappings (the vhost face, the in-process transport) keeps them alive
 * until the device has been given a map without them.
 */
struct uvdpa_memmap;

struct uvdpa_memmap *uvdpa_memmap_new(void);
void uvdpa_memmap_free(struct uvdpa_memmap *map);
struct uvdpa_memmap *uvdpa_memmap_dup(const struct uvdpa_memmap *map);
/* -EINVAL for size 0 or wrap-around, -EEXIST on overlap, -ENOSPC when full. */
int uvdpa_memmap_add(struct uvdpa_memmap *map, const struct uvdpa_map_region *r);
/* Removes the region starting exactly at iova with that size; -ENOENT if none. */
int uvdpa_memmap_remove(struct uvdpa_memmap *map, uint64_t iova, uint64_t size);
unsigned uvdpa_memmap_count(const struct uvdpa_memmap *map);
const struct uvdpa_map_region *uvdpa_memmap_region(const struct uvdpa_memmap *map, unsigned i);

/*
 * Host pointer for [iova, iova+len) if the whole range lies in ONE region with
 * at least perm; NULL otherwise. len 0 is refused.
 */
void *uvdpa_memmap_translate(const struct uvdpa_memmap *map, uint64_t iova,
			     uint64_t len, uint32_t perm);

/* ------------------------------------------------------------------ */
/* Device ops (= kernel struct vdpa_config_ops).                      */
/* ------------------------------------------------------------------ */

/* Virtqueue state, encoded as in the kernel's struct vdpa_vq_state. */
struct uvdpa_vq_state {
	union {
		struct {
			uint16_t avail_index;   /* next avail index the device reads */
		} split;
		struct {
			uint16_t last_avail_counter : 1;
			uint16_t last_avail_idx : 15;
			uint16_t last_used_counter : 1;
			uint16_t last_used_idx : 15;
		} packed;
	};
};

/*
 * Interrupt path to the driver. When trigger_fd >= 0 the device writes the
 * eventfd itself (as vhost-vdpa's irqfd); otherwise it calls fn(opaque) from
 * its worker thread. Both may be unset.
 */
struct uvdpa_callback {
	void (*fn)(void *opaque);
	void *opaque;
	int trigger_fd;
};

/* One vendor statistic: the kernel appends these as name/value pairs. */
struct uvdpa_vq_stat {
	const char *name;     /* static string, e.g. "rx packets" */
	uint64_t value;
};
#define UVDPA_MAX_VQ_STATS 16

/* Status bits (UVDPA_STATUS_*): uvdpa/virtio_config.h. */

/*
 * Datapath mode (uvdpa extension; the kernel has only kicks).
 * ADAPTIVE polls while there is traffic and falls back to kicks when idle,
 * so the driver must keep kicking when the ring asks for it. ALWAYS never
 * stops polling: for drivers that cannot kick at all (vhost-user rings set
 * up without a kick fd).
 */
enum uvdpa_poll_mode {
	UVDPA_POLL_OFF,
	UVDPA_POLL_ADAPTIVE,
	UVDPA_POLL_ALWAYS,
	/*
	 * No worker thread: kick_vq runs the device's work in the kicking
	 * thread, and a pass runs at DRIVER_OK. For in-process drivers that
	 * kick every queue they add to (the one-core benchmark); chosen before
	 * DRIVER_OK (-EBUSY while a worker runs), refused (-EOPNOTSUPP) by
	 * devices that need their worker to wait on an fd of their own.
	 */
	UVDPA_POLL_CALLER,
};

struct uvdpa_device_ops {
	/* --- virtqueues --- */
	int (*set_vq_address)(struct uvdpa_device *d, uint16_t idx, uint64_t desc_area,
			      uint64_t driver_area, uint64_t device_area);
	void (*set_vq_num)(struct uvdpa_device *d, uint16_t idx, uint32_t num);
	void (*kick_vq)(struct uvdpa_device *d, uint16_t idx);
	/*
	 * The worker waits on kick_fd directly (fd stays owned by the caller and
	 * must stay open until replaced or the device is reset); -1 = none, use
	 * kick_vq(). Optional: NULL means the caller must call kick_vq.
	 */
	int (*set_vq_kick_fd)(struct uvdpa_device *d, uint16_t idx, int kick_fd);
	void (*set_vq_cb)(struct uvdpa_device *d, uint16_t idx, const struct uvdpa_callback *cb);
	void (*set_vq_ready)(struct uvdpa_device *d, uint16_t idx, bool ready);
	bool (*get_vq_ready)(struct uvdpa_device *d, uint16_t idx);
	int (*set_vq_state)(struct uvdpa_device *d, uint16_t idx, const struct uvdpa_vq_state *s);
	int (*get_vq_state)(struct uvdpa_device *d, uint16_t idx, struct uvdpa_vq_state *s);
	/* Fills up to max stats; returns the count, -EINVAL for a bad index,
	 * -EOPNOTSUPP when the device has none. */
	int (*get_vendor_vq_stats)(struct uvdpa_device *d, uint16_t idx,
				   struct uvdpa_vq_stat *stats, unsigned max);
	uint32_t (*get_vq_align)(struct uvdpa_device *d);
	uint32_t (*get_vq_size)(struct uvdpa_device *d, uint16_t idx);

	/* --- features and status --- */
	uint64_t (*get_device_features)(struct uvdpa_device *d);
	int (*set_driver_features)(struct uvdpa_device *d, uint64_t features);
	uint64_t (*get_driver_features)(struct uvdpa_device *d);
	void (*set_config_cb)(struct uvdpa_device *d, const struct uvdpa_callback *cb);
	uint16_t (*get_vq_num_max)(struct uvdpa_device *d);
	uint16_t (*get_vq_num_min)(struct uvdpa_device *d);
	uint32_t (*get_device_id)(struct uvdpa_device *d);
	uint32_t (*get_vendor_id)(struct uvdpa_device *d);
	uint8_t (*get_status)(struct uvdpa_device *d);
	void (*set_status)(struct uvdpa_device *d, uint8_t status);
	int (*reset)(struct uvdpa_device *d);
	int (*suspend)(struct uvdpa_device *d);
	int (*resume)(struct uvdpa_device *d);

	/* --- config space --- */
	size_t (*get_config_size)(struct uvdpa_device *d);
	void (*get_config)(struct uvdpa_device *d, unsigned offset, void *buf, unsigned len);
	void (*set_config)(struct uvdpa_device *d, unsigned offset, const void *buf, unsigned len);
	uint32_t (*get_generation)(struct uvdpa_device *d);

	/* --- memory --- */
	/* Replaces the whole map (the device copies it); NULL = empty map. */
	int (*set_map)(struct uvdpa_device *d, const struct uvdpa_memmap *map);

	/* --- datapath mode (uvdpa extension) --- */
	/* How the worker finds work: see enum uvdpa_poll_mode. */
	int (*set_poll_mode)(struct uvdpa_device *d, enum uvdpa_poll_mode mode);

	/* --- inflight tracking (uvdpa extension: vhost-user INFLIGHT_SHMFD) --- */
	/*
	 * Gives queue idx an area of len bytes, shared with the driver's side,
	 * in which the device records the chains it has taken and not completed
	 * (the vhost-user spec's inflight layout), and from which it resubmits
	 * the chains a previous device left in flight when the queue is made
	 * ready. NULL detaches. Only while the queue is not ready (-EBUSY
	 * otherwise); a reset detaches every area. The memory stays the
	 * caller's and must stay mapped until detached or reset. Optional:
	 * NULL means the device does not track.
	 */
	int (*set_vq_inflight)(struct uvdpa_device *d, uint16_t idx, void *area, size_t len);

	/* Releases the device; called by the bus after the mgmtdev's dev_del. */
	void (*free)(struct uvdpa_device *d);
};

/*
 * The bus-visible part of a device. Parent drivers embed it in their own
 * struct (first member or container_of).
 */
struct uvdpa_device {
	const struct uvdpa_device_ops *ops;
	char *name;                     /* unique on the bus, owned by the bus */
	struct uvdpa_mgmtdev *mdev;     /* NULL if not created through mgmt */
	struct uvdpa_bus *bus;
	uint32_t nvqs;
	bool features_valid;
	void *face_priv;                /* for the face the device is bound to */
	/* The datapath mode its owner chose; a face that changed the mode for
	 * one driver (a vhost-user ring without kick fd) returns to this. */
	enum uvdpa_poll_mode poll_default;
	/*
	 * Set by a face that translates every driver address itself (the
	 * vhost-user memory table): platform access is then a property of the
	 * binding, not a feature the driver negotiates, so a device that
	 * requires VIRTIO_F_ACCESS_PLATFORM (as the simulators do) accepts the
	 * driver's features without it, and reports exactly those.
	 */
	bool face_translates;
	/*
	 * The driver driving the device now (uvdpa_device_claim), NULL when
	 * none: one at a time, whichever face it comes through. Accessed
	 * atomically only, through the functions below.
	 */
	const char *driver_owner;
};

/* Helpers with the kernel core's side effects (vdpa_reset, vdpa_set_features). */
int uvdpa_device_reset(struct uvdpa_device *d);
int uvdpa_device_set_features(struct uvdpa_device *d, uint64_t features);
/* Reads config; sets features to 0 first if the driver never set them. */
void uvdpa_device_get_config(struct uvdpa_device *d, unsigned offset, void *buf, unsigned len);

/*
 * One driver at a time: a face takes the device before its driver touches
 * it (features, map, rings, status) and lets go when that driver is gone
 * and the device reset. owner is a static string naming the driver, for
 * the loser's message ("vhost-user front end", "kernel (VDUSE)",
 * "in-process driver (libuvdpa)"); owners
 * are told apart by the pointer. 0, or -EBUSY (also when owner holds it
 * already) with *holder (may be NULL) set to the owner in the way.
 */
int uvdpa_device_claim(struct uvdpa_device *d, const char *owner, const char **holder);
/* Lets go if owner holds the device; else nothing. */
void uvdpa_device_release(struct uvdpa_device *d, const char *owner);
/* Who holds the device now; NULL: nobody. */
const char *uvdpa_device_owner(const struct uvdpa_device *d);

#ifdef __cplusplus
}
#endif
#endif
