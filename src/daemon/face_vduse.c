// SPDX-License-Identifier: MIT
/* The kernel face (src/vduse) behind the daemon's face registry: started by
 * `uvdpad --vduse`, it puts every device on the kernel's vdpa bus too. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/faces.h"
#include "daemon/log.h"
#include "vduse/vduse_face.h"

_Static_assert((int)UVDPA_VDUSE_LOG_ERROR == (int)DLOG_ERROR &&
	       (int)UVDPA_VDUSE_LOG_DEBUG == (int)DLOG_DEBUG, "log levels line up");

static void vduse_face_log(void *opaque, enum uvdpa_vduse_log_level level, const char *line)
{
	(void)opaque;
	dlog((enum dlog_level)level, "%s", line);
}

/* dir is the daemon's vhost directory, $UVDPA_RUNDIR/vhost: the records
 * go beside it, in $UVDPA_RUNDIR/vduse. */
static void *vduse_create(struct uvdpa_bus *bus, const char *dir)
{
	struct uvdpa_vduse_face *f = uvdpa_vduse_face_new(vduse_face_log, NULL);
	char rundir[PATH_MAX];
	const char *slash = dir ? strrchr(dir, '/') : NULL;

	(void)bus;
	if (f && slash && (size_t)(slash - dir) < sizeof(rundir)) {
		memcpy(rundir, dir, (size_t)(slash - dir));
		rundir[slash - dir] = '\0';
		uvdpa_vduse_face_set_rundir(f, rundir);
	}
	return f;
}

static void vduse_destroy(void *face)
{
	uvdpa_vduse_face_free(face);
}

static int vduse_added(void *face, struct uvdpa_device *d, char *msg, size_t size)
{
	return uvdpa_vduse_face_device_added(face, d, msg, size);
}

static void vduse_removed(void *face, struct uvdpa_device *d)
{
	uvdpa_vduse_face_device_removed(face, d);
}

static const char *vduse_without(void *face, struct uvdpa_device *d)
{
	return uvdpa_vduse_face_subset(face, d);
}

const struct face_ops vduse_face_ops = {
	.name = "vduse",
	.create = vduse_create,
	.destroy = vduse_destroy,
	.device_added = vduse_added,
	.device_removed = vduse_removed,
	.kernel_without = vduse_without,
};
