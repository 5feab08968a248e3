// SPDX-License-Identifier: MIT
/* The vhost-user face (src/vhost) behind the daemon's face registry. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

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

/* The face and where its sockets go, for the messages of a refused device. */
struct vhost_face {
	struct uvdpa_vhost_face *face;
	char *dir;
};

static void *vhost_create(struct uvdpa_bus *bus, const char *rundir)
{
	struct vhost_face *vf = calloc(1, sizeof(*vf));

	if (!vf)
		return NULL;
	vf->face = uvdpa_vhost_face_new(bus, rundir);
	vf->dir = strdup(rundir);
	if (!vf->face || !vf->dir) {
		uvdpa_vhost_face_free(vf->face);
		free(vf->dir);
		free(vf);
		return NULL;
	}
	uvdpa_vhost_face_set_log(vf->face, vhost_log, NULL);
	return vf;
}

static void vhost_destroy(void *face)
{
	struct vhost_face *vf = face;

	uvdpa_vhost_face_free(vf->face);
	free(vf->dir);
	free(vf);
}

/* What the user must fix, in the words of uvdpa_vhost_face_device_added's errors. */
static void refusal(const struct vhost_face *vf, const struct uvdpa_device *d, int err,
		    char *msg, size_t size)
{
	char path[PATH_MAX + 64];
	int n = snprintf(path, sizeof(path), "%s/%s.sock", vf->dir, d->name);

	switch (err) {
	case -ENAMETOOLONG:
		snprintf(msg, size, "vdpa: vhost-user socket path %s is too long "
			 "(%d bytes, a Unix socket takes at most %zu)", path, n,
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		break;
	case -EEXIST:
		snprintf(msg, size, "vdpa: %s exists and is not a socket", path);
		break;
	case -EADDRINUSE:
		snprintf(msg, size, "vdpa: %s is served by another process", path);
		break;
	default:
		snprintf(msg, size, "vdpa: cannot listen on %s: %s", path, strerror(-err));
	}
}

static int vhost_added(void *face, struct uvdpa_device *d, char *msg, size_t size)
{
	struct vhost_face *vf = face;
	int err = uvdpa_vhost_face_device_added(vf->face, d);

	/* A device no front end can reach is refused: dev add fails instead
	 * of reporting success for something unusable. */
	if (err < 0)
		refusal(vf, d, err, msg, size);
	return err;
}

static void vhost_removed(void *face, struct uvdpa_device *d)
{
	uvdpa_vhost_face_device_removed(((struct vhost_face *)face)->face, d);
}

static const char *vhost_socket_path(void *face, struct uvdpa_device *d)
{
	return uvdpa_vhost_face_socket_path(((struct vhost_face *)face)->face, d);
}

const struct face_ops vhost_face_ops = {
	.name = "vhost-user",
	.create = vhost_create,
	.destroy = vhost_destroy,
	.device_added = vhost_added,
	.device_removed = vhost_removed,
	.socket_path = vhost_socket_path,
};
