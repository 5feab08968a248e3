/* SPDX-License-Identifier: MIT */
/*
 * libuvdpa's virtio face: a vDPA device seen from a virtio driver, in the
 * same process (the userspace counterpart of the kernel's virtio_vdpa).
 *
 * A struct uvdpa_virtio binds to one struct uvdpa_device and talks to it
 * only through its ops. The class drivers (uvdpa/net.h, uvdpa/blk.h) are
 * opened on top of it; they run the virtio 1.2 §3.1 initialisation (reset,
 * ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK check, queue set-up,
 * DRIVER_OK) and reset the device when they close, so one uvdpa_virtio can
 * be probed again and again.
 *
 * Buffers the device touches live in memory this library allocates and maps
 * into the device at I/O virtual addresses (set_map); application buffers
 * are copied in and out, never handed to the device.
 *
 * Threading: a uvdpa_virtio and the driver opened on it are used by one
 * thread at a time. The device keeps running its own worker thread(s).
 *
 * Errors are negative errno values, as in liburing.
 */
#ifndef UVDPA_VIRTIO_H
#define UVDPA_VIRTIO_H

#include <stdint.h>
#include <uvdpa/device.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvdpa_virtio;

/*
 * Binds to dev in-process: resets it and sets ACKNOWLEDGE. dev must stay on
 * its bus until uvdpa_virtio_close (deleting a bound device is a bug).
 *
 * Returns 0 and sets *out, or:
 *   -EBUSY   dev is already bound to a face (dev->face_priv is set)
 *   -ENOMEM  out of memory or eventfds
 *   -EIO     the device refused the reset
 */
int uvdpa_virtio_open_local(struct uvdpa_device *dev, struct uvdpa_virtio **out);

/*
 * Resets the device and unbinds from it. Any driver opened on v must be
 * closed first. NULL is accepted.
 */
void uvdpa_virtio_close(struct uvdpa_virtio *v);

/* Virtio device id (1 = net, 2 = block, see <linux/virtio_ids.h>). */
uint32_t uvdpa_virtio_device_id(const struct uvdpa_virtio *v);

/* Features the device offers. */
uint64_t uvdpa_virtio_device_features(const struct uvdpa_virtio *v);

/* Features negotiated by the driver currently open on v (0 if none). */
uint64_t uvdpa_virtio_features(const struct uvdpa_virtio *v);

/* Device status byte (UVDPA_STATUS_* in uvdpa/device.h). */
uint8_t uvdpa_virtio_status(const struct uvdpa_virtio *v);

/* Number of virtqueues the device has. */
unsigned uvdpa_virtio_num_queues(const struct uvdpa_virtio *v);

/*
 * Copies len bytes of device config space from offset into buf, retrying
 * until the config generation is stable (virtio 1.2 §2.5.1). Config fields
 * are little-endian. Returns 0, or -EINVAL if the range is outside the
 * config space or features have not been negotiated yet (reading config
 * before FEATURES_OK would make the device legacy).
 */
int uvdpa_virtio_read_config(struct uvdpa_virtio *v, unsigned offset, void *buf,
			     unsigned len);

/*
 * Resets the device (status 0) and ACKNOWLEDGEs it again. Only valid while
 * no driver is open on v: -EBUSY otherwise; -EIO if the device refused.
 */
int uvdpa_virtio_reset(struct uvdpa_virtio *v);

#ifdef __cplusplus
}
#endif
#endif
