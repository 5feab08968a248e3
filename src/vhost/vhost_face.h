/* SPDX-License-Identifier: MIT */
/*
 * The vhost face: every device on the bus as a vhost-user back end.
 *
 * For each device added, the face listens on <rundir>/<name>.sock and serves
 * one front end at a time (QEMU, DPDK virtio-user, libuvdpa's own front end).
 * One face thread waits on every listening socket; a connected front end
 * gets a control thread for as long as it stays, so idle devices cost no
 * thread. The datapath stays on the device's worker, which waits on the
 * front end's kick eventfds directly. When a front end disconnects or
 * misbehaves (including shrinking memory it shared: see vhost_fault.h), the
 * device is reset to a clean state and the next one may connect. Removing
 * the device closes the connection and removes the socket.
 *
 * Creating a face installs the process's SIGBUS guard (once).
 * The daemon calls these from its bus listener (one thread).
 */
#ifndef UVDPA_VHOST_FACE_H
#define UVDPA_VHOST_FACE_H

#include <uvdpa/bus.h>
#include <uvdpa/device.h>

struct uvdpa_vhost_face;

/* How loud a log line is; the same order as uvdpad's levels. */
enum uvdpa_vhost_log_level {
	UVDPA_VHOST_LOG_ERROR,
	UVDPA_VHOST_LOG_WARN,           /* a front end misbehaved */
	UVDPA_VHOST_LOG_INFO,           /* front ends coming and going */
	UVDPA_VHOST_LOG_DEBUG,          /* every message */
};
/* Called from the face's threads, one whole line at a time. */
typedef void uvdpa_vhost_log_fn(void *opaque, enum uvdpa_vhost_log_level level, const char *line);

/* rundir must exist; NULL on allocation failure. Logs go to stderr until
 * uvdpa_vhost_face_set_log says otherwise. */
struct uvdpa_vhost_face *uvdpa_vhost_face_new(struct uvdpa_bus *bus, const char *rundir);
/* Before the first device is added: where log lines go (NULL: stderr). */
void uvdpa_vhost_face_set_log(struct uvdpa_vhost_face *face, uvdpa_vhost_log_fn *fn,
			      void *opaque);
/* Stops serving every device still registered with the face. */
void uvdpa_vhost_face_free(struct uvdpa_vhost_face *face);

/* Starts listening for d. -ENAMETOOLONG if the socket path does not fit,
 * -EADDRINUSE if another live process serves that path, or -errno. */
int uvdpa_vhost_face_device_added(struct uvdpa_vhost_face *face, struct uvdpa_device *d);
/* Drops d's front end (resetting d), stops its thread, removes its socket. */
void uvdpa_vhost_face_device_removed(struct uvdpa_vhost_face *face, struct uvdpa_device *d);
/* The socket path of d, or NULL if the face does not serve d. */
const char *uvdpa_vhost_face_socket_path(struct uvdpa_vhost_face *face, struct uvdpa_device *d);

#endif
