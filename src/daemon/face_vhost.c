// SPDX-License-Identifier: MIT
/* The vhost-user face (src/vhost) behind the daemon's face registry. */
#include <string.h>

#include "daemon/faces.h"
#include "daemon/log.h"
#include "vhost/vhost_face.h"

_Static_assert((int)UVDPA_VHOST_LOG_ERROR == (int)DLOG_ERROR &&
	       (int)UVDPA_VHOST_LOG_DEBUG == (int)DLOG_DEBUG, "log levels line up");

static void vhost_log(void *opaque, enum uvdpa_vhost_log_level level, const char *line)
{
	(void)opaque;
	dlog((enum dlog_level)level, "%s", line);
}

static void *vhost_create(struct uvdpa_bus *bus, const char *rundir)
{
	struct uvdpa_vhost_face *face = uvdpa_vhost_face_new(bus, rundir);

	if (face)
		uvdpa_vhost_face_set_log(face, vhost_log, NULL);
	return face;
}

static void vhost_destroy(void *face)
{
	uvdpa_vhost_face_free(face);
}

static void vhost_added(void *face, struct uvdpa_device *d)
{
	int err = uvdpa_vhost_face_device_added(face, d);

	/* The device exists either way; without a socket it is only unusable
	 * through vhost-user, and the log says why. */
	if (err < 0)
		dlog(DLOG_ERROR, "device %s: no vhost-user socket: %s", d->name, strerror(-err));
}

static void vhost_removed(void *face, struct uvdpa_device *d)
{
	uvdpa_vhost_face_device_removed(face, d);
}

static const char *vhost_socket_path(void *face, struct uvdpa_device *d)
{
	return uvdpa_vhost_face_socket_path(face, d);
}

const struct face_ops vhost_face_ops = {
	.name = "vhost-user",
	.create = vhost_create,
	.destroy = vhost_destroy,
	.device_added = vhost_added,
	.device_removed = vhost_removed,
	.socket_path = vhost_socket_path,
};
