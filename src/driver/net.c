// SPDX-License-Identifier: MIT
/*
 * virtio-net driver: probe, queue and buffer set-up, config space and the
 * control virtqueue (the kernel's virtnet_probe, virtnet_send_command).
 * The datapath is in net_io.c.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "driver/net_priv.h"

#define CVQ_TIMEOUT_MS 5000
/* Control queue memory: header, command data, ack byte. */
#define CVQ_HDR  0
#define CVQ_DATA 64
#define CVQ_ACK  128
#define CVQ_MEM  192

#define BIT(b) (1ULL << (b))

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) / a * a;
}

static uint64_t net_flag_features(unsigned flags)
{
	uint64_t f = 0;

	if (flags & UVDPA_NET_PACKED)
		f |= BIT(VIRTIO_F_RING_PACKED);
	if (flags & UVDPA_NET_INDIRECT)
		f |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (flags & UVDPA_NET_EVENT_IDX)
		f |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (flags & UVDPA_NET_MRG_RXBUF)
		f |= BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (flags & UVDPA_NET_CTRL_VQ)
		f |= BIT(VIRTIO_NET_F_CTRL_VQ);
	if (flags & UVDPA_NET_IN_ORDER)
		f |= BIT(VIRTIO_F_IN_ORDER);
	return f;
}

static int net_read(struct uvdpa_net *n, size_t off, void *buf, unsigned len)
{
	return uvdpa_virtio_read_config(n->v, (unsigned)off, buf, len) ? -EIO : 0;
}

int uvdpa_net_get_config(struct uvdpa_net *n, struct uvdpa_net_config *cfg)
{
	struct virtio_net_config c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->status = VIRTIO_NET_S_LINK_UP;
	cfg->max_queue_pairs = 1;
	if (vdrv_has(n->features, VIRTIO_NET_F_MAC) &&
	    net_read(n, offsetof(struct virtio_net_config, mac), c.mac, sizeof(c.mac)))
		return -EIO;
	if (vdrv_has(n->features, VIRTIO_NET_F_MAC))
		memcpy(cfg->mac, c.mac, sizeof(c.mac));
	if (vdrv_has(n->features, VIRTIO_NET_F_STATUS)) {
		if (net_read(n, offsetof(struct virtio_net_config, status), &c.status, 2))
			return -EIO;
		cfg->status = le16toh(c.status);
	}
	if (vdrv_has(n->features, VIRTIO_NET_F_MQ)) {
		if (net_read(n, offsetof(struct virtio_net_config, max_virtqueue_pairs),
			     &c.max_virtqueue_pairs, 2))
			return -EIO;
		cfg->max_queue_pairs = le16toh(c.max_virtqueue_pairs);
	}
	if (vdrv_has(n->features, VIRTIO_NET_F_MTU)) {
		if (net_read(n, offsetof(struct virtio_net_config, mtu), &c.mtu, 2))
			return -EIO;
		cfg->mtu = le16toh(c.mtu);
	}
	return 0;
}

int uvdpa_net_get_mac(struct uvdpa_net *n, uint8_t mac[6])
{
	if (!vdrv_has(n->features, VIRTIO_NET_F_MAC))
		return -EOPNOTSUPP;
	return net_read(n, offsetof(struct virtio_net_config, mac), mac, 6);
}

unsigned uvdpa_net_queue_pairs(const struct uvdpa_net *n)
{
	return n->npairs;
}

/* Sends one control command and waits for the ack (virtnet_send_command). */
static int net_ctrl(struct uvdpa_net *n, uint8_t class, uint8_t cmd, const void *data,
		    uint32_t len)
{
	struct net_queue *q = &n->cvq;
	uint8_t *base = q->mem.host;
	struct virtio_net_ctrl_hdr *h = (void *)(base + CVQ_HDR);
	volatile uint8_t *ack = base + CVQ_ACK;
	struct uvdpa_vq_buf bufs[3] = {
		{ q->mem.iova + CVQ_HDR, sizeof(*h), false },
		{ q->mem.iova + CVQ_DATA, len, false },
		{ q->mem.iova + CVQ_ACK, 1, true },
	};
	int64_t deadline = vdrv_now_ms() + CVQ_TIMEOUT_MS;
	uint32_t used;

	if (!n->has_cvq)
		return -EOPNOTSUPP;
	if (!n->cvq_ring)
		return n->v->t->ops->net_ctrl(n->v->t, class, cmd, data, len);
	if (q->busy)
		return -EIO;    /* an earlier command never came back */
	h->class = class;
	h->cmd = cmd;
	memcpy(base + CVQ_DATA, data, len);
	*ack = VIRTIO_NET_ERR;
	if (uvdpa_vq_drv_add(&q->vq.drv, bufs, 3, net_token(0)))
		return -EIO;
	q->busy = true;
	vdrv_vq_notify(n->v, &q->vq);
	while (!uvdpa_vq_drv_get_used(&q->vq.drv, &used)) {
		int r;

		if (uvdpa_vq_drv_enable_cb(&q->vq.drv)) {
			uvdpa_vq_drv_disable_cb(&q->vq.drv);
			continue;
		}
		r = vdrv_wait_call(&q->vq, vdrv_left_ms(deadline));
		uvdpa_vq_drv_disable_cb(&q->vq.drv);
		if (r < 0)
			return r;
		if (r == 0 && !uvdpa_vq_drv_get_used(&q->vq.drv, &used))
			return -ETIMEDOUT;  /* the queue stays busy: later commands fail */
		if (r == 0)
			break;
	}
	q->busy = false;
	return *ack == VIRTIO_NET_OK ? 0 : -EIO;
}

int uvdpa_net_set_mac(struct uvdpa_net *n, const uint8_t mac[6])
{
	if (!vdrv_has(n->features, VIRTIO_NET_F_CTRL_MAC_ADDR))
		return -EOPNOTSUPP;
	return net_ctrl(n, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6);
}

int uvdpa_net_set_queue_pairs(struct uvdpa_net *n, uint16_t pairs)
{
	uint16_t le = htole16(pairs);

	if (!vdrv_has(n->features, VIRTIO_NET_F_MQ))
		return -EOPNOTSUPP;
	if (pairs == 0 || pairs > n->npairs)
		return -EINVAL;
	return net_ctrl(n, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, sizeof(le));
}

static void net_queue_free(struct uvdpa_net *n, struct net_queue *q)
{
	vdrv_vq_free(n->v, &q->vq);
	vdrv_dma_free(n->v, &q->mem);
	slot_fifo_fini(&q->free);
	free(q->held);
	memset(q, 0, sizeof(*q));
}

static void net_free(struct uvdpa_net *n)
{
	struct uvdpa_virtio *v = n->v;
	unsigned i;

	for (i = 0; n->pairs && i < n->npairs; i++) {
		net_queue_free(n, &n->pairs[i].rx);
		net_queue_free(n, &n->pairs[i].tx);
	}
	net_queue_free(n, &n->cvq);
	zbuf_pool_fini(n->v, &n->zp);
	free(n->pairs);
	free(n);
	vdrv_dma_sync(v);
}

void uvdpa_net_close(struct uvdpa_net *n)
{
	if (!n)
		return;
	vdrv_remove(n->v);
	net_free(n);
}

static int queue_mem(struct uvdpa_net *n, struct net_queue *q, unsigned nslots, size_t stride)
{
	q->nslots = nslots;
	q->stride = stride;
	return vdrv_dma_alloc(n->v, nslots * stride, &q->mem);
}

/* Big buffers: header + nseg segments; slots hold table, header and data. */
static size_t big_stride(const struct uvdpa_net *n)
{
	return NET_SLOT_DATA + round_up((size_t)n->nseg * n->seg_len, 4096);
}

static int rx_setup(struct uvdpa_net *n, struct net_queue *q, uint16_t idx)
{
	unsigned nslots, i;
	int err;

	err = vdrv_vq_alloc(n->v, &q->vq, idx, n->qsize);
	if (err)
		return err;
	uvdpa_vq_drv_disable_cb(&q->vq.drv);    /* wait_rx asks when it sleeps */
	if (n->mrg) {
		nslots = n->qsize < NET_SLOTS_MAX ? n->qsize : NET_SLOTS_MAX;
		err = queue_mem(n, q, nslots, n->mrg_len);
	} else {
		/* Without indirect descriptors a big buffer takes 1 + nseg slots. */
		nslots = n->indirect ? n->qsize : n->qsize / (1 + n->nseg);
		if (nslots > NET_SLOTS_MAX)
			nslots = NET_SLOTS_MAX;
		err = queue_mem(n, q, nslots, big_stride(n));
	}
	if (!err && !(q->held = calloc(q->nslots, 1)))
		err = -ENOMEM;
	for (i = 0; !err && i < q->nslots; i++)
		err = net_rx_post(n, q, i);
	if (!err)
		uvdpa_vq_drv_publish(&q->vq.drv);
	return err;
}

static int tx_setup(struct uvdpa_net *n, struct net_queue *q, uint16_t idx)
{
	unsigned nslots = n->qsize < NET_SLOTS_MAX ? n->qsize : NET_SLOTS_MAX;
	int err;

	err = vdrv_vq_alloc(n->v, &q->vq, idx, n->qsize);
	if (err)
		return err;
	/* Completions are reaped on the next send, never waited for. */
	uvdpa_vq_drv_disable_cb(&q->vq.drv);
	err = queue_mem(n, q, nslots, big_stride(n));
	if (err)
		return err;
	return slot_fifo_init(&q->free, nslots);
}

static int cvq_setup(struct uvdpa_net *n, uint16_t idx)
{
	/* The control queue carries one command at a time: a small ring. */
	uint16_t num = n->qsize < 64 ? n->qsize : 64;
	int err;

	err = vdrv_vq_alloc(n->v, &n->cvq.vq, idx, num);
	if (err)
		return err;
	uvdpa_vq_drv_disable_cb(&n->cvq.vq.drv);
	return queue_mem(n, &n->cvq, 1, CVQ_MEM);
}

/* Buffer geometry from the ring size: a 65535-byte frame must always fit. */
static void net_geometry(struct uvdpa_net *n)
{
	unsigned slots = n->qsize < NET_SLOTS_MAX ? n->qsize : NET_SLOTS_MAX;
	size_t mrg;

	n->nseg = n->indirect || n->qsize > NET_BIG_SEGS ? NET_BIG_SEGS : n->qsize - 1u;
	n->seg_len = (uint32_t)round_up((UVDPA_NET_FRAME_MAX + n->nseg - 1) / n->nseg, 64);
	mrg = round_up((UVDPA_NET_FRAME_MAX + NET_HDR_LEN + slots - 1) / slots, 64);
	n->mrg_len = mrg > NET_MRG_LEN ? (uint32_t)mrg : NET_MRG_LEN;
}

static int net_check_opts(struct uvdpa_net *n, const struct uvdpa_net_opts *o)
{
	uint16_t max = vdrv_vq_max(n->v, 0);
	bool packed = vdrv_has(n->features, VIRTIO_F_RING_PACKED);
	struct uvdpa_net_config cfg;

	n->qsize = o->queue_size ? o->queue_size : max;
	if (n->qsize < 2 || n->qsize > max || (!packed && (n->qsize & (n->qsize - 1))))
		return -EINVAL;
	if (uvdpa_net_get_config(n, &cfg))
		return -EIO;
	if (n->npairs > cfg.max_queue_pairs)
		return -EINVAL;
	/* The control queue follows the last pair the device has. */
	if (2u * cfg.max_queue_pairs + (n->cvq_ring ? 1u : 0u) > uvdpa_virtio_num_queues(n->v))
		return -EIO;
	return 0;
}

/* The zero-copy pool, carved now so the device learns of it with the rings. */
static int net_zbuf_setup(struct uvdpa_net *n, const struct uvdpa_net_opts *o)
{
	size_t size = o->zbuf_size ? o->zbuf_size : NET_ZC_SIZE_DEFAULT;

	if (o->zbuf_count && (size < UVDPA_NET_FRAME_MIN || size > UVDPA_NET_FRAME_MAX))
		return -EINVAL;
	return zbuf_pool_init(n->v, &n->zp, o->zbuf_count, size, NET_ZC_HEAD);
}

static int net_start(struct uvdpa_net *n, const struct uvdpa_net_opts *o)
{
	struct uvdpa_net_config cfg;
	unsigned i;
	int err;

	err = net_check_opts(n, o);
	if (err)
		return err;
	uvdpa_net_get_config(n, &cfg);
	net_geometry(n);
	n->pairs = calloc(n->npairs, sizeof(*n->pairs));
	if (!n->pairs)
		return -ENOMEM;
	for (i = 0; i < n->npairs; i++) {
		err = rx_setup(n, &n->pairs[i].rx, (uint16_t)(2 * i));
		if (!err)
			err = tx_setup(n, &n->pairs[i].tx, (uint16_t)(2 * i + 1));
		if (err)
			return err;
	}
	if (n->cvq_ring) {
		err = cvq_setup(n, (uint16_t)(2 * cfg.max_queue_pairs));
		if (err)
			return err;
	}
	err = net_zbuf_setup(n, o);
	if (err)
		return err;
	/* Everything is laid out: the device gets the memory once, then the
	 * queues (§3.1.1 step 7), then DRIVER_OK. */
	for (i = 0; !err && i < n->npairs; i++) {
		err = vdrv_vq_enable(n->v, &n->pairs[i].rx.vq);
		if (!err)
			err = vdrv_vq_enable(n->v, &n->pairs[i].tx.vq);
	}
	if (!err && n->cvq_ring)
		err = vdrv_vq_enable(n->v, &n->cvq.vq);
	if (!err)
		err = vdrv_driver_ok(n->v);
	if (err)
		return err;
	/* Buffers were published before DRIVER_OK; now tell the device. */
	for (i = 0; i < n->npairs; i++)
		n->v->t->ops->kick(n->v->t, n->pairs[i].rx.vq.idx);
	if (vdrv_has(n->features, VIRTIO_NET_F_MQ))
		return uvdpa_net_set_queue_pairs(n, (uint16_t)n->npairs) ? -EIO : 0;
	return 0;
}

int uvdpa_net_open(struct uvdpa_virtio *v, const struct uvdpa_net_opts *opts,
		   struct uvdpa_net **out)
{
	struct uvdpa_net_opts o = {
		.flags = UVDPA_NET_INDIRECT | UVDPA_NET_EVENT_IDX | UVDPA_NET_MRG_RXBUF |
			 UVDPA_NET_CTRL_VQ,
	};
	uint64_t asked, wanted, required = BIT(VIRTIO_F_VERSION_1);
	struct uvdpa_net *n;
	int err;

	if (opts)
		o = *opts;
	asked = net_flag_features(o.flags);
	if (opts)
		required |= asked;
	if (o.queue_pairs > 1)
		required |= BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ);
	wanted = asked | BIT(VIRTIO_F_ACCESS_PLATFORM) | BIT(VIRTIO_NET_F_MAC) |
		 BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_STATUS);
	if (o.flags & UVDPA_NET_CTRL_VQ)
		wanted |= BIT(VIRTIO_NET_F_CTRL_MAC_ADDR);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->v = v;
	err = vdrv_probe(v, VIRTIO_ID_NET, wanted, required);
	if (err) {
		free(n);
		return err;
	}
	n->features = uvdpa_virtio_features(v);
	n->mrg = vdrv_has(n->features, VIRTIO_NET_F_MRG_RXBUF);
	n->indirect = vdrv_has(n->features, VIRTIO_RING_F_INDIRECT_DESC);
	n->has_cvq = vdrv_has(n->features, VIRTIO_NET_F_CTRL_VQ);
	/* Over vhost-user the transport answers the commands: no ring. */
	n->cvq_ring = n->has_cvq && !v->t->ops->net_ctrl;
	n->npairs = o.queue_pairs > 1 ? o.queue_pairs : 1;
	err = net_start(n, &o);
	if (err) {
		/* Over vhost-user a dead connection is the cause, not its symptom. */
		err = vdrv_error(v, err);
		vdrv_fail(v);
		net_free(n);
		return err;
	}
	*out = n;
	return 0;
}
