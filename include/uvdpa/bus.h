/* SPDX-License-Identifier: MIT */
/*
 * The uvdpa bus: management devices (parent drivers) and the devices they
 * create, with unique names. The kernel keeps this in globals; here a
 * struct uvdpa_bus owns everything, and there can be several.
 *
 * Threading: a bus and its registry are used from one thread at a time (the
 * daemon's event loop, or the application). Devices run their own datapath
 * threads and lock internally.
 */
#ifndef UVDPA_BUS_H
#define UVDPA_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <uvdpa/device.h>
#include <uvdpa/vdpa_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Provisioning attributes of DEV_NEW (kernel struct vdpa_dev_set_config). */
struct uvdpa_dev_set_config {
	uint64_t device_features;
	struct {
		uint8_t mac[6];
		uint16_t mtu;
		uint16_t max_vq_pairs;
		/* net_tap (uvdpa attribute 210), borrowed for the duration of dev_add */
		const char *tap;
	} net;
	struct {                    /* uvdpa extension (kernel attrs 21 and 25) */
		uint64_t capacity;  /* 512-byte sectors */
		uint16_t num_queues;
		/* blk_file (uvdpa attributes 201-203; read_only is kernel attr 35).
		 * Strings are borrowed for the duration of dev_add. */
		const char *path;
		const char *serial;
		uint8_t read_only;
		uint8_t direct;
	} blk;
	/* Bit N set <=> netlink attribute N was supplied (UVDPA_ATTR_* numbers). */
	uint64_t mask;
	/* The same for uvdpa's own attributes: UVDPA_ATTR_UVDPA_BIT(a). */
	uint32_t uvdpa_mask;
};

struct uvdpa_mgmtdev_ops {
	/* Creates and returns a device named name; the bus registers it.
	 * Errors are negative errno; msg (may be NULL) gets a human reason. */
	int (*dev_add)(struct uvdpa_mgmtdev *m, const char *name,
		       const struct uvdpa_dev_set_config *cfg,
		       struct uvdpa_device **out, const char **msg);
	/* Stops the device; the bus then calls d->ops->free. */
	void (*dev_del)(struct uvdpa_mgmtdev *m, struct uvdpa_device *d);
	/* Optional: change attributes of a live device (only the MAC today). */
	int (*dev_set_attr)(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
			    const struct uvdpa_dev_set_config *cfg);
	/* Optional: the settings d was created with, for DEV_GET replies
	 * (strings point into the device and live as long as it). */
	int (*dev_get_settings)(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
				struct uvdpa_dev_set_config *cfg);
};

struct uvdpa_mgmtdev {
	const char *bus_name;           /* NULL for bus-less parents (the sims) */
	const char *dev_name;           /* e.g. "vdpasim_net" */
	const struct uvdpa_mgmtdev_ops *ops;
	uint64_t id_classes;            /* bit N = virtio device id N */
	uint64_t config_attr_mask;      /* BIT_ULL(attr) accepted by dev_add */
	uint32_t uvdpa_attr_mask;       /* UVDPA_ATTR_UVDPA_BIT(attr) accepted by dev_add */
	uint64_t supported_features;
	uint32_t max_supported_vqs;
	void *priv;
};

typedef void (*uvdpa_bus_notify_fn)(void *opaque, struct uvdpa_device *d);
/* Told of a new device, and may refuse it (a device nobody can reach must
 * not exist): a negative errno undoes the add (removed is not called for
 * it); msg (may stay NULL) says why. */
typedef int (*uvdpa_bus_added_fn)(void *opaque, struct uvdpa_device *d, const char **msg);

struct uvdpa_bus *uvdpa_bus_new(void);
/* Deletes every device (dev_del + free), then frees the bus. */
void uvdpa_bus_free(struct uvdpa_bus *bus);

/* Faces hear about devices here: added after registration, removed before
 * dev_del. One listener per bus (the daemon's face dispatcher). */
void uvdpa_bus_set_listener(struct uvdpa_bus *bus, uvdpa_bus_added_fn added,
			    uvdpa_bus_notify_fn removed, void *opaque);

/* The bus does not own m; it must outlive the registration. */
int uvdpa_bus_register_mgmtdev(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m);
/* Registers vdpasim_net and vdpasim_blk (and the other built-in parents). */
int uvdpa_bus_register_builtin(struct uvdpa_bus *bus);

unsigned uvdpa_bus_mgmtdev_count(const struct uvdpa_bus *bus);
struct uvdpa_mgmtdev *uvdpa_bus_mgmtdev_at(const struct uvdpa_bus *bus, unsigned i);
/* bus_name NULL matches only bus-less parents (kernel rule). */
struct uvdpa_mgmtdev *uvdpa_bus_find_mgmtdev(const struct uvdpa_bus *bus,
					     const char *bus_name, const char *dev_name);

/*
 * Creates a device through m. Names follow the kernel's device naming
 * (dev_set_name): any bytes but NUL, each '/' stored as '!', so "a/b" is
 * the device "a!b" (and a duplicate of it). -EINVAL for an empty name or
 * one longer than UVDPA_NAME_MAX (msg says which), -EEXIST for a duplicate,
 * the parent's error, or the listener's veto.
 */
#define UVDPA_NAME_MAX UVDPA_DEV_NAME_MAX   /* bytes, without the NUL */
int uvdpa_bus_dev_add(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m, const char *name,
		      const struct uvdpa_dev_set_config *cfg, struct uvdpa_device **out,
		      const char **msg);
/* -ENODEV if no such device. */
int uvdpa_bus_dev_del(struct uvdpa_bus *bus, const char *name);

/* Devices in registration order. */
unsigned uvdpa_bus_dev_count(const struct uvdpa_bus *bus);
struct uvdpa_device *uvdpa_bus_dev_at(const struct uvdpa_bus *bus, unsigned i);
struct uvdpa_device *uvdpa_bus_find_dev(const struct uvdpa_bus *bus, const char *name);

#ifdef __cplusplus
}
#endif
#endif
