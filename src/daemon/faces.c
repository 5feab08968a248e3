// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/faces.h"
#include "daemon/log.h"

static const struct face_ops *const builtin_faces[] = {
#ifdef UVDPAD_HAVE_VHOST_FACE
	&vhost_face_ops,
#endif
	NULL,
};

/* The kernel face, started when the first device wants it. */
static int kernel_face(struct faces *fs)
{
	if (fs->kernel.face)
		return 0;
	fs->kernel.face = fs->kernel.ops->create(fs->bus, fs->kernel.rundir);
	if (!fs->kernel.face) {
		snprintf(fs->msg, sizeof(fs->msg), "vdpa: cannot start the %s face: %s",
			 fs->kernel.ops->name, strerror(errno));
		return -ENOMEM;
	}
	dlog(DLOG_DEBUG, "%s face started", fs->kernel.ops->name);
	return 0;
}

/* The device's own choice (DEV_NEW), else the daemon's default. */
static bool wants_kernel(struct faces *fs)
{
	int want = fs->kernel.next;

	fs->kernel.next = -1;
	if (!fs->kernel.ops)
		return false;
	return want < 0 ? fs->kernel.by_default : want == 1;
}

static int on_added(void *opaque, struct uvdpa_device *d, const char **msg)
{
	struct faces *fs = opaque;
	bool kernel = wants_kernel(fs);
	unsigned i;
	int err;

	if (fs->poll != UVDPA_POLL_OFF) {
		if (d->ops->set_poll_mode && d->ops->set_poll_mode(d, fs->poll) == 0)
			d->poll_default = fs->poll;
		else
			dlog(DLOG_WARN, "device %s cannot poll; it runs on kicks", d->name);
	}
	for (i = 0; i < fs->n; i++) {
		fs->msg[0] = '\0';
		err = fs->f[i].ops->device_added(fs->f[i].face, d, fs->msg, sizeof(fs->msg));
		if (err < 0)
			goto undo;
	}
	if (kernel) {
		fs->msg[0] = '\0';
		err = kernel_face(fs);
		if (err == 0)
			err = fs->kernel.ops->device_added(fs->kernel.face, d, fs->msg,
							   sizeof(fs->msg));
		if (err < 0) {
			if (!fs->msg[0])
				snprintf(fs->msg, sizeof(fs->msg), "vdpa: the %s face cannot serve "
					 "the device: %s", fs->kernel.ops->name, strerror(-err));
			goto undo;
		}
	}
	dlog(DLOG_INFO, "device %s added", d->name);
	return 0;
undo:
	if (!fs->msg[0])
		snprintf(fs->msg, sizeof(fs->msg), "vdpa: the %s face cannot serve the device: %s",
			 fs->f[i].ops->name, strerror(-err));
	dlog(DLOG_ERROR, "device %s refused: %s", d->name, fs->msg);
	while (i-- > 0)
		fs->f[i].ops->device_removed(fs->f[i].face, d);
	if (msg)
		*msg = fs->msg;
	return err;
}

static void on_removed(void *opaque, struct uvdpa_device *d)
{
	struct faces *fs = opaque;
	unsigned i;

	/* Reverse order: the last face to see the device lets go first (the
	 * kernel face ignores a device it does not serve). */
	if (fs->kernel.face)
		fs->kernel.ops->device_removed(fs->kernel.face, d);
	for (i = fs->n; i-- > 0;)
		fs->f[i].ops->device_removed(fs->f[i].face, d);
	dlog(DLOG_INFO, "device %s removed", d->name);
}

int faces_start(struct faces *fs, struct uvdpa_bus *bus, const char *rundir,
		enum uvdpa_poll_mode poll)
{
	unsigned i;

	memset(fs, 0, sizeof(*fs));
	fs->bus = bus;
	fs->kernel.next = -1;
	fs->poll = poll;
	for (i = 0; builtin_faces[i] && i < FACES_MAX; i++) {
		void *face = builtin_faces[i]->create(bus, rundir);

		if (!face) {
			dlog(DLOG_ERROR, "cannot start the %s face", builtin_faces[i]->name);
			faces_stop(fs);
			return -1;
		}
		fs->f[fs->n].ops = builtin_faces[i];
		fs->f[fs->n].face = face;
		fs->n++;
		dlog(DLOG_DEBUG, "%s face started", builtin_faces[i]->name);
	}
	uvdpa_bus_set_listener(bus, on_added, on_removed, fs);
	return 0;
}

int faces_set_kernel(struct faces *fs, const struct face_ops *ops, const char *rundir,
		     bool by_default)
{
	fs->kernel.ops = ops;
	fs->kernel.rundir = rundir;
	fs->kernel.by_default = by_default;
	if (by_default && kernel_face(fs) < 0) {
		dlog(DLOG_ERROR, "%s", fs->msg);
		fs->kernel.ops = NULL;
		return -1;
	}
	return 0;
}

int faces_next_kernel(void *opaque, int want, const char **msg)
{
	struct faces *fs = opaque;

	if (want == 1 && !fs->kernel.ops) {
		*msg = "vdpa: this uvdpad was built without VDUSE (<linux/vduse.h>): "
		       "it cannot put devices on the kernel's vdpa bus";
		return -EOPNOTSUPP;
	}
	fs->kernel.next = want;
	return 0;
}

void faces_stop(struct faces *fs)
{
	if (fs->bus)
		uvdpa_bus_set_listener(fs->bus, NULL, NULL, NULL);
	if (fs->kernel.face)
		fs->kernel.ops->destroy(fs->kernel.face);
	fs->kernel.face = NULL;
	while (fs->n) {
		fs->n--;
		fs->f[fs->n].ops->destroy(fs->f[fs->n].face);
	}
}

const char *faces_socket_path(void *opaque, struct uvdpa_device *d)
{
	struct faces *fs = opaque;
	unsigned i;

	for (i = 0; i < fs->n; i++) {
		const char *p = fs->f[i].ops->socket_path ?
				fs->f[i].ops->socket_path(fs->f[i].face, d) : NULL;

		if (p)
			return p;
	}
	return NULL;
}

const char *faces_kernel_without(void *opaque, struct uvdpa_device *d)
{
	struct faces *fs = opaque;
	unsigned i;

	if (fs->kernel.face && fs->kernel.ops->kernel_without)
		return fs->kernel.ops->kernel_without(fs->kernel.face, d);
	for (i = 0; i < fs->n; i++) {
		const char *w = fs->f[i].ops->kernel_without ?
				fs->f[i].ops->kernel_without(fs->f[i].face, d) : NULL;

		if (w)
			return w;
	}
	return NULL;
}
