// SPDX-License-Identifier: MIT
/*
 * What a VDUSE device's daemon must find again after it dies: the kernel
 * keeps the device (and the driver on it) but has no "get status" ioctl and
 * knows nothing of the requests the device had taken. So each exported
 * device has a record in $UVDPA_RUNDIR/vduse/NAME.vduse (tmpfs), mmap'd and
 * written on each status change the kernel makes (never per request):
 *
 *   header: which kernel device it describes (boot id, the node's inode and
 *           device number), what the uvdpa device offered (device id,
 *           features, queue count, config space) and what the kernel's
 *           driver set (status, features as of FEATURES_OK);
 *   then one inflight area per queue (the vhost-user INFLIGHT_SHMFD layout,
 *           uvdpa_vq_dev_set_inflight), which the device keeps current as it
 *           takes and completes chains.
 *
 * A new uvdpad that finds the kernel's device takes it over only if the
 * record is for that very device and matches the device it is given; the
 * file may have been left by anything, so every field is checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/vq.h"
#include "vduse/vduse_priv.h"

#define F_RING_PACKED 34
#define DRIVER_OK_ 0x04
#define FEATURES_OK_ 0x08

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* Room for a queue's area: the packed layout is the larger one. */
static size_t area_stride(uint32_t vq_num_max)
{
	return align64(uvdpa_vq_inflight_size((uint16_t)vq_num_max, true));
}

size_t vduse_record_size(uint32_t nvqs, uint32_t vq_num_max)
{
	return align64(sizeof(struct vduse_rec_hdr)) + (size_t)nvqs * area_stride(vq_num_max);
}

static void read_boot_id(char out[VDUSE_REC_BOOT_ID])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, VDUSE_REC_BOOT_ID - 1);

	if (fd >= 0)
		close(fd);
	memset(out + (n > 0 ? n : 0), 0, VDUSE_REC_BOOT_ID - (size_t)(n > 0 ? n : 0));
}

/* Which kernel device the open node is: a device created again under the
 * same name gets a new devtmpfs inode. */
static int node_identity(int fd, struct vduse_rec_want *w)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	w->node_ino = st.st_ino;
	w->node_rdev = st.st_rdev;
	read_boot_id(w->boot_id);
	return 0;
}

void vduse_record_want(struct vduse_rec_want *w, struct uvdpa_device *d, uint32_t id,
		       uint64_t features, uint32_t nvqs)
{
	size_t csize = d->ops->get_config_size(d);

	memset(w, 0, sizeof(*w));
	w->device_id = id;
	w->features = features;
	w->nvqs = nvqs;
	w->vq_num_max = d->ops->get_vq_num_max(d);
	w->config_size = (uint32_t)csize;
	if (csize <= VDUSE_REC_CONFIG_MAX)
		uvdpa_device_get_config(d, 0, w->config, (unsigned)csize);
}

#define REFUSE(...) do { snprintf(msg, size, __VA_ARGS__); return -EINVAL; } while (0)

int vduse_record_check(const void *buf, size_t len, const struct vduse_rec_want *w,
		       char *msg, size_t size)
{
	struct vduse_rec_hdr h;
	size_t want_len;

	if (len < sizeof(h))
		REFUSE("truncated (%zu bytes)", len);
	memcpy(&h, buf, sizeof(h));     /* the file may change under us: check a copy */
	if (memcmp(h.magic, VDUSE_REC_MAGIC, sizeof(h.magic)) || h.version != VDUSE_REC_VERSION ||
	    h.hdr_size != sizeof(h))
		REFUSE("not a uvdpa VDUSE record of version %u", VDUSE_REC_VERSION);
	if (memcmp(h.boot_id, w->boot_id, sizeof(h.boot_id)) || h.node_ino != w->node_ino ||
	    h.node_rdev != w->node_rdev)
		REFUSE("left by another VDUSE device of that name (stale)");
	if (h.device_id != w->device_id || h.nvqs != w->nvqs || h.features != w->features)
		REFUSE("the kernel's device has device id %u, %u queues, features 0x%llx; this "
		       "device would have %u, %u, 0x%llx", h.device_id, h.nvqs,
		       (unsigned long long)h.features, w->device_id, w->nvqs,
		       (unsigned long long)w->features);
	if (h.config_size != w->config_size || h.config_size > VDUSE_REC_CONFIG_MAX ||
	    memcmp(h.config, w->config, h.config_size))
		REFUSE("the kernel's device has another config space (%u bytes) than this "
		       "device (%u bytes)", h.config_size, w->config_size);
	if (h.vq_num_max != w->vq_num_max || !h.vq_num_max || h.vq_num_max > UVDPA_VQ_MAX_NUM)
		REFUSE("made for queues of %u entries at most, this device has %u",
		       h.vq_num_max, w->vq_num_max);
	want_len = vduse_record_size(h.nvqs, h.vq_num_max);
	if (h.file_size != want_len || len != want_len)
		REFUSE("%zu bytes (header says %llu), %u queues of %u need %zu", len,
		       (unsigned long long)h.file_size, h.nvqs, h.vq_num_max, want_len);
	if ((h.status & DRIVER_OK_) && !(h.status & FEATURES_OK_))
		REFUSE("status 0x%02x has DRIVER_OK without FEATURES_OK", h.status);
	if (h.driver_features & ~h.features)
		REFUSE("driver features 0x%llx beyond the device's 0x%llx",
		       (unsigned long long)h.driver_features, (unsigned long long)h.features);
	return 0;
}

/* The inflight area's header (vq.h): {u64 features, u16 version, u16 desc_num}. */
int vduse_record_check_area(const struct vduse_dev *v, uint32_t idx, uint32_t num)
{
	const uint8_t *a = vduse_record_area(v, idx, NULL);
	uint16_t version, desc_num;

	if (!a)
		return -EINVAL;
	memcpy(&version, a + 8, sizeof(version));
	memcpy(&desc_num, a + 10, sizeof(desc_num));
	if (version == 0)
		return 0;
	return version == 1 && desc_num == num ? 0 : -EBADMSG;
}

static void record_path(const struct uvdpa_vduse_face *f, const char *name, char *buf,
			size_t size)
{
	char safe[VDUSE_NAME_MAX];
	size_t i;

	/* The kernel refuses '/' in a name; no name reaches outside the dir anyway. */
	snprintf(safe, sizeof(safe), "%s", name);
	for (i = 0; safe[i]; i++)
		if (safe[i] == '/')
			safe[i] = '!';
	if ((size_t)snprintf(buf, size, "%s/%s.vduse", f->recdir, safe) >= size)
		buf[0] = '\0';         /* recdir is bounded well below PATH_MAX */
}

static int map_file(struct vduse_dev *v, int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	v->rec = p;
	v->rec_len = len;
	return 0;
}

int vduse_record_create(struct uvdpa_vduse_face *f, struct vduse_dev *v,
			const struct vduse_rec_want *w)
{
	struct vduse_rec_want id = *w;
	size_t len = vduse_record_size(w->nvqs, w->vq_num_max);
	int fd, err;

	if (!f->recdir[0] || w->config_size > VDUSE_REC_CONFIG_MAX)
		return -EOPNOTSUPP;
	err = node_identity(v->fd, &id);
	if (err < 0)
		return err;
	record_path(f, v->name, v->rec_path, sizeof(v->rec_path));
	/* Whatever was there (a device of that name before) is not this one's. */
	unlink(v->rec_path);
	fd = open(v->rec_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = ftruncate(fd, (off_t)len) < 0 ? -errno : map_file(v, fd, len);
	close(fd);
	if (err < 0) {
		unlink(v->rec_path);
		v->rec_path[0] = '\0';
		return err;
	}
	vduse_record_fill(v->rec, &id, len);
	return 0;
}

void vduse_record_fill(struct vduse_rec_hdr *h, const struct vduse_rec_want *w, size_t len)
{
	memcpy(h->magic, VDUSE_REC_MAGIC, sizeof(h->magic));
	h->hdr_size = sizeof(*h);
	h->file_size = len;
	memcpy(h->boot_id, w->boot_id, sizeof(w->boot_id));
	h->node_ino = w->node_ino;
	h->node_rdev = w->node_rdev;
	h->device_id = w->device_id;
	h->nvqs = w->nvqs;
	h->features = w->features;
	h->vq_num_max = w->vq_num_max;
	h->config_size = w->config_size;
	memcpy(h->config, w->config, w->config_size);
	h->version = VDUSE_REC_VERSION;    /* last: a half-written file is refused */
}

int vduse_record_open(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		      const struct vduse_rec_want *w, char *msg, size_t size)
{
	struct vduse_rec_want id = *w;
	char why[256];
	struct stat st;
	size_t len;
	void *buf;
	int fd, err;

	if (!f->recdir[0]) {
		snprintf(msg, size, "no run directory to keep records in");
		return -ENOENT;
	}
	err = node_identity(v->fd, &id);
	if (err < 0) {
		snprintf(msg, size, "fstat: %s", strerror(-err));
		return err;
	}
	record_path(f, v->name, v->rec_path, sizeof(v->rec_path));
	fd = open(v->rec_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, size, "%s: %s", v->rec_path, strerror(-err));
		v->rec_path[0] = '\0';
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > vduse_record_size(id.nvqs, id.vq_num_max)) {
		snprintf(msg, size, "%s: not a record this device can have", v->rec_path);
		close(fd);
		v->rec_path[0] = '\0';
		return -EINVAL;
	}
	len = (size_t)st.st_size;
	/* Checked on a copy, then mapped at the size checked: a file that
	 * changes size between the two is caught by the second check. */
	buf = malloc(len ? len : 1);
	err = !buf ? -ENOMEM : pread(fd, buf, len, 0) != (ssize_t)len ? -EIO : 0;
	if (!err && (err = vduse_record_check(buf, len, &id, why, sizeof(why))) < 0)
		snprintf(msg, size, "%s: %s", v->rec_path, why);
	else if (err)
		snprintf(msg, size, "%s: cannot read it", v->rec_path);
	free(buf);
	if (!err && (fstat(fd, &st) < 0 || (size_t)st.st_size != len)) {
		snprintf(msg, size, "%s: changed while read", v->rec_path);
		err = -EAGAIN;
	}
	if (!err && (err = map_file(v, fd, len)) < 0)
		snprintf(msg, size, "%s: mmap: %s", v->rec_path, strerror(-err));
	close(fd);
	if (err)
		v->rec_path[0] = '\0';
	return err;
}

void *vduse_record_area(const struct vduse_dev *v, uint32_t idx, size_t *len)
{
	size_t stride;

	if (!v->rec || idx >= v->rec->nvqs || idx >= v->nvqs)
		return NULL;
	stride = area_stride(v->rec->vq_num_max);
	if (len)
		*len = stride;
	return (uint8_t *)v->rec + align64(sizeof(*v->rec)) + (size_t)idx * stride;
}

void vduse_record_clear_areas(struct vduse_dev *v)
{
	if (!v->rec)
		return;
	memset((uint8_t *)v->rec + align64(sizeof(*v->rec)), 0,
	       v->rec_len - align64(sizeof(*v->rec)));
}

void vduse_record_status(struct vduse_dev *v)
{
	if (!v->rec)
		return;
	if (v->status & FEATURES_OK_)
		v->rec->driver_features = v->driver_features & v->rec->features;
	else if (!v->status)
		v->rec->driver_features = 0;
	v->rec->status = v->status;
}

void vduse_record_config(struct vduse_dev *v, const void *cfg, size_t len)
{
	if (v->rec && len == v->rec->config_size)
		memcpy(v->rec->config, cfg, len);
}

void vduse_record_close(struct vduse_dev *v)
{
	if (v->rec)
		munmap(v->rec, v->rec_len);
	v->rec = NULL;
	v->rec_len = 0;
}

void vduse_record_remove(struct vduse_dev *v)
{
	vduse_record_close(v);
	if (v->rec_path[0])
		unlink(v->rec_path);
	v->rec_path[0] = '\0';
}

int vduse_record_dir(struct uvdpa_vduse_face *f, const char *rundir)
{
	struct stat st;
	int err;

	f->recdir[0] = '\0';
	if (!rundir || !rundir[0])
		return 0;
	/* Room for "/NAME.vduse" after it. */
	if (strlen(rundir) + sizeof("/vduse/.vduse") + VDUSE_NAME_MAX > sizeof(f->recdir)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	snprintf(f->recdir, sizeof(f->recdir), "%s/vduse", rundir);
	if (mkdir(f->recdir, 0700) < 0 && errno != EEXIST)
		goto fail;
	/* Ours, a real directory: records say what the kernel's driver did. */
	if (lstat(f->recdir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		errno = ENOTDIR;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s/vduse: %s; VDUSE devices cannot be taken over "
		  "after a restart", rundir, strerror(-err));
	f->recdir[0] = '\0';
	return err;
}
