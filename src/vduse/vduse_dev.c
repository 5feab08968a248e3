// SPDX-License-Identifier: MIT
/*
 * Creating and destroying a VDUSE device for a uvdpa device: what Linux 6.12's
 * drivers/vdpa/vdpa_user/vduse_dev.c accepts (API version 0, block or net,
 * ACCESS_PLATFORM, a read-only config space: no CONFIG_WCE for block, no
 * control queue for net) and what we drop to get there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vduse/vduse_priv.h"

#define VIRTIO_ID_NET_ 1
#define VIRTIO_ID_BLOCK_ 2
#define F_ACCESS_PLATFORM (1ULL << 33)
#define F_VERSION_1 (1ULL << 32)
#define BLK_F_CONFIG_WCE 11
#define NET_F_CTRL_VQ 17

/* Net features that need the control queue (virtio 1.2 §5.1.3.1), dropped with it. */
static const struct { unsigned bit; const char *name; } net_ctrl_bits[] = {
	{ 2, "CTRL_GUEST_OFFLOADS" }, { 17, "CTRL_VQ" }, { 18, "CTRL_RX" }, { 19, "CTRL_VLAN" },
	{ 20, "CTRL_RX_EXTRA" }, { 21, "GUEST_ANNOUNCE" }, { 22, "MQ" }, { 23, "CTRL_MAC_ADDR" },
	{ 52, "VQ_NOTF_COAL" }, { 53, "NOTF_COAL" }, { 60, "RSS" },
};

static int open_control(char *msg, size_t size)
{
	uint64_t version = 0;
	int fd = open(VDUSE_CONTROL, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
			snprintf(msg, size, "vdpa: no %s: the kernel has no VDUSE "
				 "(modprobe vduse; Linux 5.15+, net devices 6.10+)", VDUSE_CONTROL);
		else if (err == -EACCES || err == -EPERM)
			snprintf(msg, size, "vdpa: no permission to open %s (uvdpad needs root "
				 "or access to it)", VDUSE_CONTROL);
		else
			snprintf(msg, size, "vdpa: cannot open %s: %s", VDUSE_CONTROL, strerror(-err));
		return err;
	}
	if (ioctl(fd, VDUSE_SET_API_VERSION, &version) < 0) {
		err = -errno;
		snprintf(msg, size, "vdpa: the kernel's VDUSE refuses API version 0: %s",
			 strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* What the kernel will accept of d's features; the dropped names go to subset. */
static int vduse_features(struct uvdpa_device *d, uint32_t id, uint64_t *out,
			  char *subset, size_t ssize, char *msg, size_t size)
{
	uint64_t f = d->ops->get_device_features(d) | F_ACCESS_PLATFORM;
	size_t used = 0;
	unsigned i;

	subset[0] = '\0';
	if (id == VIRTIO_ID_BLOCK_ && (f >> BLK_F_CONFIG_WCE) & 1) {
		f &= ~(1ULL << BLK_F_CONFIG_WCE);
		snprintf(subset, ssize, "CONFIG_WCE");
	}
	if (id == VIRTIO_ID_NET_) {
		if (!(f & F_VERSION_1)) {
			snprintf(msg, size, "vdpa: the kernel's VDUSE takes net devices with "
				 "VERSION_1 only");
			return -EINVAL;
		}
		for (i = 0; i < sizeof(net_ctrl_bits) / sizeof(net_ctrl_bits[0]); i++) {
			if (!((f >> net_ctrl_bits[i].bit) & 1))
				continue;
			f &= ~(1ULL << net_ctrl_bits[i].bit);
			used = strlen(subset);
			snprintf(subset + used, ssize - used, "%s%s", used ? "," : "",
				 net_ctrl_bits[i].name);
		}
	}
	*out = f;
	return 0;
}

/* The node appears through devtmpfs as CREATE_DEV returns; udev may lag. */
static int open_node(const char *name)
{
	char path[sizeof(VDUSE_DEV_DIR) + VDUSE_NAME_MAX];
	struct timespec ms = { 0, 1000000 };
	int i, fd = -1;

	snprintf(path, sizeof(path), VDUSE_DEV_DIR "%s", name);
	for (i = 0; i < 500 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			break;
		if (fd < 0)
			nanosleep(&ms, NULL);
	}
	return fd < 0 ? -errno : fd;
}

static int kernel_destroy(const char *name)
{
	char buf[VDUSE_NAME_MAX] = { 0 };
	char msg[128];
	int fd = open_control(msg, sizeof(msg));
	int err = 0;

	if (fd < 0)
		return fd;
	snprintf(buf, sizeof(buf), "%s", name);
	if (ioctl(fd, VDUSE_DESTROY_DEV, buf) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int create_dev(struct vduse_dev *v, struct uvdpa_device *d, uint32_t id,
		      char *msg, size_t size)
{
	size_t csize = d->ops->get_config_size(d);
	struct vduse_dev_config *cfg = calloc(1, sizeof(*cfg) + csize);
	int ctl, err = 0;

	if (!cfg)
		return -ENOMEM;
	snprintf(cfg->name, sizeof(cfg->name), "%s", v->name);
	cfg->vendor_id = d->ops->get_vendor_id(d);
	cfg->device_id = id;
	cfg->features = v->features;
	cfg->vq_num = v->nvqs;
	cfg->vq_align = d->ops->get_vq_align(d);
	cfg->config_size = (uint32_t)csize;
	uvdpa_device_get_config(d, 0, cfg->config, (unsigned)csize);
	ctl = open_control(msg, size);
	if (ctl < 0) {
		free(cfg);
		return ctl;
	}
	if (ioctl(ctl, VDUSE_CREATE_DEV, cfg) < 0) {
		err = -errno;
		if (err == -EEXIST)
			snprintf(msg, size, "vdpa: a VDUSE device named \"%s\" exists already", v->name);
		else if (err == -EPERM)
			snprintf(msg, size, "vdpa: the kernel refuses to create VDUSE device \"%s\" "
				 "(net devices need CAP_NET_ADMIN)", v->name);
		else
			snprintf(msg, size, "vdpa: the kernel's VDUSE refuses device \"%s\" "
				 "(id %u, features 0x%llx, %u queues, config %zu bytes): %s", v->name,
				 id, (unsigned long long)v->features, v->nvqs, csize, strerror(-err));
	}
	close(ctl);
	free(cfg);
	return err;
}

static int setup_queues(struct vduse_dev *v, struct uvdpa_device *d, char *msg, size_t size)
{
	uint32_t i;

	for (i = 0; i < v->nvqs; i++) {
		struct vduse_vq_config q = { .index = i, .max_size = d->ops->get_vq_num_max(d) };

		if (ioctl(v->fd, VDUSE_VQ_SETUP, &q) < 0) {
			int err = -errno;

			snprintf(msg, size, "vdpa: VDUSE refuses queue %u of \"%s\": %s", i,
				 v->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int make_eventfds(struct vduse_dev *v)
{
	uint32_t i;

	v->kick_fds = malloc(v->nvqs * sizeof(int));
	v->irq_fds = malloc(v->nvqs * sizeof(int));
	if (!v->kick_fds || !v->irq_fds)
		return -ENOMEM;
	for (i = 0; i < v->nvqs; i++)
		v->kick_fds[i] = v->irq_fds[i] = -1;
	for (i = 0; i < v->nvqs; i++) {
		v->kick_fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		v->irq_fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (v->kick_fds[i] < 0 || v->irq_fds[i] < 0)
			return -errno;
	}
	v->cfg_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	v->fault.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return v->cfg_fd < 0 || v->fault.wake_fd < 0 ? -errno : 0;
}

/* The kernel's device has exactly our queue count: the last one answers,
 * the one past it does not. */
static int kernel_queues_match(struct vduse_dev *v)
{
	struct vduse_vq_info last = { .index = v->nvqs - 1 }, past = { .index = v->nvqs };

	if (ioctl(v->fd, VDUSE_VQ_GET_INFO, &last) < 0)
		return -errno;
	if (ioctl(v->fd, VDUSE_VQ_GET_INFO, &past) == 0)
		return -E2BIG;
	return 0;
}

#define TAKEN "vdpa: a VDUSE device named \"%s\" exists already"

/*
 * The kernel's device of that name stays while a uvdpad dies: the next one
 * serves it again if the record the last one kept describes it and this
 * device (vduse_record.c). Refusing leaves the kernel's device as it is.
 * The kernel allows one opener of the node and re-queues the messages the
 * dead one read and did not answer; the device's state comes back in
 * vduse_msg_resume once the face watches the node.
 */
static int take_over(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		     const struct vduse_rec_want *w, char *msg, size_t size)
{
	char path[sizeof(VDUSE_DEV_DIR) + VDUSE_NAME_MAX], why[384];
	int err;

	snprintf(path, sizeof(path), VDUSE_DEV_DIR "%s", v->name);
	v->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v->fd < 0) {
		err = -errno;
		if (err == -EBUSY)
			snprintf(msg, size, TAKEN " and another process serves it (%s is open)",
				 v->name, path);
		else
			snprintf(msg, size, TAKEN "; cannot open %s to take it over: %s", v->name,
				 path, strerror(-err));
		return err == -EBUSY ? -EEXIST : err;
	}
	err = vduse_record_open(f, v, w, why, sizeof(why));
	if (err < 0) {
		snprintf(msg, size, TAKEN "; not taken over: its record %s", v->name, why);
		return -EEXIST;
	}
	err = kernel_queues_match(v);
	if (err < 0) {
		snprintf(msg, size, TAKEN "; not taken over: the kernel's device does not have "
			 "%u queues (%s)", v->name, v->nvqs, strerror(-err));
		return -EEXIST;
	}
	err = make_eventfds(v);
	if (err < 0) {
		snprintf(msg, size, "vdpa: no eventfds for \"%s\": %s", v->name, strerror(-err));
		return err;
	}
	v->resuming = true;
	return 0;
}

/* The kernel's view of the queues: net without a control queue has one pair. */
static uint32_t kernel_nvqs(const struct vduse_dev *v, struct uvdpa_device *d, uint32_t id)
{
	if (id == VIRTIO_ID_NET_ && !((v->features >> NET_F_CTRL_VQ) & 1))
		return d->nvqs < 2 ? d->nvqs : 2;
	return d->nvqs;
}

int vduse_dev_create(struct uvdpa_vduse_face *f, struct uvdpa_device *d,
		     struct vduse_dev **out, char *msg, size_t size)
{
	uint32_t id = d->ops->get_device_id(d);
	struct vduse_rec_want want;
	struct vduse_dev *v;
	int err;

	if (id != VIRTIO_ID_NET_ && id != VIRTIO_ID_BLOCK_) {
		snprintf(msg, size, "vdpa: the kernel's VDUSE takes block and net devices only "
			 "(device id %u)", id);
		return -EOPNOTSUPP;
	}
	if (strlen(d->name) >= VDUSE_NAME_MAX || !d->ops->set_vq_kick_fd || !d->ops->set_map) {
		snprintf(msg, size, "vdpa: device \"%s\" cannot be exported through VDUSE", d->name);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = v->cfg_fd = v->fault.wake_fd = -1;
	v->d = d;
	snprintf(v->name, sizeof(v->name), "%s", d->name);
	err = vduse_features(d, id, &v->features, v->subset, sizeof(v->subset), msg, size);
	if (err < 0)
		goto fail;
	v->nvqs = kernel_nvqs(v, d, id);
	vduse_record_want(&want, d, id, v->features, v->nvqs);
	err = create_dev(v, d, id, msg, size);
	if (err == -EEXIST) {
		/* A uvdpad before us died and left it (and a driver on it, maybe). */
		err = take_over(f, v, &want, msg, size);
		if (err < 0)
			goto fail;
		*out = v;
		return 0;
	}
	if (err < 0)
		goto fail;
	v->fd = open_node(v->name);
	if (v->fd < 0) {
		err = v->fd;
		snprintf(msg, size, "vdpa: cannot open " VDUSE_DEV_DIR "%s: %s", v->name,
			 strerror(-err));
		kernel_destroy(v->name);
		goto fail;
	}
	err = setup_queues(v, d, msg, size);
	if (err == 0 && (err = make_eventfds(v)) < 0)
		snprintf(msg, size, "vdpa: no eventfds for \"%s\": %s", v->name, strerror(-err));
	if (err < 0) {
		vduse_dev_destroy(f, v);
		goto fail;
	}
	err = vduse_record_create(f, v, &want);
	if (err < 0)
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: no record in %s (%s): the device cannot be "
			  "taken over if uvdpad dies", v->name, f->recdir[0] ? f->recdir : "(no run "
			  "directory)", strerror(-err));
	*out = v;
	return 0;
fail:
	vduse_dev_free(f, v);
	return err;
}

void vduse_dev_detach(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	if (!v->d)
		return;
	/* The device lets go of our eventfds and mappings before they go;
	 * a device another driver holds has none of them. */
	if (v->claimed) {
		uvdpa_device_reset(v->d);
		vduse_iotlb_clear(v);
		uvdpa_device_release(v->d, vduse_owner);
		v->claimed = false;
	}
	v->d = NULL;
	v->status = 0;
}

int vduse_dev_destroy(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	int err;

	/* The kernel counts an open node as a connected daemon: EBUSY. */
	if (v->fd >= 0) {
		close(v->fd);
		v->fd = -1;
	}
	err = kernel_destroy(v->name);
	if (err == 0)
		vduse_record_remove(v);
	if (err == -EBUSY) {
		/* Still on the kernel's vdpa bus: keep answering it. */
		v->fd = open_node(v->name);
	}
	return err;
}

void vduse_dev_free(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	uint32_t i;

	vduse_dev_detach(f, v);
	for (i = 0; i < v->nvqs; i++) {
		if (v->kick_fds && v->kick_fds[i] >= 0)
			close(v->kick_fds[i]);
		if (v->irq_fds && v->irq_fds[i] >= 0)
			close(v->irq_fds[i]);
	}
	free(v->kick_fds);
	free(v->irq_fds);
	if (v->cfg_fd >= 0)
		close(v->cfg_fd);
	if (v->fault.wake_fd >= 0)
		close(v->fault.wake_fd);
	if (v->fd >= 0)
		close(v->fd);
	vduse_record_close(v);
	free(v);
}

static int watch(struct uvdpa_vduse_face *f, int fd, uint64_t key)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = key };

	return fd < 0 ? 0 : epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int vduse_dev_watch(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	uint32_t i;

	if (watch(f, v->fd, vduse_key(v, VDUSE_KEY_MSG)) < 0 ||
	    watch(f, v->cfg_fd, vduse_key(v, VDUSE_KEY_CFG)) < 0 ||
	    watch(f, v->fault.wake_fd, vduse_key(v, VDUSE_KEY_FAULT)) < 0)
		return -errno;
	for (i = 0; i < v->nvqs; i++)
		if (watch(f, v->irq_fds[i], vduse_key(v, VDUSE_KEY_IRQ + i)) < 0)
			return -errno;
	return 0;
}

void vduse_dev_unwatch(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	uint32_t i;

	if (v->fd >= 0)
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, v->fd, NULL);
	if (v->cfg_fd >= 0)
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, v->cfg_fd, NULL);
	if (v->fault.wake_fd >= 0)
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, v->fault.wake_fd, NULL);
	for (i = 0; v->irq_fds && i < v->nvqs; i++)
		if (v->irq_fds[i] >= 0)
			epoll_ctl(f->epfd, EPOLL_CTL_DEL, v->irq_fds[i], NULL);
}
