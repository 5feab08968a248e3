// SPDX-License-Identifier: MIT
/*
 * In-process transport (the kernel's virtio_vdpa.c): every virtio config
 * operation is a direct call of the device's ops.
 *
 * DMA memory is anonymous mmap()s handed to the device with set_map at I/O
 * virtual addresses far from their host addresses (from 4 GiB up, with a
 * guard gap between regions), so a driver that put a host pointer into a
 * descriptor, or a device that skipped translation, fails instead of working
 * by accident.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver/transport.h"

#define LOCAL_IOVA_BASE  0x100000000ULL
#define LOCAL_IOVA_ALIGN (1ULL << 20)   /* regions start on 1 MiB ... */
#define LOCAL_IOVA_GUARD (1ULL << 20)   /* ... with 1 MiB unmapped after each */

struct local_transport {
	struct vtransport t;
	struct uvdpa_device *dev;
	struct uvdpa_memmap *map;
	uint64_t next_iova;
	bool dirty;                     /* map changed since the device got it */
	struct vdma *freed;             /* unmapped at the next sync */
	unsigned nfreed, cap_freed;
	unsigned nvqs;
	int *call_fds;                  /* per queue, created on first set-up */
};

/* The driver claim's owner tag (uvdpa_device_claim): a vhost-user front end
 * or the kernel's driver through VDUSE and an in-process driver never share
 * a device. */
static const char local_owner[] = "in-process driver (libuvdpa)";

static struct local_transport *to_local(struct vtransport *t)
{
	return (struct local_transport *)t;
}

static uint32_t local_device_id(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	return d->ops->get_device_id(d);
}

static uint64_t local_get_features(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	return d->ops->get_device_features(d);
}

static int local_set_features(struct vtransport *t, uint64_t features)
{
	return uvdpa_device_set_features(to_local(t)->dev, features) ? -EIO : 0;
}

static uint8_t local_get_status(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	return d->ops->get_status(d);
}

static void local_set_status(struct vtransport *t, uint8_t status)
{
	struct uvdpa_device *d = to_local(t)->dev;

	d->ops->set_status(d, status);
}

static size_t local_config_size(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	return d->ops->get_config_size(d);
}

static int local_read_config(struct vtransport *t, unsigned off, void *buf, unsigned len)
{
	uvdpa_device_get_config(to_local(t)->dev, off, buf, len);
	return 0;
}

static uint32_t local_config_generation(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	return d->ops->get_generation ? d->ops->get_generation(d) : 0;
}

static unsigned local_num_queues(struct vtransport *t)
{
	return to_local(t)->nvqs;
}

static uint16_t local_vq_max_size(struct vtransport *t, uint16_t idx)
{
	struct uvdpa_device *d = to_local(t)->dev;

	(void)idx;
	return d->ops->get_vq_num_max(d);
}

static int local_call_fd(struct vtransport *t, uint16_t idx)
{
	struct local_transport *lt = to_local(t);

	if (idx >= lt->nvqs)
		return -EINVAL;
	if (lt->call_fds[idx] < 0)
		lt->call_fds[idx] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return lt->call_fds[idx] < 0 ? -errno : lt->call_fds[idx];
}

static int local_vq_setup(struct vtransport *t, uint16_t idx, uint16_t num, uint64_t desc,
			  uint64_t driver, uint64_t device)
{
	struct uvdpa_device *d = to_local(t)->dev;
	struct uvdpa_callback cb = { .fn = NULL, .opaque = NULL };
	int fd = local_call_fd(t, idx);

	if (fd < 0)
		return fd;
	cb.trigger_fd = fd;
	d->ops->set_vq_num(d, idx, num);
	if (d->ops->set_vq_address(d, idx, desc, driver, device))
		return -EIO;
	d->ops->set_vq_cb(d, idx, &cb);
	d->ops->set_vq_ready(d, idx, true);
	return d->ops->get_vq_ready(d, idx) ? 0 : -EIO;
}

static void local_kick(struct vtransport *t, uint16_t idx)
{
	struct uvdpa_device *d = to_local(t)->dev;

	d->ops->kick_vq(d, idx);
}

static int local_dma_alloc(struct vtransport *t, size_t size, struct vdma *out)
{
	struct local_transport *lt = to_local(t);
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct uvdpa_map_region r;
	void *p;
	int err;

	if (size == 0)
		return -EINVAL;
	size = (size + pg - 1) & ~(pg - 1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	r.iova = lt->next_iova;
	r.size = size;
	r.host = p;
	r.perm = UVDPA_MAP_RW;
	err = uvdpa_memmap_add(lt->map, &r);
	if (err) {
		munmap(p, size);
		return err;
	}
	lt->dirty = true;
	lt->next_iova += ((size + LOCAL_IOVA_ALIGN - 1) & ~(LOCAL_IOVA_ALIGN - 1)) +
			 LOCAL_IOVA_GUARD;
	out->host = p;
	out->iova = r.iova;
	out->size = size;
	return 0;
}

static void unmap_freed(struct local_transport *lt)
{
	unsigned i;

	for (i = 0; i < lt->nfreed; i++)
		munmap(lt->freed[i].host, lt->freed[i].size);
	lt->nfreed = 0;
}

static int local_dma_sync(struct vtransport *t)
{
	struct local_transport *lt = to_local(t);

	if (lt->dirty) {
		if (lt->dev->ops->set_map(lt->dev, lt->map))
			return -EIO;    /* the device may still use what was freed */
		lt->dirty = false;
	}
	unmap_freed(lt);
	return 0;
}

static void local_dma_free(struct vtransport *t, struct vdma *dma)
{
	struct local_transport *lt = to_local(t);

	if (!dma->host)
		return;
	if (uvdpa_memmap_remove(lt->map, dma->iova, dma->size) == 0)
		lt->dirty = true;
	if (lt->nfreed == lt->cap_freed) {
		unsigned cap = lt->cap_freed ? 2 * lt->cap_freed : 16;
		struct vdma *f = realloc(lt->freed, cap * sizeof(*f));

		if (!f) {
			/* No room to defer: tell the device now, then unmap. */
			local_dma_sync(t);
			munmap(dma->host, dma->size);
			memset(dma, 0, sizeof(*dma));
			return;
		}
		lt->freed = f;
		lt->cap_freed = cap;
	}
	lt->freed[lt->nfreed++] = *dma;
	memset(dma, 0, sizeof(*dma));
}

static int local_reset(struct vtransport *t)
{
	struct uvdpa_device *d = to_local(t)->dev;

	if (uvdpa_device_reset(d))
		return -EIO;
	/* virtio 1.2 §4.1.4.3.2: the reset is done when status reads 0. */
	return d->ops->get_status(d) == 0 ? 0 : -EIO;
}

static void local_close(struct vtransport *t)
{
	struct local_transport *lt = to_local(t);
	unsigned i;

	local_reset(t);
	/* The device forgets every region before any is unmapped, including
	 * regions a driver failed to free. */
	if (lt->dirty || uvdpa_memmap_count(lt->map))
		lt->dev->ops->set_map(lt->dev, NULL);
	unmap_freed(lt);
	for (i = 0; i < uvdpa_memmap_count(lt->map); i++) {
		const struct uvdpa_map_region *r = uvdpa_memmap_region(lt->map, i);

		munmap(r->host, r->size);
	}
	free(lt->freed);
	for (i = 0; i < lt->nvqs; i++)
		if (lt->call_fds[i] >= 0)
			close(lt->call_fds[i]);
	lt->dev->face_priv = NULL;
	uvdpa_device_release(lt->dev, local_owner);
	uvdpa_memmap_free(lt->map);
	free(lt->call_fds);
	free(lt);
}

static const struct vtransport_ops local_ops = {
	.device_id = local_device_id,
	.get_features = local_get_features,
	.set_features = local_set_features,
	.get_status = local_get_status,
	.set_status = local_set_status,
	.config_size = local_config_size,
	.read_config = local_read_config,
	.config_generation = local_config_generation,
	.num_queues = local_num_queues,
	.vq_max_size = local_vq_max_size,
	.vq_setup = local_vq_setup,
	.kick = local_kick,
	.call_fd = local_call_fd,
	.dma_alloc = local_dma_alloc,
	.dma_free = local_dma_free,
	.dma_sync = local_dma_sync,
	.reset = local_reset,
	.close = local_close,
};

int vtransport_local_open(struct uvdpa_device *dev, struct vtransport **out)
{
	struct local_transport *lt;
	unsigned i;

	if (dev->face_priv)
		return -EBUSY;
	if (uvdpa_device_claim(dev, local_owner, NULL))
		return -EBUSY;
	lt = calloc(1, sizeof(*lt));
	if (!lt) {
		uvdpa_device_release(dev, local_owner);
		return -ENOMEM;
	}
	lt->t.ops = &local_ops;
	lt->dev = dev;
	lt->nvqs = dev->nvqs;
	lt->next_iova = LOCAL_IOVA_BASE;
	lt->map = uvdpa_memmap_new();
	lt->call_fds = malloc((lt->nvqs ? lt->nvqs : 1) * sizeof(int));
	if (!lt->map || !lt->call_fds) {
		uvdpa_memmap_free(lt->map);
		free(lt->call_fds);
		free(lt);
		uvdpa_device_release(dev, local_owner);
		return -ENOMEM;
	}
	for (i = 0; i < lt->nvqs; i++)
		lt->call_fds[i] = -1;
	dev->face_priv = lt;
	*out = &lt->t;
	return 0;
}
