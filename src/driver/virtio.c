// SPDX-License-Identifier: MIT
/*
 * The virtio core of libuvdpa (kernel drivers/virtio/virtio.c and the ring
 * set-up half of virtio_ring.c): binding to a transport, the device status
 * sequence of virtio 1.2 §3.1, and virtqueues on DMA memory.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "driver/virtio_priv.h"

#define AREA_ALIGN 64   /* each ring area starts on its own cache line */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int virtio_reset_ack(struct uvdpa_virtio *v)
{
	int err = v->t->ops->reset(v->t);

	if (err)
		return err;
	v->t->ops->set_status(v->t, UVDPA_STATUS_ACKNOWLEDGE);
	return 0;
}

int vdrv_error(struct uvdpa_virtio *v, int err)
{
	int terr = v->t->ops->error ? v->t->ops->error(v->t) : 0;

	return terr ? terr : err;
}

int vdrv_bind(struct vtransport *t, struct uvdpa_virtio **out)
{
	struct uvdpa_virtio *v = calloc(1, sizeof(*v));
	int err;

	if (!v) {
		t->ops->close(t);
		return -ENOMEM;
	}
	v->t = t;
	err = vdrv_error(v, virtio_reset_ack(v));
	if (!err) {
		v->device_id = t->ops->device_id(t);
		v->device_features = t->ops->get_features(t);
		err = vdrv_error(v, 0);
	}
	if (err) {
		t->ops->close(t);
		free(v);
		return err;
	}
	*out = v;
	return 0;
}

int uvdpa_virtio_open_local(struct uvdpa_device *dev, struct uvdpa_virtio **out)
{
	struct vtransport *t;
	int err;

	if (!dev || !out)
		return -EINVAL;
	err = vtransport_local_open(dev, &t);
	if (err)
		return err;
	return vdrv_bind(t, out);
}

static int vu_opts(const struct uvdpa_vhost_user_opts *o, struct vtransport_vu_opts *vo)
{
	struct uvdpa_vhost_user_opts none = { 0 };

	if (!o)
		o = &none;
	vo->device_id = o->device_id ? o->device_id : VIRTIO_ID_BLOCK;
	vo->queue_size_max = o->queue_size_max ? o->queue_size_max : 256;
	vo->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
	vo->mem_size = o->mem_size ? o->mem_size : 256u << 20;
	vo->reconnect_ms = o->reconnect_ms;
	if ((vo->device_id != VIRTIO_ID_BLOCK && vo->device_id != VIRTIO_ID_NET) ||
	    vo->timeout_ms < 0 || vo->reconnect_ms < 0 || (vo->queue_size_max & (vo->queue_size_max - 1)) ||
	    vo->queue_size_max > 32768)
		return -EINVAL;
	return 0;
}

int uvdpa_virtio_open_vhost_user(const char *path, const struct uvdpa_vhost_user_opts *opts,
				 struct uvdpa_virtio **out)
{
	struct vtransport_vu_opts vo;
	struct vtransport *t;
	int err;

	if (!path || !out)
		return -EINVAL;
	err = vu_opts(opts, &vo);
	if (!err)
		err = vtransport_vhost_user_open(path, &vo, &t);
	if (err)
		return err;
	return vdrv_bind(t, out);
}

void uvdpa_virtio_close(struct uvdpa_virtio *v)
{
	if (!v)
		return;
	v->t->ops->close(v->t);
	free(v);
}

uint32_t uvdpa_virtio_device_id(const struct uvdpa_virtio *v)
{
	return v->device_id;
}

uint64_t uvdpa_virtio_device_features(const struct uvdpa_virtio *v)
{
	return v->device_features;
}

uint64_t uvdpa_virtio_features(const struct uvdpa_virtio *v)
{
	return v->features;
}

uint8_t uvdpa_virtio_status(const struct uvdpa_virtio *v)
{
	return v->t->ops->get_status(v->t);
}

unsigned uvdpa_virtio_num_queues(const struct uvdpa_virtio *v)
{
	return v->t->ops->num_queues(v->t);
}

int uvdpa_virtio_read_config(struct uvdpa_virtio *v, unsigned offset, void *buf, unsigned len)
{
	size_t size = v->t->ops->config_size(v->t);
	uint32_t gen;
	int tries, err;

	if (!(uvdpa_virtio_status(v) & UVDPA_STATUS_FEATURES_OK) ||
	    offset > size || len > size - offset)
		return -EINVAL;
	/* §2.5.1: a multi-field read is consistent only if the generation
	 * did not move under it. */
	for (tries = 0; tries < 1000; tries++) {
		gen = v->t->ops->config_generation(v->t);
		err = vdrv_error(v, v->t->ops->read_config(v->t, offset, buf, len));
		if (err)
			return err;
		if (v->t->ops->config_generation(v->t) == gen)
			return 0;
	}
	return -EIO;
}

int uvdpa_virtio_config_fd(struct uvdpa_virtio *v)
{
	if (!v->t->ops->config_fd)
		return -EOPNOTSUPP;
	return v->t->ops->config_fd(v->t);
}

int uvdpa_virtio_config_generation(struct uvdpa_virtio *v, uint32_t *generation)
{
	uint32_t gen = v->t->ops->config_generation(v->t);
	int err = vdrv_error(v, 0);

	if (!err)
		*generation = gen;
	return err;
}

int uvdpa_virtio_reset(struct uvdpa_virtio *v)
{
	if (v->driver_open)
		return -EBUSY;
	return virtio_reset_ack(v);
}

static int probe(struct uvdpa_virtio *v, uint32_t id, uint64_t wanted, uint64_t required);

int vdrv_probe(struct uvdpa_virtio *v, uint32_t id, uint64_t wanted, uint64_t required)
{
	/* A dead transport explains any failure better than what it caused. */
	return vdrv_error(v, probe(v, id, wanted, required));
}

static int probe(struct uvdpa_virtio *v, uint32_t id, uint64_t wanted, uint64_t required)
{
	struct vtransport *t = v->t;
	uint64_t offered;
	int err;

	if (v->driver_open)
		return -EBUSY;
	if (v->device_id != id)
		return -ENODEV;
	err = virtio_reset_ack(v);
	if (err)
		return err;
	t->ops->set_status(t, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER);
	offered = t->ops->get_features(t);
	v->device_features = offered;
	if ((offered & required) != required) {
		virtio_reset_ack(v);
		return -EOPNOTSUPP;
	}
	v->features = offered & (wanted | required);
	err = t->ops->set_features(t, v->features);
	if (err)
		goto refused;
	t->ops->set_status(t, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
			   UVDPA_STATUS_FEATURES_OK);
	/* §3.1.1 step 6: the device may refuse this subset by clearing the bit. */
	if (!(t->ops->get_status(t) & UVDPA_STATUS_FEATURES_OK))
		goto refused;
	v->driver_open = true;
	return 0;

refused:
	t->ops->set_status(t, t->ops->get_status(t) | UVDPA_STATUS_FAILED);
	v->features = 0;
	virtio_reset_ack(v);
	return err ? err : -EIO;
}

uint16_t vdrv_vq_max(struct uvdpa_virtio *v, uint16_t idx)
{
	uint16_t max = v->t->ops->vq_max_size(v->t, idx);

	return max > UVDPA_VQ_MAX_NUM ? UVDPA_VQ_MAX_NUM : max;
}

int vdrv_vq_alloc(struct uvdpa_virtio *v, struct vdrv_vq *vq, uint16_t idx, uint16_t num)
{
	bool packed = vdrv_has(v->features, VIRTIO_F_RING_PACKED);
	bool event_idx = vdrv_has(v->features, VIRTIO_RING_F_EVENT_IDX);
	uint64_t desc_sz = uvdpa_vq_desc_size(num, packed);
	uint64_t drv_sz = uvdpa_vq_driver_size(num, packed, event_idx);
	uint64_t dev_sz = uvdpa_vq_device_size(num, packed, event_idx);
	uint64_t drv_off = align_up(desc_sz, AREA_ALIGN);
	uint64_t dev_off = align_up(drv_off + drv_sz, AREA_ALIGN);
	uint8_t *base;
	int err, fd;

	memset(vq, 0, sizeof(*vq));
	vq->idx = idx;
	vq->num = num;
	fd = v->t->ops->call_fd(v->t, idx);
	if (fd < 0)
		return fd;
	vq->call_fd = fd;
	vq->t = v->t;
	err = vdrv_dma_alloc(v, dev_off + dev_sz, &vq->ring);
	if (err)
		return err;
	base = vq->ring.host;
	err = uvdpa_vq_drv_init(&vq->drv, num, packed, event_idx, base, base + drv_off,
				base + dev_off);
	if (err) {
		vdrv_dma_free(v, &vq->ring);
		return err;
	}
	vq->drv.indirect = vdrv_has(v->features, VIRTIO_RING_F_INDIRECT_DESC);
	vq->drv.in_order = vdrv_has(v->features, VIRTIO_F_IN_ORDER);
	vq->set_up = true;
	vq->driver_iova = vq->ring.iova + drv_off;
	vq->device_iova = vq->ring.iova + dev_off;
	return 0;
}

int vdrv_vq_enable(struct uvdpa_virtio *v, struct vdrv_vq *vq)
{
	int err = vdrv_dma_sync(v);

	if (err)
		return err;
	err = v->t->ops->vq_setup(v->t, vq->idx, vq->num, vq->ring.iova, vq->driver_iova,
				  vq->device_iova);
	if (!err && v->t->ops->vq_driver)
		v->t->ops->vq_driver(v->t, vq->idx, &vq->drv);
	return vdrv_error(v, err);
}

void vdrv_vq_free(struct uvdpa_virtio *v, struct vdrv_vq *vq)
{
	if (vq->set_up)
		uvdpa_vq_drv_fini(&vq->drv);
	vq->set_up = false;
	vdrv_dma_free(v, &vq->ring);
}

int vdrv_driver_ok(struct uvdpa_virtio *v)
{
	int err = vdrv_dma_sync(v);

	if (err)
		return err;
	v->t->ops->set_status(v->t, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
			      UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK);
	return vdrv_error(v, 0);
}

void vdrv_fail(struct uvdpa_virtio *v)
{
	struct vtransport *t = v->t;

	t->ops->set_status(t, t->ops->get_status(t) | UVDPA_STATUS_FAILED);
	vdrv_remove(v);
}

void vdrv_remove(struct uvdpa_virtio *v)
{
	/* After the reset the device touches no ring or buffer any more, so
	 * the caller may free them; ACKNOWLEDGE keeps it probed, as a device
	 * whose driver was unbound. */
	virtio_reset_ack(v);
	v->features = 0;
	v->driver_open = false;
}

int vdrv_dma_alloc(struct uvdpa_virtio *v, size_t size, struct vdma *out)
{
	memset(out, 0, sizeof(*out));
	return v->t->ops->dma_alloc(v->t, size, out);
}

void vdrv_dma_free(struct uvdpa_virtio *v, struct vdma *d)
{
	if (d->host)
		v->t->ops->dma_free(v->t, d);
}

int vdrv_dma_sync(struct uvdpa_virtio *v)
{
	return vdrv_error(v, v->t->ops->dma_sync(v->t));
}

/* The back end hung up: a transport that can reconnects (and the caller
 * looks at the ring again), else the wait ends. */
static int hung_up(struct vtransport *t)
{
	if (!t->ops->reconnect)
		return -ECONNRESET;
	return t->ops->reconnect(t) ? -ECONNRESET : 1;
}

int vdrv_wait_call(const struct vdrv_vq *vq, int timeout_ms)
{
	struct vtransport *t = vq->t;
	struct pollfd p[2] = {
		{ .fd = vq->call_fd, .events = POLLIN },
		/* A negative fd is ignored by poll(). */
		{ .fd = t->ops->hup_fd ? t->ops->hup_fd(t) : -1, .events = POLLRDHUP },
	};
	uint64_t cnt;
	int r;

	r = t->ops->error ? t->ops->error(t) : 0;
	if (r)
		return r;
	do
		r = poll(p, 2, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	/* Nothing arrives on a vhost-user socket unasked: any event is its end. */
	if (p[1].revents && !p[0].revents)
		return hung_up(t);
	/* Non-blocking eventfd: this only drains. */
	if (read(vq->call_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	return 1;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Turns between looks at the clock and the connection: a poll(2) each time
 * would cost more than a completion takes to arrive. */
#define VDRV_SPINS_PER_CHECK 1024

int vdrv_spin(struct vdrv_vq *vq, int64_t deadline)
{
	int r;

	if (++vq->spins % VDRV_SPINS_PER_CHECK) {
		cpu_relax();
		return 1;
	}
	/* Non-blocking: also drains a call the device made before polling began. */
	r = vdrv_wait_call(vq, 0);
	if (r < 0)
		return r;
	return deadline >= 0 && vdrv_now_ms() >= deadline ? 0 : 1;
}

int64_t vdrv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vdrv_left_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - vdrv_now_ms();
	return left < 0 ? 0 : (int)left;
}
