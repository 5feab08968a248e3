// SPDX-License-Identifier: MIT
/*
 * vdpasim_net (kernel drivers/vdpa/vdpa_sim/vdpa_sim_net.c): a virtio-net
 * device that loops every frame sent on TX queue i back to RX queue i,
 * through the kernel's receive filter, plus a control virtqueue.
 *
 * Beyond the kernel: max_vqp N > 1 (MQ, 2N+1 queues), frames up to 65535
 * bytes copied once straight from the TX chain into the RX chain(s),
 * mergeable RX buffers, a memcmp MAC filter, and a CVQ that answers ERR to
 * whatever it does not implement.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "devices/runtime.h"

/*
 * The kernel's device feature word: MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR
 * ANY_LAYOUT VERSION_1 ACCESS_PLATFORM. A device offers it plus what the
 * virtqueue engine implements (INDIRECT_DESC, EVENT_IDX, RING_PACKED),
 * MRG_RXBUF, IN_ORDER (every queue is served in the order its buffers are
 * made available), and MQ when it has more than one queue pair. The mgmtdev
 * advertises the union, NET_OFFERED(NET_MAX_VQP): exactly what device_features
 * may hold (uvdpa(8) says why this differs from the kernel's `mgmtdev show`).
 */
#define NET_CLASS_FEATURES 0x308830028ULL
#define NET_OFFERED(pairs) \
	(NET_CLASS_FEATURES | VDPASIM_TRANSPORT_FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
	 (1ULL << VIRTIO_F_IN_ORDER) | \
	 ((pairs) > 1 ? (1ULL << VIRTIO_NET_F_MQ) : 0))

#define NET_DEFAULT_MTU   1500
#define NET_MAX_VQP       64      /* uvdpa's limit for max_vqp */
#define NET_MAX_FRAME     65535   /* bytes after the virtio-net header */
#define NET_MRG_MAX       256     /* RX buffers one frame may span */

struct net_rx_stats {
	uint64_t packets, bytes, errors, overruns, drops;
};

struct net_tx_stats {
	uint64_t packets, bytes, errors, drops;
};

struct net_pair_stats {
	struct net_rx_stats rx;
	struct net_tx_stats tx;
};

/* An RX chain of a frame being spread over mergeable buffers. */
struct mrg_buf {
	struct uvdpa_chain c;
	uint32_t len;
};

/*
 * TX chains taken ahead of the one being looped. The frames were written on
 * another CPU: each first touch is a cache miss, and asking for several
 * frames' headers at once lets those misses overlap.
 */
#define NET_TX_AHEAD 8

struct tx_window {
	struct uvdpa_chain c[NET_TX_AHEAD];
	int r[NET_TX_AHEAD];            /* devrt_pop's result for c[i] */
	unsigned n;
	bool end;                       /* the ring is empty or broken */
	struct iovec iov[NET_TX_AHEAD][VDPASIM_CHAIN_IOV];
};

struct vdpasim_net {
	struct devrt rt;               /* first */
	uint16_t max_vqp;
	uint16_t curr_qps;              /* set by CVQ MQ VQ_PAIRS_SET */
	struct net_pair_stats *pairs;
	struct devrt_cvq_stats cvq;
	/* chain storage of the worker: TX chain, first and current RX chains */
	struct iovec iov_tx[VDPASIM_CHAIN_IOV];
	struct iovec iov_rx0[VDPASIM_CHAIN_IOV];
	struct iovec iov_rx[VDPASIM_CHAIN_IOV];
	struct mrg_buf mrg[NET_MRG_MAX];
	struct tx_window txw;
};

enum deliver { DELIVERED, DROPPED, STALLED };

static struct vdpasim_net *sim_to_net(struct devrt *s)
{
	return (struct vdpasim_net *)s;
}

static struct virtio_net_config *net_config(struct devrt *s)
{
	return (struct virtio_net_config *)s->config;
}

static void chain_init(struct uvdpa_chain *c, struct iovec *iov)
{
	memset(c, 0, sizeof(*c));
	c->iov = iov;
	c->iov_cap = VDPASIM_CHAIN_IOV;
}

/*
 * The engine's pop, and the runtime's only when the ring looks empty or
 * broken: it re-arms kicks and looks again, or reports the break.
 */
static int rx_pop(struct devrt *s, struct devrt_vq *rxq, struct uvdpa_chain *c)
{
	int r = uvdpa_vq_dev_pop(&rxq->dev, c);

	return r == 1 || r == -E2BIG ? r : devrt_pop(s, rxq, c);
}

static unsigned net_hdr_len(struct devrt *s)
{
	return (devrt_has_feature(s, VIRTIO_F_VERSION_1) ||
		devrt_has_feature(s, VIRTIO_NET_F_MRG_RXBUF)) ?
		sizeof(struct virtio_net_hdr_v1) : sizeof(struct virtio_net_hdr);
}

/* Own MAC, broadcast or multicast (the latest kernel's filter, with memcmp). */
static bool net_accept(struct devrt *s, const uint8_t dst[6])
{
	return (dst[0] & 1) || memcmp(dst, net_config(s)->mac, 6) == 0;
}

static void put_num_buffers(const struct uvdpa_chain *c, uint16_t n)
{
	size_t at = offsetof(struct virtio_net_hdr_v1, num_buffers);
	uint16_t le = htole16(n);

	/* The header is nearly always in the first segment: a store, not a walk. */
	if (c->n_in && c->iov[c->n_out].iov_len >= at + sizeof(le))
		memcpy((char *)c->iov[c->n_out].iov_base + at, &le, sizeof(le));
	else
		uvdpa_chain_write(c, at, &le, sizeof(le));
}

/* One RX chain per frame (no MRG_RXBUF): a short buffer truncates, as the kernel. */
static enum deliver deliver_one(struct devrt *s, struct devrt_vq *rxq,
				const struct uvdpa_chain *tx, unsigned hdr_len,
				struct net_rx_stats *st)
{
	struct vdpasim_net *n = sim_to_net(s);
	struct uvdpa_chain rx;
	size_t len;
	int r;

	chain_init(&rx, n->iov_rx0);
	r = rx_pop(s, rxq, &rx);
	if (r == 0) {
		st->overruns++;
		return STALLED;
	}
	if (r == -EIO)
		return STALLED;
	if (r == -E2BIG) {
		st->errors++;
		uvdpa_vq_dev_push(&rxq->dev, &rx, 0);
		return DROPPED;
	}
	len = uvdpa_chain_copy(&rx, 0, tx, 0, tx->out_len);
	if (len < hdr_len) {
		/* No room for even the header: nothing usable was received. */
		st->errors++;
		uvdpa_vq_dev_push(&rxq->dev, &rx, 0);
		return DROPPED;
	}
	if (hdr_len == sizeof(struct virtio_net_hdr_v1))
		put_num_buffers(&rx, 1);
	uvdpa_vq_dev_push(&rxq->dev, &rx, (uint32_t)len);
	st->packets++;
	st->bytes += len;
	return DELIVERED;
}

/*
 * MRG_RXBUF: the frame is spread over as many RX chains as it needs and
 * num_buffers goes into the first one's header. Used entries are recorded
 * only once the whole frame fits, so the chains of one frame are adjacent
 * in the used ring; if the ring runs dry midway, the chains are given back
 * and the frame counts as an overrun.
 */
static enum deliver deliver_mrg(struct devrt *s, struct devrt_vq *rxq,
				const struct uvdpa_chain *tx, unsigned hdr_len,
				struct net_rx_stats *st)
{
	struct vdpasim_net *n = sim_to_net(s);
	size_t off = 0, total = tx->out_len;
	struct uvdpa_chain *bad = NULL;
	unsigned cnt = 0, i;

	while (off < total && cnt < NET_MRG_MAX) {
		struct uvdpa_chain *c = &n->mrg[cnt].c;
		size_t len;
		int r;

		chain_init(c, cnt ? n->iov_rx : n->iov_rx0);
		r = rx_pop(s, rxq, c);
		if (r == -EIO)
			return STALLED;
		if (r == 0) {
			for (i = cnt; i-- > 0;)
				devrt_unpop(rxq, &n->mrg[i].c);
			st->overruns++;
			return STALLED;
		}
		if (r == -E2BIG || c->in_len < (cnt ? 1 : hdr_len)) {
			/* An unusable chain is completed empty. Before the frame
			 * started that costs nothing; after, the frame's chains can
			 * no longer be given back, so the frame is dropped. */
			if (cnt) {
				bad = c;
				break;
			}
			st->errors++;
			uvdpa_vq_dev_push(&rxq->dev, c, 0);
			continue;
		}
		len = total - off < c->in_len ? total - off : c->in_len;
		len = uvdpa_chain_copy(c, 0, tx, off, len);
		n->mrg[cnt].len = (uint32_t)len;
		off += len;
		cnt++;
		if (len == 0)
			break;
	}
	if (off < total) {
		/* Too many buffers needed, or an unusable one: drop the frame and
		 * hand its buffers back empty, in order. */
		for (i = 0; i < cnt; i++)
			uvdpa_vq_dev_push(&rxq->dev, &n->mrg[i].c, 0);
		if (bad)
			uvdpa_vq_dev_push(&rxq->dev, bad, 0);
		st->errors++;
		return DROPPED;
	}
	put_num_buffers(&n->mrg[0].c, (uint16_t)cnt);
	for (i = 0; i < cnt; i++)
		uvdpa_vq_dev_push(&rxq->dev, &n->mrg[i].c, n->mrg[i].len);
	st->packets++;
	st->bytes += total;
	return DELIVERED;
}

/*
 * The frame's destination MAC, read where it lies when one segment holds it.
 * With a copy on the stack, perf put most of the worker's samples on the
 * compare: a load the copy's stores cannot forward waits for the store
 * buffer, which still holds the previous frame's writes to the driver's RX
 * buffers, cache lines owned by another CPU.
 */
static const uint8_t *tx_dst(const struct uvdpa_chain *tx, unsigned hdr_len, uint8_t buf[6])
{
	if (tx->out_len < hdr_len + 6)
		return NULL;
	if (tx->n_out && tx->iov[0].iov_len >= hdr_len + 6)
		return (const uint8_t *)tx->iov[0].iov_base + hdr_len;
	if (uvdpa_chain_read(tx, hdr_len, buf, 6) != 6)
		return NULL;
	return buf;
}

static enum deliver net_deliver(struct devrt *s, struct devrt_vq *rxq,
				const struct uvdpa_chain *tx, struct net_pair_stats *st)
{
	unsigned hdr_len = net_hdr_len(s);
	uint8_t buf[6];
	const uint8_t *dst = tx_dst(tx, hdr_len, buf);

	if (!dst || !net_accept(s, dst)) {
		st->rx.drops++;
		return DROPPED;
	}
	if (devrt_has_feature(s, VIRTIO_NET_F_MRG_RXBUF))
		return deliver_mrg(s, rxq, tx, hdr_len, &st->rx);
	return deliver_one(s, rxq, tx, hdr_len, &st->rx);
}

/* Where the frame (its destination MAC, read first) starts in a TX chain. */
static const void *tx_frame_start(const struct uvdpa_chain *c, unsigned hdr_len)
{
	if (!c->n_out)
		return NULL;
	if (c->iov[0].iov_len > hdr_len)
		return (const char *)c->iov[0].iov_base + hdr_len;
	return c->n_out > 1 ? c->iov[1].iov_base : NULL;
}

/*
 * Takes up to max TX chains in one engine call and prefetches the start of
 * each frame. A short burst ends with the runtime's pop, which re-arms kicks
 * on an empty ring and looks again, or reports a broken one.
 */
static void tx_window_fill(struct devrt *s, struct devrt_vq *txq, struct tx_window *w,
			   unsigned max)
{
	unsigned hdr_len = net_hdr_len(s), i;
	int r;

	for (i = 0; i < max; i++)
		chain_init(&w->c[i], w->iov[i]);
	r = uvdpa_vq_dev_pop_burst(&txq->dev, w->c, w->r, max);
	w->n = r > 0 ? (unsigned)r : 0;
	if (w->n < max) {
		r = devrt_pop(s, txq, &w->c[w->n]);
		if (r == 0 || r == -EIO)
			w->end = true;
		else
			w->r[w->n++] = r;
	}
	for (i = 0; i < w->n; i++) {
		const struct uvdpa_chain *c = &w->c[i];

		/* the header is copied too: it may sit on a line of its own */
		if (c->n_out)
			__builtin_prefetch(c->iov[0].iov_base);
		if (tx_frame_start(c, hdr_len))
			__builtin_prefetch(tx_frame_start(c, hdr_len));
	}
}

/* Loops one TX chain into the RX queue; false if RX ran out of buffers.
 * The caller completes the TX chain (the whole window in one push). */
static bool net_tx_one(struct devrt *s, struct devrt_vq *rxq, const struct uvdpa_chain *tx,
		       int r, struct net_pair_stats *st)
{
	unsigned hdr_len = net_hdr_len(s);
	enum deliver res;

	if (r == -E2BIG || tx->out_len > hdr_len + NET_MAX_FRAME) {
		st->tx.errors++;
		return true;
	}
	st->tx.packets++;
	st->tx.bytes += tx->out_len;
	res = rxq->broken ? STALLED : net_deliver(s, rxq, tx, st);
	return res != STALLED;
}

/* Loops a burst of TX frames of pair p into its RX queue. */
static unsigned net_pair_work(struct devrt *s, unsigned p, bool *again)
{
	struct vdpasim_net *n = sim_to_net(s);
	struct devrt_vq *rxq = &s->vqs[2 * p], *txq = &s->vqs[2 * p + 1];
	struct net_pair_stats *st = &n->pairs[p];
	struct tx_window *w = &n->txw;
	unsigned done = 0, i;

	w->end = false;
	while (done < VDPASIM_BURST && !w->end) {
		unsigned max = VDPASIM_BURST - done;

		tx_window_fill(s, txq, w, max < NET_TX_AHEAD ? max : NET_TX_AHEAD);
		for (i = 0; i < w->n; i++) {
			if (net_tx_one(s, rxq, &w->c[i], w->r[i], st))
				continue;
			/* The kernel completes the TX chain even when the frame
			 * is lost. Out of RX buffers: give the chains taken ahead back
			 * (newest first) and wait for the driver to add buffers
			 * (its RX kick runs the work again), as the kernel does. */
			uvdpa_vq_dev_push_burst(&txq->dev, w->c, i + 1, 0);
			while (w->n-- > i + 1)
				devrt_unpop(txq, &w->c[w->n]);
			txq->stalled = true;
			done += i + 1;
			goto out;
		}
		uvdpa_vq_dev_push_burst(&txq->dev, w->c, w->n, 0);
		done += w->n;
	}
out:
	devrt_flush(s, rxq);
	devrt_flush(s, txq);
	if (done == VDPASIM_BURST && !txq->stalled)
		*again = true;
	return done;
}

static uint8_t cvq_handle(struct devrt *s, const struct uvdpa_chain *c)
{
	struct vdpasim_net *n = sim_to_net(s);
	struct virtio_net_ctrl_hdr h;
	uint8_t mac[6];
	uint16_t pairs;

	if (uvdpa_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return VIRTIO_NET_ERR;
	if (h.class == VIRTIO_NET_CTRL_MAC && h.cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (c->out_len != sizeof(h) + sizeof(mac) ||
		    uvdpa_chain_read(c, sizeof(h), mac, sizeof(mac)) != sizeof(mac))
			return VIRTIO_NET_ERR;
		memcpy(net_config(s)->mac, mac, sizeof(mac));
		return VIRTIO_NET_OK;
	}
	if (h.class == VIRTIO_NET_CTRL_MQ && h.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
	    devrt_has_feature(s, VIRTIO_NET_F_MQ)) {
		if (c->out_len != sizeof(h) + sizeof(pairs) ||
		    uvdpa_chain_read(c, sizeof(h), &pairs, sizeof(pairs)) != sizeof(pairs))
			return VIRTIO_NET_ERR;
		pairs = le16toh(pairs);
		if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->max_vqp)
			return VIRTIO_NET_ERR;
		n->curr_qps = pairs;
		return VIRTIO_NET_OK;
	}
	/* Everything else is not implemented: ERR, never a stale OK. */
	return VIRTIO_NET_ERR;
}

static unsigned net_cvq_work(struct devrt *s, bool *again)
{
	struct vdpasim_net *n = sim_to_net(s);

	return devrt_cvq_work(s, &s->vqs[2 * n->max_vqp], n->iov_tx, VDPASIM_CHAIN_IOV,
				cvq_handle, &n->cvq, again);
}

static unsigned net_work(struct devrt *s, bool *again)
{
	struct vdpasim_net *n = sim_to_net(s);
	unsigned p, done = 0;

	if (devrt_has_feature(s, VIRTIO_NET_F_CTRL_VQ) &&
	    devrt_vq_usable(&s->vqs[2 * n->max_vqp]))
		done += net_cvq_work(s, again);
	/*
	 * Every pair whose queues are both enabled loops, whatever VQ_PAIRS_SET
	 * said: frames only ever go from TX i to RX i, so a driver that uses
	 * fewer pairs is not affected.
	 */
	for (p = 0; p < n->max_vqp; p++)
		if (devrt_vq_usable(&s->vqs[2 * p]) && devrt_vq_usable(&s->vqs[2 * p + 1]))
			done += net_pair_work(s, p, again);
	return done;
}

static void net_get_config(struct devrt *s, void *config)
{
	struct virtio_net_config *c = config;

	/* The link is always up, whatever the driver wrote. */
	c->status = htole16(VIRTIO_NET_S_LINK_UP);
}

static unsigned put_stats(struct uvdpa_vq_stat *st, unsigned max,
			  const char *const *names, const uint64_t *values, unsigned n)
{
	unsigned i;

	for (i = 0; i < n && i < max; i++) {
		st[i].name = names[i];
		st[i].value = values[i];
	}
	return i;
}

/* The kernel's names and order; qidx 2k RX and 2k+1 TX of pair k, 2N the CVQ. */
static int net_get_stats(struct devrt *s, uint16_t idx, struct uvdpa_vq_stat *st, unsigned max)
{
	static const char *const rx_names[] = {
		"rx packets", "rx bytes", "rx errors", "rx overruns", "rx drops" };
	static const char *const tx_names[] = {
		"tx packets", "tx bytes", "tx errors", "tx drops" };
	static const char *const cvq_names[] = {
		"cvq requests", "cvq successes", "cvq errors" };
	struct vdpasim_net *n = sim_to_net(s);

	if (idx < 2 * n->max_vqp) {
		const struct net_pair_stats *p = &n->pairs[idx / 2];

		if (idx % 2 == 0) {
			uint64_t v[] = { p->rx.packets, p->rx.bytes, p->rx.errors,
					 p->rx.overruns, p->rx.drops };

			return (int)put_stats(st, max, rx_names, v, 5);
		} else {
			uint64_t v[] = { p->tx.packets, p->tx.bytes, p->tx.errors, p->tx.drops };

			return (int)put_stats(st, max, tx_names, v, 4);
		}
	}
	if (idx == 2 * n->max_vqp) {
		uint64_t v[] = { n->cvq.requests, n->cvq.successes, n->cvq.errors };

		return (int)put_stats(st, max, cvq_names, v, 3);
	}
	return -EINVAL;
}

static void net_free(struct devrt *s)
{
	free(sim_to_net(s)->pairs);
}

static int net_dev_add(struct uvdpa_mgmtdev *m, const char *name,
		       const struct uvdpa_dev_set_config *cfg,
		       struct uvdpa_device **out, const char **msg)
{
	struct devrt_dev_attr attr = {
		.id = VIRTIO_ID_NET,
		.config_size = sizeof(struct virtio_net_config),
		.alloc_size = sizeof(struct vdpasim_net),
		.work_fn = net_work,
		.get_config = net_get_config,
		.get_stats = net_get_stats,
		.free = net_free,
	};
	struct virtio_net_config *c;
	struct vdpasim_net *n;
	struct devrt *s;
	uint16_t pairs = 1;
	int err = 0;

	(void)m;
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		pairs = cfg->net.max_vq_pairs;
		if (pairs < 1 || pairs > NET_MAX_VQP) {
			if (msg)
				*msg = "max_vqp must be between 1 and 64";
			return -EINVAL;
		}
	}
	if ((cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU)) && cfg->net.mtu < 68) {
		if (msg)
			*msg = "MTU must be at least 68";
		return -EINVAL;
	}
	attr.nvqs = 2u * pairs + 1;
	attr.supported_features = NET_OFFERED(pairs);
	s = devrt_create(&attr, cfg, name, &err);
	if (!s)
		return err;
	n = sim_to_net(s);
	n->max_vqp = pairs;
	n->curr_qps = 1;
	n->pairs = calloc(pairs, sizeof(*n->pairs));
	if (!n->pairs) {
		devrt_destroy(s);
		return -ENOMEM;
	}
	c = net_config(s);
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR))
		memcpy(c->mac, cfg->net.mac, sizeof(c->mac));
	c->mtu = htole16((cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU)) ?
			 cfg->net.mtu : NET_DEFAULT_MTU);
	c->status = htole16(VIRTIO_NET_S_LINK_UP);
	c->max_virtqueue_pairs = htole16(pairs);
	*out = &s->vdev;
	return 0;
}

static void net_dev_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	(void)m;
	devrt_stop(vdpa_to_sim(d));
}

/* vdpa dev set: only the MAC, as the kernel. */
static int net_dev_set_attr(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
			    const struct uvdpa_dev_set_config *cfg)
{
	struct devrt *s = vdpa_to_sim(d);

	(void)m;
	if (!(cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR)))
		return -EOPNOTSUPP;
	devrt_lock(s);
	memcpy(net_config(s)->mac, cfg->net.mac, 6);
	/* Beyond the kernel: tell a bound driver its config changed. */
	s->generation++;
	devrt_config_changed(s);
	devrt_unlock(s);
	return 0;
}

static const struct uvdpa_mgmtdev_ops net_mgmt_ops = {
	.dev_add = net_dev_add,
	.dev_del = net_dev_del,
	.dev_set_attr = net_dev_set_attr,
};

const struct uvdpa_mgmtdev vdpasim_net_mgmtdev = {
	.bus_name = NULL,
	.dev_name = "vdpasim_net",
	.ops = &net_mgmt_ops,
	.id_classes = 1ULL << VIRTIO_ID_NET,
	/* uvdpa accepts max_vqp too (the kernel does not). */
	.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP),
	/* What dev add accepts: device_features within this, and max_vqp up
	 * to NET_MAX_VQP pairs plus the control queue. */
	.supported_features = NET_OFFERED(NET_MAX_VQP),
	.max_supported_vqs = 2 * NET_MAX_VQP + 1,
};
