// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk (kernel drivers/vdpa/vdpa_sim/vdpa_sim_blk.c): a virtio-blk
 * device backed by a zeroed RAM disk.
 *
 * Beyond the kernel: capacity and number of queues are chosen at creation;
 * bounds checks are spec-correct (start past the end, partial trailing
 * sectors, 64-bit overflow -> IOERR with the disk untouched); unknown
 * request types answer UNSUPP; malformed chains are completed empty and the
 * queue goes on.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "devices/blk_discard.h"
#include "devices/runtime.h"

/*
 * SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ DISCARD WRITE_ZEROES
 * ANY_LAYOUT VERSION_1 ACCESS_PLATFORM: the kernel's device word. The
 * kernel's blk mgmtdev advertises no features and no queues (0); ours
 * advertises what dev add accepts (uvdpa(8), DIFFERENCES).
 */
#define BLK_CLASS_FEATURES 0x308007646ULL
#define BLK_OFFERED (BLK_CLASS_FEATURES | VDPASIM_TRANSPORT_FEATURES)

#define SECTOR_SHIFT        9
#define SECTOR_SIZE         (1u << SECTOR_SHIFT)
#define BLK_DEFAULT_SECTORS 0x40000ULL              /* 128 MiB */
#define BLK_MAX_SECTORS     (1ULL << 31)            /* 1 TiB, virtual */
#define BLK_MAX_QUEUES      64
#define BLK_SIZE_MAX        4096
#define BLK_SEG_MAX         32
#define BLK_ID              "vdpa_blk_sim"

struct vdpasim_blk {
	struct devrt rt;               /* first */
	uint8_t *disk;
	uint64_t capacity;              /* sectors */
	size_t disk_bytes;
	uint16_t num_queues;
	size_t page;
	/*
	 * One bit per disk page, set once the page was written. A read of a
	 * page never written fills the driver's buffer from zero_src instead
	 * of the disk: a copy out of an untouched anonymous page goes through
	 * the kernel's shared zero page, about ten times slower here than a
	 * copy of real memory, and a fresh disk is all such pages.
	 */
	uint64_t *written;
	struct iovec iov[VDPASIM_CHAIN_IOV];
};

/* What a never-written page reads as (read-only, shared by every device). */
static const uint8_t zero_src[4096];

static struct vdpasim_blk *sim_to_blk(struct devrt *s)
{
	return (struct vdpasim_blk *)s;
}

/* [sector, sector + ceil(bytes / 512)) inside the disk, without overflow. */
static bool blk_range_ok(const struct vdpasim_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t count = (bytes >> SECTOR_SHIFT) + ((bytes & (SECTOR_SIZE - 1)) != 0);

	return sector <= b->capacity && count <= b->capacity - sector;
}

static bool page_written(const struct vdpasim_blk *b, uint64_t p)
{
	return (b->written[p / 64] >> (p % 64)) & 1;
}

/* Marks the pages [off, off + len) touches as written (len > 0). */
static void mark_written(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	for (uint64_t p = off / b->page; p <= (off + len - 1) / b->page; p++)
		b->written[p / 64] |= 1ULL << (p % 64);
}

/* Whole pages [start, end) are holes again. */
static void mark_holes(struct vdpasim_blk *b, uint64_t start, uint64_t end)
{
	for (uint64_t p = start / b->page; p < end / b->page; p++)
		b->written[p / 64] &= ~(1ULL << (p % 64));
}

/* Copies len zero bytes into the chain at chain offset off. */
static size_t chain_zero(const struct uvdpa_chain *c, size_t off, uint64_t len)
{
	size_t done = 0;

	while (len) {
		size_t n = len < sizeof(zero_src) ? (size_t)len : sizeof(zero_src);
		size_t w = uvdpa_chain_write(c, off + done, zero_src, n);

		done += w;
		len -= n;
		if (w < n)
			break;
	}
	return done;
}

/* IN: runs of written pages come from the disk, runs of holes from zero_src. */
static size_t blk_read(struct vdpasim_blk *b, const struct uvdpa_chain *c, uint64_t off,
		       uint64_t len)
{
	uint64_t pos = off, end = off + len;
	size_t done = 0;

	while (pos < end) {
		bool w = page_written(b, pos / b->page);
		uint64_t run = pos;
		size_t n;

		while (run < end && page_written(b, run / b->page) == w)
			run = (run / b->page + 1) * b->page;
		if (run > end)
			run = end;
		n = w ? uvdpa_chain_write(c, (size_t)(pos - off), b->disk + pos, run - pos) :
			chain_zero(c, (size_t)(pos - off), run - pos);
		done += n;
		if (n < run - pos)
			break;
		pos = run;
	}
	return done;
}

/* Gives whole pages back to the kernel: they read as zeroes afterwards. */
static void blk_unmap_pages(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	uint64_t start = (off + b->page - 1) & ~(uint64_t)(b->page - 1);
	uint64_t end = (off + len) & ~(uint64_t)(b->page - 1);

	if (end > start) {
		madvise(b->disk + start, end - start, MADV_DONTNEED);
		mark_holes(b, start, end);
	}
}

static void blk_zero(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	uint64_t start = (off + b->page - 1) & ~(uint64_t)(b->page - 1);
	uint64_t end = (off + len) & ~(uint64_t)(b->page - 1);

	if (end <= start) {
		memset(b->disk + off, 0, len);
		return;
	}
	/* Large ranges cost no memory: the middle pages are dropped. */
	memset(b->disk + off, 0, start - off);
	madvise(b->disk + start, end - start, MADV_DONTNEED);
	mark_holes(b, start, end);
	memset(b->disk + end, 0, off + len - end);
}

static uint8_t blk_discard_wz(struct vdpasim_blk *b, const struct uvdpa_chain *c, uint32_t type)
{
	uint64_t sector, bytes;
	uint32_t flags;
	uint8_t st = blk_discard_range(c, type, &sector, &bytes, &flags);

	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (!blk_range_ok(b, sector, bytes))
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_WRITE_ZEROES)
		blk_zero(b, sector << SECTOR_SHIFT, bytes);
	else
		blk_unmap_pages(b, sector << SECTOR_SHIFT, bytes);
	return VIRTIO_BLK_S_OK;
}

/* The request header; false if the chain has none. Drivers put it in a
 * descriptor of its own, so the walk through segments is rarely needed. */
static bool blk_header(const struct uvdpa_chain *c, struct virtio_blk_outhdr *h)
{
	if (c->n_out && c->iov[0].iov_len >= sizeof(*h)) {
		memcpy(h, c->iov[0].iov_base, sizeof(*h));
		return true;
	}
	return uvdpa_chain_read(c, 0, h, sizeof(*h)) == sizeof(*h);
}

/* The status goes to the chain's last writable byte (in_len >= 1). */
static void blk_status(const struct uvdpa_chain *c, uint8_t st)
{
	const struct iovec *last = &c->iov[c->n_out + c->n_in - 1];

	if (c->n_in && last->iov_len)
		((uint8_t *)last->iov_base)[last->iov_len - 1] = st;
	else
		uvdpa_chain_write(c, c->in_len - 1, &st, 1);
}

/* Handles one request; returns the bytes written to the driver. */
static uint32_t blk_request(struct vdpasim_blk *b, const struct uvdpa_chain *c)
{
	struct virtio_blk_outhdr h;
	uint64_t sector, data_in, data_out;
	uint32_t type, written = 0;
	uint8_t st = VIRTIO_BLK_S_OK;

	/* No header or no status byte: nothing can be answered (kernel: the
	 * same, completed with length 0). */
	if (c->in_len < 1 || !blk_header(c, &h))
		return 0;
	type = le32toh(h.type);
	sector = le64toh(h.sector);
	data_in = c->in_len - 1;               /* the status byte is last */
	data_out = c->out_len - sizeof(h);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!blk_range_ok(b, sector, data_in)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		written = (uint32_t)blk_read(b, c, sector << SECTOR_SHIFT, data_in);
		break;
	case VIRTIO_BLK_T_OUT:
		if (!blk_range_ok(b, sector, data_out)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		uvdpa_chain_read(c, sizeof(h), b->disk + (sector << SECTOR_SHIFT), data_out);
		if (data_out)
			mark_written(b, sector << SECTOR_SHIFT, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* As the kernel: these carry no sector in the header. */
		if (sector != 0) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (type == VIRTIO_BLK_T_GET_ID) {
			char id[VIRTIO_BLK_ID_BYTES] = BLK_ID;

			written = (uint32_t)uvdpa_chain_write(c, 0, id,
				data_in < sizeof(id) ? data_in : sizeof(id));
		} else if (type != VIRTIO_BLK_T_FLUSH) {
			st = blk_discard_wz(b, c, type);
		}
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;   /* the kernel answers IOERR */
		break;
	}
	blk_status(c, st);
	return written + 1;
}

static unsigned blk_queue_work(struct devrt *s, struct devrt_vq *vq, bool *again)
{
	struct vdpasim_blk *b = sim_to_blk(s);
	struct uvdpa_chain c;
	unsigned done;

	for (done = 0; done < VDPASIM_BURST; done++) {
		uint32_t written = 0;
		int r;

		memset(&c, 0, sizeof(c));
		c.iov = b->iov;
		c.iov_cap = VDPASIM_CHAIN_IOV;
		r = devrt_pop(s, vq, &c);
		if (r == 0 || r == -EIO)
			break;
		if (r == 1)
			written = blk_request(b, &c);
		uvdpa_vq_dev_push(&vq->dev, &c, written);
	}
	devrt_flush(s, vq);
	if (done == VDPASIM_BURST)
		*again = true;
	return done;
}

static unsigned blk_work(struct devrt *s, bool *again)
{
	unsigned i, done = 0;

	for (i = 0; i < s->attr.nvqs; i++)
		if (devrt_vq_usable(&s->vqs[i]))
			done += blk_queue_work(s, &s->vqs[i], again);
	return done;
}

/* Rewritten on every read, as the kernel does. */
static void blk_get_config(struct devrt *s, void *config)
{
	struct vdpasim_blk *b = sim_to_blk(s);
	struct virtio_blk_config *c = config;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(b->capacity);
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	c->num_queues = htole16(b->num_queues);
	c->blk_size = htole32(SECTOR_SIZE);
	c->min_io_size = htole16(1);
	c->opt_io_size = htole32(1);
	c->discard_sector_alignment = htole32(SECTOR_SIZE);
	c->max_discard_sectors = htole32(UINT32_MAX);
	c->max_discard_seg = htole32(1);
	c->max_write_zeroes_sectors = htole32(UINT32_MAX);
	c->max_write_zeroes_seg = htole32(1);
}

static void blk_free(struct devrt *s)
{
	struct vdpasim_blk *b = sim_to_blk(s);

	if (b->disk)
		munmap(b->disk, b->disk_bytes);
	free(b->written);
}

static int blk_dev_add(struct uvdpa_mgmtdev *m, const char *name,
		       const struct uvdpa_dev_set_config *cfg,
		       struct uvdpa_device **out, const char **msg)
{
	struct devrt_dev_attr attr = {
		.id = VIRTIO_ID_BLOCK,
		.supported_features = BLK_OFFERED,
		.config_size = sizeof(struct virtio_blk_config),
		.alloc_size = sizeof(struct vdpasim_blk),
		.work_fn = blk_work,
		.get_config = blk_get_config,
		.free = blk_free,
	};
	uint64_t capacity = BLK_DEFAULT_SECTORS;
	uint16_t queues = 1;
	struct vdpasim_blk *b;
	struct devrt *s;
	void *disk;
	int err = 0;

	(void)m;
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY)) {
		capacity = cfg->blk.capacity;
		if (capacity < 1 || capacity > BLK_MAX_SECTORS) {
			if (msg)
				*msg = "capacity must be between 1 and 2147483648 sectors (1 TiB)";
			return -EINVAL;
		}
	}
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES)) {
		queues = cfg->blk.num_queues;
		if (queues < 1 || queues > BLK_MAX_QUEUES) {
			if (msg)
				*msg = "num_queues must be between 1 and 64";
			return -EINVAL;
		}
	}
	attr.nvqs = queues;
	s = devrt_create(&attr, cfg, name, &err);
	if (!s)
		return err;
	b = sim_to_blk(s);
	b->capacity = capacity;
	b->num_queues = queues;
	b->page = (size_t)sysconf(_SC_PAGESIZE);
	b->disk_bytes = (size_t)(capacity << SECTOR_SHIFT);
	/* Untouched pages cost nothing, so a device is cheap to create and
	 * the disk reads as zeroes. */
	disk = mmap(NULL, b->disk_bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	b->written = calloc((b->disk_bytes / b->page + 63) / 64 + 1, sizeof(uint64_t));
	if (disk == MAP_FAILED || !b->written) {
		if (disk != MAP_FAILED)
			munmap(disk, b->disk_bytes);
		devrt_destroy(s);
		return -ENOMEM;
	}
	b->disk = disk;
	*out = &s->vdev;
	return 0;
}

static void blk_dev_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	(void)m;
	devrt_stop(vdpa_to_sim(d));
}

static const struct uvdpa_mgmtdev_ops blk_mgmt_ops = {
	.dev_add = blk_dev_add,
	.dev_del = blk_dev_del,
};

const struct uvdpa_mgmtdev vdpasim_blk_mgmtdev = {
	.bus_name = NULL,
	.dev_name = "vdpasim_blk",
	.ops = &blk_mgmt_ops,
	.id_classes = 1ULL << VIRTIO_ID_BLOCK,
	/* uvdpa extension: capacity, number of queues and device features
	 * may be provisioned (the kernel accepts no attribute here). */
	.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES),
	/* What dev add accepts: device_features within this word, up to
	 * BLK_MAX_QUEUES queues. */
	.supported_features = BLK_OFFERED,
	.max_supported_vqs = BLK_MAX_QUEUES,
};
