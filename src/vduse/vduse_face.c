// SPDX-License-Identifier: MIT
/* The kernel face's thread and device registry (see vduse_face.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/bus_priv.h"
#include "vduse/vduse_priv.h"

#define ORPHAN_RETRY_MS 1000

void vduse_log(struct uvdpa_vduse_face *f, enum uvdpa_vduse_log_level level,
	       const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!f->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->log(f->log_opaque, level, line);
}

static struct vduse_dev *by_id(struct uvdpa_vduse_face *f, uint32_t id)
{
	struct vduse_dev *v;

	for (v = f->devs; v; v = v->next)
		if (v->id == id)
			return v;
	return NULL;
}

static struct vduse_dev *by_device(struct uvdpa_vduse_face *f, const struct uvdpa_device *d)
{
	struct vduse_dev *v;

	for (v = f->devs; v; v = v->next)
		if (v->d == d)
			return v;
	return NULL;
}

static void unlink_dev(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	struct vduse_dev **p;

	for (p = &f->devs; *p; p = &(*p)->next)
		if (*p == v) {
			*p = v->next;
			return;
		}
}

/* Destroys an orphan once the kernel lets go of it; true when it is gone. */
static bool orphan_try(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	int err;

	vduse_dev_unwatch(f, v);
	err = vduse_dev_destroy(f, v);
	if (err == -EBUSY && v->fd >= 0) {
		vduse_dev_watch(f, v);
		return false;
	}
	if (err < 0 && err != -EBUSY)
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "VDUSE device %s: destroy failed: %s",
			  v->name, strerror(-err));
	else if (err == 0)
		vduse_log(f, UVDPA_VDUSE_LOG_INFO, "VDUSE device %s destroyed", v->name);
	unlink_dev(f, v);
	f->orphans--;
	vduse_dev_free(f, v);
	return true;
}

static void orphans_retry(struct uvdpa_vduse_face *f)
{
	struct vduse_dev *v = f->devs, *next;

	for (; v; v = next) {
		next = v->next;
		if (!v->d)
			orphan_try(f, v);
	}
}

/* The thread may sleep without a timeout: wake it to take one. */
static void wake(struct uvdpa_vduse_face *f)
{
	uint64_t one = 1;

	if (write(f->wake_fd, &one, sizeof(one)) != sizeof(one))
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "cannot wake the VDUSE face thread");
}

static void dispatch(struct uvdpa_vduse_face *f, uint64_t key)
{
	struct vduse_dev *v = by_id(f, (uint32_t)(key >> 32));
	uint32_t what = (uint32_t)key;

	/* Removed after epoll_wait returned: the event is stale. */
	if (!v)
		return;
	if (what == VDUSE_KEY_MSG) {
		vduse_msg_drain(f, v);
		/* `vdpa dev del` resets the device: an orphan may be free now. */
		if (!v->d)
			orphan_try(f, v);
	} else if (what == VDUSE_KEY_CFG) {
		vduse_cfg_changed(f, v);
	} else if (what == VDUSE_KEY_FAULT) {
		vduse_fault(f, v);
	} else if (what - VDUSE_KEY_IRQ < v->nvqs) {
		vduse_irq(f, v, what - VDUSE_KEY_IRQ);
	}
}

static void *face_thread(void *arg)
{
	struct uvdpa_vduse_face *f = arg;
	struct epoll_event evs[32];

	for (;;) {
		int i, n, timeout;

		pthread_mutex_lock(&f->lock);
		timeout = f->orphans ? ORPHAN_RETRY_MS : -1;
		pthread_mutex_unlock(&f->lock);
		n = epoll_wait(f->epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&f->lock);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == UINT64_MAX) {
				pthread_mutex_unlock(&f->lock);
				return NULL;
			}
			if (evs[i].data.u64 == UINT64_MAX - 1) {
				uint64_t c;

				/* Only the timeout it re-arms matters. */
				(void)!read(f->wake_fd, &c, sizeof(c));
				continue;
			}
			dispatch(f, evs[i].data.u64);
		}
		if (n == 0 && f->orphans)
			orphans_retry(f);
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

struct uvdpa_vduse_face *uvdpa_vduse_face_new(uvdpa_vduse_log_fn *log, void *opaque)
{
	struct uvdpa_vduse_face *f = calloc(1, sizeof(*f));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	struct epoll_event wev = { .events = EPOLLIN, .data.u64 = UINT64_MAX - 1 };

	if (!f)
		return NULL;
	f->log = log;
	f->log_opaque = opaque;
	f->next_id = 1;
	vhost_fault_install();
	f->stop_fd = f->wake_fd = -1;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->epfd < 0 || f->stop_fd < 0 || f->wake_fd < 0 ||
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->stop_fd, &ev) < 0 ||
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->wake_fd, &wev) < 0)
		goto fail;
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->thread, NULL, face_thread, f) != 0) {
		pthread_mutex_destroy(&f->lock);
		goto fail;
	}
	pthread_setname_np(f->thread, "uvdpa-vduse");
	return f;
fail:
	if (f->epfd >= 0)
		close(f->epfd);
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	free(f);
	return NULL;
}

void uvdpa_vduse_face_free(struct uvdpa_vduse_face *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	if (write(f->stop_fd, &one, sizeof(one)) != sizeof(one))
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "cannot stop the VDUSE face thread");
	pthread_join(f->thread, NULL);
	while (f->devs) {
		struct vduse_dev *v = f->devs;

		f->devs = v->next;
		vduse_dev_unwatch(f, v);
		vduse_dev_detach(f, v);
		if (vduse_dev_destroy(f, v) != -EBUSY)
			;
		else if (v->rec)
			vduse_log(f, UVDPA_VDUSE_LOG_INFO, "VDUSE device %s kept: the kernel's vdpa "
				  "device %s exists; the next uvdpad takes it over", v->name, v->name);
		else
			vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "VDUSE device %s left behind: the "
				  "kernel's vdpa device %s still exists (vdpa dev del %s)",
				  v->name, v->name, v->name);
		vduse_dev_free(f, v);
	}
	pthread_mutex_destroy(&f->lock);
	close(f->epfd);
	close(f->stop_fd);
	close(f->wake_fd);
	free(f);
}

int uvdpa_vduse_face_device_added(struct uvdpa_vduse_face *f, struct uvdpa_device *d,
				  char *msg, size_t size)
{
	struct vduse_dev *v;
	int err;

	pthread_mutex_lock(&f->lock);
	err = vduse_dev_create(f, d, &v, msg, size);
	if (err == 0) {
		bool taken = v->resuming;

		v->id = f->next_id++;
		err = vduse_dev_watch(f, v);
		if (err < 0)
			snprintf(msg, size, "vdpa: cannot watch /dev/vduse/%s: %s", v->name,
				 strerror(-err));
		/* Under the lock: the kernel's messages wait until the device is back. */
		else if (taken)
			err = vduse_msg_resume(f, v, msg, size);
		if (err < 0) {
			vduse_dev_unwatch(f, v);
			/* Not ours to destroy when we only came to take it over. */
			if (!taken)
				vduse_dev_destroy(f, v);
			vduse_dev_free(f, v);
		} else {
			v->next = f->devs;
			f->devs = v;
			vduse_log(f, UVDPA_VDUSE_LOG_INFO, "%s exported as /dev/vduse/%s (%u queues, "
				  "features 0x%llx%s%s)", d->name, v->name, v->nvqs,
				  (unsigned long long)v->features, v->subset[0] ? "; VDUSE takes no " : "",
				  v->subset);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return err;
}

void uvdpa_vduse_face_device_removed(struct uvdpa_vduse_face *f, struct uvdpa_device *d)
{
	struct vduse_dev *v;
	int err;

	pthread_mutex_lock(&f->lock);
	v = by_device(f, d);
	if (v) {
		vduse_dev_unwatch(f, v);
		vduse_dev_detach(f, v);
		err = vduse_dev_destroy(f, v);
		/* Deleted: no uvdpad after us has it to take over; unless we are
		 * stopping and the next start brings it back (state file). */
		if (err != -EBUSY || !uvdpa_bus_keeps_devices(d->bus))
			vduse_record_remove(v);
		if (err == -EBUSY && v->fd >= 0) {
			vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "VDUSE device %s kept: the kernel's vdpa "
				  "device %s still exists; it is destroyed after `vdpa dev del %s`",
				  v->name, v->name, v->name);
			f->orphans++;
			vduse_dev_watch(f, v);
			wake(f);
		} else {
			if (err < 0)
				vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "VDUSE device %s: destroy failed: %s",
					  v->name, strerror(-err));
			unlink_dev(f, v);
			vduse_dev_free(f, v);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

int uvdpa_vduse_face_set_rundir(struct uvdpa_vduse_face *f, const char *rundir)
{
	int err;

	pthread_mutex_lock(&f->lock);
	err = vduse_record_dir(f, rundir);
	pthread_mutex_unlock(&f->lock);
	return err;
}

const char *uvdpa_vduse_face_subset(struct uvdpa_vduse_face *f, struct uvdpa_device *d)
{
	struct vduse_dev *v;
	const char *s;

	pthread_mutex_lock(&f->lock);
	v = by_device(f, d);
	s = v ? v->subset : NULL;
	pthread_mutex_unlock(&f->lock);
	return s;
}
