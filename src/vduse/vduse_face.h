/* SPDX-License-Identifier: MIT */
/*
 * The kernel face: uvdpa devices exported onto the running kernel's vdpa bus
 * through VDUSE (drivers/vdpa/vdpa_user/vduse_dev.c, seen from the daemon's
 * side). For each device the face creates /dev/vduse/NAME; the user then puts
 * it on the kernel's bus with `vdpa dev add name NAME mgmtdev vduse`, and
 * virtio_vdpa or vhost_vdpa drive it.
 *
 * Threads: one face thread serves every exported device from an epoll set:
 * the kernel's messages (non-blocking read/write of vduse_dev_request and
 * vduse_dev_response), the devices' interrupt eventfds (turned into
 * VDUSE_VQ_INJECT_IRQ, never under a device lock) and config-change
 * eventfds. device_added/removed run on the caller's thread and take the
 * face mutex that the face thread holds while it handles events.
 */
#ifndef UVDPA_VDUSE_FACE_H
#define UVDPA_VDUSE_FACE_H

#include <stddef.h>
#include <uvdpa/device.h>

enum uvdpa_vduse_log_level {
	UVDPA_VDUSE_LOG_ERROR,
	UVDPA_VDUSE_LOG_WARN,
	UVDPA_VDUSE_LOG_INFO,
	UVDPA_VDUSE_LOG_DEBUG,
};
typedef void uvdpa_vduse_log_fn(void *opaque, enum uvdpa_vduse_log_level level,
				const char *line);

struct uvdpa_vduse_face;

/* NULL on failure (errno set). The log function may be called from the face thread. */
struct uvdpa_vduse_face *uvdpa_vduse_face_new(uvdpa_vduse_log_fn *log, void *opaque);
/* Devices should be gone; any still exported are destroyed as removed. */
void uvdpa_vduse_face_free(struct uvdpa_vduse_face *f);

/*
 * Where the face keeps, per exported device, what a uvdpad after this one
 * needs to take the kernel's device over ($rundir/vduse/NAME.vduse; tmpfs).
 * Without it (never called, or the directory unusable: logged, -errno)
 * devices are exported but cannot be taken over.
 */
int uvdpa_vduse_face_set_rundir(struct uvdpa_vduse_face *f, const char *rundir);

/*
 * Creates the VDUSE device for d (same name) and serves it. If the kernel
 * has a VDUSE device of that name already, left by a uvdpad that died, the
 * face takes it over when the record that uvdpad kept is for that very
 * device and matches d: the kernel's driver carries on, what was in flight
 * is resubmitted. Otherwise it is refused (-EEXIST), the kernel's device
 * untouched. 0, or a negative
 * errno with msg[size] saying why ("vdpa: ..."); nothing is left behind then.
 */
int uvdpa_vduse_face_device_added(struct uvdpa_vduse_face *f, struct uvdpa_device *d,
				  char *msg, size_t size);
/*
 * Stops serving d and destroys its VDUSE device. While the kernel's vdpa
 * device of that name still exists the kernel refuses (EBUSY): the face logs
 * it and keeps answering the kernel for the orphan until `vdpa dev del`.
 */
void uvdpa_vduse_face_device_removed(struct uvdpa_vduse_face *f, struct uvdpa_device *d);

/*
 * What the kernel sees of d ("" until exported): the features dropped
 * because VDUSE refuses them. NULL when d is not exported.
 */
const char *uvdpa_vduse_face_subset(struct uvdpa_vduse_face *f, struct uvdpa_device *d);

#endif
