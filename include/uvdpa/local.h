/* SPDX-License-Identifier: MIT */
/*
 * In-process devices: a bus of vDPA devices living in the application
 * itself (the built-in simulators, or a parent driver of its own), driven
 * by libuvdpa's virtio drivers without any socket in between.
 *
 *   struct uvdpa_bus *bus = uvdpa_bus_new();
 *   uvdpa_bus_register_builtin(bus);
 *   uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk"),
 *                     "blk0", &cfg, &dev, &msg);
 *   uvdpa_virtio_open_local(dev, &v);   then uvdpa/blk.h or uvdpa/net.h on v
 *
 * The bus and device model come from uvdpa/bus.h and uvdpa/device.h, the
 * parent-driver API; an application that only reaches devices over
 * vhost-user needs none of this and includes uvdpa/uvdpa.h alone.
 */
#ifndef UVDPA_LOCAL_H
#define UVDPA_LOCAL_H

#include <uvdpa/bus.h>
#include <uvdpa/device.h>
#include <uvdpa/virtio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Binds to dev in-process: resets it and sets ACKNOWLEDGE. dev must stay on
 * its bus until uvdpa_virtio_close (deleting a bound device is a bug).
 *
 * Returns 0 and sets *out, or:
 *   -EINVAL  dev or out NULL
 *   -EBUSY   dev is already bound to a face (dev->face_priv is set), or
 *            another face's driver holds it (uvdpa_device_claim: a vhost-user
 *            front end, the kernel's driver through VDUSE); the binding
 *            holds the claim until uvdpa_virtio_close
 *   -ENOMEM  out of memory or eventfds
 *   -EIO     the device refused the reset
 *
 * Threading: as everything on a uvdpa_virtio, one thread at a time; the
 * device runs its own worker thread(s).
 */
int uvdpa_virtio_open_local(struct uvdpa_device *dev, struct uvdpa_virtio **out);

#ifdef __cplusplus
}
#endif
#endif
