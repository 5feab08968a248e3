/* SPDX-License-Identifier: MIT */
/*
 * What the virtio drivers need from the thing that carries them to a device
 * (the kernel's struct virtio_config_ops plus DMA memory). The in-process
 * transport (transport_local.c) calls struct uvdpa_device_ops; a vhost-user
 * front end implements the same table over a socket, so net.c and blk.c
 * never know which one they run on.
 */
#ifndef UVDPA_DRIVER_TRANSPORT_H
#define UVDPA_DRIVER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uvdpa/device.h>

/* Memory both sides reach: the driver through host, the device through iova. */
struct vdma {
	void *host;
	uint64_t iova;
	size_t size;
};

struct vtransport;
struct uvdpa_vq_drv;

struct vtransport_ops {
	uint32_t (*device_id)(struct vtransport *t);
	uint64_t (*get_features)(struct vtransport *t);
	/* 0, or -EIO if the device refused the set. */
	int (*set_features)(struct vtransport *t, uint64_t features);
	uint8_t (*get_status)(struct vtransport *t);
	void (*set_status)(struct vtransport *t, uint8_t status);
	size_t (*config_size)(struct vtransport *t);
	/* 0, or -EIO if the device could not answer (buf is then zeroed). */
	int (*read_config)(struct vtransport *t, unsigned off, void *buf, unsigned len);
	/* Changes whenever the config may have changed. Over vhost-user it
	 * first answers what the back end sent on its channel. */
	uint32_t (*config_generation)(struct vtransport *t);
	/*
	 * An fd that polls readable when the device may have announced a config
	 * change (config_generation then tells); the same fd for the
	 * transport's life. -EOPNOTSUPP (or NULL) if there is none.
	 */
	int (*config_fd)(struct vtransport *t);

	unsigned (*num_queues)(struct vtransport *t);
	uint16_t (*vq_max_size)(struct vtransport *t, uint16_t idx);
	/* Size and ring IOVAs, then the queue is enabled. */
	int (*vq_setup)(struct vtransport *t, uint16_t idx, uint16_t num, uint64_t desc,
			uint64_t driver, uint64_t device);
	/*
	 * The driver's side of ring idx, once vq_setup succeeded (until the
	 * next reset): a reconnect reads where a packed ring stands there when
	 * no inflight area keeps it. NULL: the transport needs it not.
	 */
	void (*vq_driver)(struct vtransport *t, uint16_t idx, const struct uvdpa_vq_drv *drv);
	void (*kick)(struct vtransport *t, uint16_t idx);
	/* Eventfd (non-blocking) the device writes on a used-buffer notification. */
	int (*call_fd)(struct vtransport *t, uint16_t idx);

	/*
	 * Zeroed memory the device may read and write; 0 or -ENOMEM/-ENOSPC.
	 * The device learns about it at the next dma_sync.
	 */
	int (*dma_alloc)(struct vtransport *t, size_t size, struct vdma *out);
	/* Only after a reset (the device no longer touches it). The memory is
	 * released at the next dma_sync, once the device has forgotten it. */
	void (*dma_free)(struct vtransport *t, struct vdma *d);
	/*
	 * Tells the device about every dma_alloc and dma_free since the last
	 * sync, in one go (one set_map, one vhost-user SET_MEM_TABLE), then
	 * releases freed memory. 0 or -EIO.
	 */
	int (*dma_sync)(struct vtransport *t);

	/* Status 0, every queue disabled; 0 or -EIO. */
	int (*reset)(struct vtransport *t);
	/*
	 * 0, or why the transport can no longer reach the device (a closed or
	 * timed-out connection, a malformed reply). Ops that return nothing
	 * fail quietly; the virtio core asks here. NULL: it never fails.
	 */
	int (*error)(struct vtransport *t);
	/*
	 * An fd that polls POLLHUP/POLLRDHUP when the device goes away (the
	 * vhost-user socket), so waits for a notification end then, not at
	 * their timeout; -1 or NULL: none.
	 */
	int (*hup_fd)(struct vtransport *t);
	/*
	 * The connection hung up (hup_fd said so): connect again and restore
	 * the device as the driver left it, rings at their indexes, so the back
	 * end resubmits what was in flight. 0 once restored; otherwise the
	 * transport is dead (error() says why). NULL: it cannot.
	 */
	int (*reconnect)(struct vtransport *t);
	/*
	 * virtio-net's control commands when the transport answers them itself
	 * (vhost-user: back ends never get the control queue, the front end
	 * turns the commands into ring enables as QEMU does). 0, -EIO (the
	 * device would have said VIRTIO_NET_ERR), -EOPNOTSUPP (nothing the
	 * back end can be told). NULL: the control queue is a ring of the
	 * device, after its last pair.
	 */
	int (*net_ctrl)(struct vtransport *t, uint8_t class, uint8_t cmd, const void *data,
			uint32_t len);
	/* Resets and releases the transport. */
	void (*close)(struct vtransport *t);
};

struct vtransport {
	const struct vtransport_ops *ops;
};

/* The in-process transport over dev (which it marks bound in face_priv). */
int vtransport_local_open(struct uvdpa_device *dev, struct vtransport **out);

/* What uvdpa_vhost_user_opts says, defaults filled in. */
struct vtransport_vu_opts {
	uint32_t device_id;
	uint16_t queue_size_max;
	int timeout_ms;
	size_t mem_size;
	int reconnect_ms;       /* 0: a hang-up is the end */
};

/* The vhost-user front end on the back end listening at path. */
int vtransport_vhost_user_open(const char *path, const struct vtransport_vu_opts *opts,
			       struct vtransport **out);
/* The same on a connected socket, which it takes (fuzzing, tests). */
int vtransport_vhost_user_open_fd(int fd, const struct vtransport_vu_opts *opts,
				  struct vtransport **out);

#endif
