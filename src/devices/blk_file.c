// SPDX-License-Identifier: MIT
/*
 * blk_file: a virtio-blk device whose disk is a regular file or a block
 * device (the mgmtdev name says what backs it, as vdpasim_blk's says it
 * simulates; the kernel has no such parent). Creation checks the backing
 * and reads its truth (size, logical and physical block, I/O sizes, direct
 * I/O alignment) into the config space; the datapath is blk_file_io.c.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/virtio_ids.h>

#include "devices/blk_file.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE  (1u << SECTOR_SHIFT)

#define F(bit) (1ULL << (bit))
/* SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ ANY_LAYOUT VERSION_1 ACCESS_PLATFORM;
 * DISCARD and WRITE_ZEROES when writable, RO when not. No SIZE_MAX: a
 * segment may be as large as the driver likes. */
#define BF_BASE_FEATURES \
	(F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH) | \
	 F(VIRTIO_BLK_F_TOPOLOGY) | F(VIRTIO_BLK_F_MQ) | F(27) | VDPASIM_F_VERSION_1 | \
	 VDPASIM_F_ACCESS_PLATFORM | VDPASIM_TRANSPORT_FEATURES)
#define BF_RW_FEATURES (F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES))
#define BF_RO_FEATURES F(VIRTIO_BLK_F_RO)

/* Largest DISCARD / WRITE_ZEROES range: 2 GiB, a multiple of any alignment. */
#define BF_MAX_FALLOC_SECTORS (1u << 22)

/* What the backing is, found before the device exists. */
struct backing {
	int fd;
	bool is_bdev;
	uint64_t bytes;
	uint32_t blk_size, phys, io_min, io_opt, discard_gran;
	uint32_t mem_align, off_align;
};

static int open_error(const char *path, bool ro, int err, const char **msg)
{
	int fd;

	switch (err) {
	case ENOENT:
		*msg = "backing file not found (path does not exist)";
		return -ENOENT;
	case EISDIR:
		*msg = "path is a directory, not a file or block device";
		return -EISDIR;
	case EACCES:
	case EPERM:
	case EROFS:
		fd = ro ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			*msg = "backing file is read-only: add readonly, or make it writable";
			return err == EROFS ? -EROFS : -EACCES;
		}
		*msg = "permission denied opening the backing file";
		return -err;
	case EINVAL:
		*msg = "cannot open the backing file (direct I/O not supported there?)";
		return -EINVAL;
	default:
		*msg = "cannot open the backing file";
		return -err;
	}
}

static int bdev_probe(struct backing *bk, bool ro, const char **msg)
{
	unsigned int phys = 0, io_min = 0, io_opt = 0;
	int lbs = 0, bro = 0;

	if (ioctl(bk->fd, BLKGETSIZE64, &bk->bytes) || ioctl(bk->fd, BLKSSZGET, &lbs) ||
	    lbs < (int)SECTOR_SIZE) {
		*msg = "cannot read the block device's size and block size";
		return -errno ? -errno : -EINVAL;
	}
	if (!ro && ioctl(bk->fd, BLKROGET, &bro) == 0 && bro) {
		*msg = "block device is read-only: add readonly";
		return -EROFS;
	}
	ioctl(bk->fd, BLKPBSZGET, &phys);
	ioctl(bk->fd, BLKIOMIN, &io_min);
	ioctl(bk->fd, BLKIOOPT, &io_opt);
	bk->is_bdev = true;
	bk->blk_size = (uint32_t)lbs;
	bk->phys = phys >= (unsigned)lbs ? phys : (uint32_t)lbs;
	bk->io_min = io_min;
	bk->io_opt = io_opt;
	bk->discard_gran = bk->phys;
	bk->mem_align = bk->off_align = bk->blk_size;
	return 0;
}

/* O_DIRECT alignment as the file system states it (statx, Linux 6.1+). */
static int direct_probe(struct backing *bk, const char **msg)
{
	struct statx x;

	if (statx(bk->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &x) == 0 &&
	    (x.stx_mask & STATX_DIOALIGN)) {
		if (!x.stx_dio_offset_align) {
			*msg = "direct I/O is not supported on the backing file's file system";
			return -EINVAL;
		}
		bk->mem_align = x.stx_dio_mem_align;
		bk->off_align = x.stx_dio_offset_align;
	} else if (!bk->is_bdev) {
		bk->mem_align = 4096;   /* not stated: the safe side */
		bk->off_align = 4096;
	}
	if (bk->off_align > bk->blk_size)
		bk->blk_size = bk->off_align;   /* the driver must never send less */
	if (bk->phys < bk->blk_size)
		bk->phys = bk->blk_size;
	return 0;
}

static int backing_probe(struct backing *bk, bool ro, bool direct, const char **msg)
{
	struct stat st;
	int r;

	if (fstat(bk->fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		*msg = "path is a directory, not a file or block device";
		return -EISDIR;
	}
	if (S_ISBLK(st.st_mode)) {
		r = bdev_probe(bk, ro, msg);
	} else if (S_ISREG(st.st_mode)) {
		bk->bytes = (uint64_t)st.st_size;
		bk->blk_size = SECTOR_SIZE;
		bk->phys = st.st_blksize >= (blksize_t)SECTOR_SIZE && st.st_blksize <= 65536 ?
			   (uint32_t)st.st_blksize : SECTOR_SIZE;
		bk->discard_gran = bk->phys;
		r = 0;
	} else {
		*msg = "path is not a regular file or block device";
		return -EINVAL;
	}
	if (!r && direct)
		r = direct_probe(bk, msg);
	return r;
}

static int backing_open(const char *path, bool ro, bool direct, struct backing *bk,
			const char **msg)
{
	int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0);
	int r;

	memset(bk, 0, sizeof(*bk));
	bk->fd = open(path, flags);
	if (bk->fd < 0)
		return open_error(path, ro, errno, msg);
	r = backing_probe(bk, ro, direct, msg);
	if (r) {
		close(bk->fd);
		bk->fd = -1;
	}
	return r;
}

/* Capacity in sectors: the backing's size, or less if asked. */
static int capacity_of(const struct backing *bk, const struct uvdpa_dev_set_config *cfg,
		       uint64_t *cap, const char **msg)
{
	uint64_t per_block = bk->blk_size >> SECTOR_SHIFT;

	if (bk->bytes == 0) {
		*msg = "backing file is empty (give it a size first, e.g. truncate -s 1G)";
		return -EINVAL;
	}
	if (bk->bytes % bk->blk_size) {
		*msg = bk->blk_size == SECTOR_SIZE ?
		       "size of the backing file is not a multiple of 512 bytes" :
		       "size of the backing file is not a multiple of its block size";
		return -EINVAL;
	}
	*cap = bk->bytes >> SECTOR_SHIFT;
	if (!(cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY)))
		return 0;
	if (cfg->blk.capacity == 0 || cfg->blk.capacity > *cap) {
		*msg = "capacity is beyond the end of the backing file";
		return -EINVAL;
	}
	if (cfg->blk.capacity % per_block) {
		*msg = "capacity is not a multiple of the block size";
		return -EINVAL;
	}
	*cap = cfg->blk.capacity;
	return 0;
}

static uint8_t log2_u32(uint32_t v)
{
	uint8_t e = 0;

	while (v > 1) {
		v >>= 1;
		e++;
	}
	return e;
}

/* Rewritten on every read: the config space is the backing's truth. */
static void bf_get_config(struct devrt *s, void *config)
{
	struct blk_file *b = rt_to_bf(s);
	struct virtio_blk_config *c = config;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(b->capacity);
	c->seg_max = htole32(BF_SEG_MAX);
	c->blk_size = htole32(b->blk_size);
	c->physical_block_exp = b->phys_exp;
	c->min_io_size = htole16(b->min_io);
	c->opt_io_size = htole32(b->opt_io);
	c->num_queues = htole16(b->num_queues);
	if (b->read_only)
		return;
	c->max_discard_sectors = htole32(BF_MAX_FALLOC_SECTORS);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(b->discard_align);
	c->max_write_zeroes_sectors = htole32(BF_MAX_FALLOC_SECTORS);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = 1;
}

static void bf_free(struct devrt *s)
{
	struct blk_file *b = rt_to_bf(s);

	bf_queues_close(b);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static void clamp_u16(uint16_t *dst, uint32_t v)
{
	*dst = v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

static void bf_fill(struct blk_file *b, const struct backing *bk, bool ro, bool direct,
		    uint64_t capacity, const char *path, const char *serial)
{
	b->fd = bk->fd;
	b->is_bdev = bk->is_bdev;
	b->read_only = ro;
	b->direct = direct;
	b->capacity = capacity;
	b->blk_size = bk->blk_size;
	b->phys_exp = log2_u32(bk->phys / bk->blk_size);
	clamp_u16(&b->min_io, bk->io_min / bk->blk_size ? bk->io_min / bk->blk_size : 1);
	b->opt_io = bk->io_opt / bk->blk_size;
	b->discard_align = (bk->discard_gran > bk->blk_size ? bk->discard_gran : bk->blk_size) >>
			   SECTOR_SHIFT;
	b->mem_align = bk->mem_align ? bk->mem_align : 1;
	b->off_align = bk->off_align ? bk->off_align : 1;
	snprintf(b->path, sizeof(b->path), "%s", path);
	snprintf(b->serial, sizeof(b->serial), "%s", serial);
}

static int check_cfg(const struct uvdpa_dev_set_config *cfg, uint16_t *queues, const char **msg)
{
	if (!(cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH)) ||
	    !cfg->blk.path || !cfg->blk.path[0]) {
		*msg = "path is required: the backing file or block device";
		return -EINVAL;
	}
	if (strlen(cfg->blk.path) >= sizeof(((struct blk_file *)0)->path)) {
		*msg = "path is too long";
		return -ENAMETOOLONG;
	}
	if ((cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL)) &&
	    (!cfg->blk.serial || strlen(cfg->blk.serial) > BF_SERIAL_MAX)) {
		*msg = "serial must be at most 20 bytes";
		return -EINVAL;
	}
	*queues = 1;
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES)) {
		*queues = cfg->blk.num_queues;
		if (*queues < 1 || *queues > BF_MAX_QUEUES) {
			*msg = "num_queues must be between 1 and 64";
			return -EINVAL;
		}
	}
	return 0;
}

static int bf_create(const char *name, const struct uvdpa_dev_set_config *cfg,
		     const struct backing *bk, uint64_t cap, uint16_t queues,
		     struct uvdpa_device **out, const char **msg)
{
	bool ro = (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY)) && cfg->blk.read_only;
	bool direct = (cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT)) &&
		      cfg->blk.direct;
	bool has_serial = cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL);
	struct devrt_dev_attr attr = {
		.id = VIRTIO_ID_BLOCK,
		.supported_features = BF_BASE_FEATURES | (ro ? BF_RO_FEATURES : BF_RW_FEATURES),
		.config_size = sizeof(struct virtio_blk_config),
		.alloc_size = sizeof(struct blk_file),
		.nvqs = queues,
		.work_fn = bf_work,
		.get_config = bf_get_config,
		.free = bf_free,
		.worker_fd = bf_worker_fd,
		.worker_fd_ready = bf_worker_fd_ready,
		.quiesce = bf_quiesce,
	};
	struct blk_file *b;
	struct devrt *s;
	int err = 0;

	s = devrt_create(&attr, cfg, name, &err);
	if (!s) {
		close(bk->fd);
		if (err == -EINVAL)
			*msg = "device features must be a subset of what blk_file offers";
		return err;
	}
	b = rt_to_bf(s);
	b->efd = -1;
	b->num_queues = queues;
	bf_fill(b, bk, ro, direct, cap, cfg->blk.path, has_serial ? cfg->blk.serial : name);
	err = bf_queues_open(b, msg);
	if (err) {
		devrt_destroy(s);   /* closes the backing fd too */
		return err;
	}
	*out = &s->vdev;
	return 0;
}

static int bf_dev_add(struct uvdpa_mgmtdev *m, const char *name,
		      const struct uvdpa_dev_set_config *cfg,
		      struct uvdpa_device **out, const char **msg)
{
	const char *dummy = NULL;
	struct backing bk;
	uint16_t queues;
	uint64_t cap;
	bool ro, direct;
	int r;

	(void)m;
	if (!msg)
		msg = &dummy;
	r = check_cfg(cfg, &queues, msg);
	if (r)
		return r;
	ro = (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY)) && cfg->blk.read_only;
	direct = (cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT)) &&
		 cfg->blk.direct;
	r = backing_open(cfg->blk.path, ro, direct, &bk, msg);
	if (r)
		return r;
	r = capacity_of(&bk, cfg, &cap, msg);
	if (!r)
		r = bf_create(name, cfg, &bk, cap, queues, out, msg);
	else
		close(bk.fd);
	return r;
}

static void bf_dev_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	(void)m;
	devrt_stop(vdpa_to_sim(d));
}

/* For DEV_GET replies: the settings the device was created with. */
static int bf_dev_get_settings(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
			       struct uvdpa_dev_set_config *cfg)
{
	struct blk_file *b = rt_to_bf(vdpa_to_sim(d));

	(void)m;
	memset(cfg, 0, sizeof(*cfg));
	cfg->blk.path = b->path;
	cfg->blk.serial = b->serial;
	cfg->blk.read_only = b->read_only;
	cfg->blk.direct = b->direct;
	cfg->blk.capacity = b->capacity;
	cfg->blk.num_queues = b->num_queues;
	cfg->mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY) |
		    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) |
		    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES);
	cfg->uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH) |
			  UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL) |
			  UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT);
	return 0;
}

static const struct uvdpa_mgmtdev_ops bf_mgmt_ops = {
	.dev_add = bf_dev_add,
	.dev_del = bf_dev_del,
	.dev_get_settings = bf_dev_get_settings,
};

const struct uvdpa_mgmtdev blk_file_mgmtdev = {
	.bus_name = NULL,
	.dev_name = "blk_file",
	.ops = &bf_mgmt_ops,
	.id_classes = 1ULL << VIRTIO_ID_BLOCK,
	.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY),
	.uvdpa_attr_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH) |
			   UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT) |
			   UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL),
	.supported_features = BF_BASE_FEATURES | BF_RW_FEATURES | BF_RO_FEATURES,
	.max_supported_vqs = BF_MAX_QUEUES,
};
