// SPDX-License-Identifier: MIT
/*
 * net_tap datapath. Every pass moves up to a burst per direction per pair:
 * TX chains go to the TAP with one writev each, RX chains are filled by one
 * readv each (several chains with MRG_RXBUF). The TAP fds are non-blocking:
 * an empty TAP ends the RX burst, a full one drops the frame (counted), and
 * the worker never sleeps anywhere but in its epoll.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "devices/net_tap.h"

#define ETH_HDR_LEN   14
#define VLAN_HDR_LEN  4
#define NT_MAX_FRAME  65535

static void chain_init(struct uvdpa_chain *c, struct iovec *iov, uint32_t cap)
{
	memset(c, 0, sizeof(*c));
	c->iov = iov;
	c->iov_cap = cap;
}

static unsigned hdr_len(struct devrt *s)
{
	return (devrt_has_feature(s, VIRTIO_F_VERSION_1) ||
		devrt_has_feature(s, VIRTIO_NET_F_MRG_RXBUF)) ?
		sizeof(struct virtio_net_hdr_v1) : sizeof(struct virtio_net_hdr);
}

/* The largest frame the TAP may hand us, header included: GSO frames only
 * once the driver took them (TUNSETOFFLOAD follows its features). */
static size_t rx_need(struct devrt *s)
{
	const struct virtio_net_config *c = (const void *)s->config;

	if (devrt_has_feature(s, VIRTIO_NET_F_GUEST_TSO4) ||
	    devrt_has_feature(s, VIRTIO_NET_F_GUEST_TSO6))
		return hdr_len(s) + NT_MAX_FRAME;
	return hdr_len(s) + ETH_HDR_LEN + VLAN_HDR_LEN + le16toh(c->mtu);
}

/* ---- TX ---- */

static void tx_result(struct net_tap *t, unsigned p, ssize_t n, uint32_t len)
{
	struct nt_stats *st = &t->st[p];

	if (n >= 0) {
		st->tx_packets++;
		st->tx_bytes += len;
		return;
	}
	switch (errno) {
	case EAGAIN:
	case EBADFD:            /* queue detached */
		st->tx_drops++;
		break;
	case EIO:               /* interface down: the link went away */
		st->tx_drops++;
		nt_link_check(t);
		break;
	default:                /* a header the kernel refused */
		st->tx_errors++;
	}
}

static unsigned tx_work(struct devrt *s, unsigned p, bool *again)
{
	struct net_tap *t = rt_to_nt(s);
	struct devrt_vq *txq = &s->vqs[2 * p + 1];
	struct uvdpa_chain c;
	unsigned done;

	for (done = 0; done < VDPASIM_BURST; done++) {
		ssize_t n = -1;
		int r;

		chain_init(&c, t->iov_tx, VDPASIM_CHAIN_IOV);
		r = devrt_pop(s, txq, &c);
		if (r == 0 || r == -EIO)
			break;
		if (r == 1 && c.out_len > hdr_len(s) && c.n_out)
			n = writev(t->fds[p], c.iov, (int)c.n_out);
		else
			errno = EINVAL;
		tx_result(t, p, n, c.out_len);
		uvdpa_vq_dev_push(&txq->dev, &c, 0);
	}
	devrt_flush(s, txq);
	if (done == VDPASIM_BURST)
		*again = true;
	return done;
}

/* ---- RX ---- */

static void put_num_buffers(const struct uvdpa_chain *c, uint16_t n)
{
	uint16_t le = htole16(n);

	uvdpa_chain_write(c, offsetof(struct virtio_net_hdr_v1, num_buffers), &le, sizeof(le));
}

/* Appends a chain's writable segments to the readv vector. */
static bool rd_append(struct net_tap *t, unsigned *nrd, const struct uvdpa_chain *c)
{
	uint32_t i;

	if (*nrd + c->n_in > NT_RX_IOV)
		return false;
	for (i = 0; i < c->n_in; i++)
		t->rd[(*nrd)++] = c->iov[c->n_out + i];
	return true;
}

/*
 * Takes RX chains until they can hold the largest frame (one chain without
 * MRG_RXBUF). Returns how many; 0 with *stall when the ring ran dry first
 * (the chains went back), 0 without it when the queue broke.
 */
static unsigned rx_collect(struct devrt *s, struct devrt_vq *rxq, unsigned *nrd,
			   bool *stall)
{
	struct net_tap *t = rt_to_nt(s);
	bool mrg = devrt_has_feature(s, VIRTIO_NET_F_MRG_RXBUF);
	unsigned max = mrg ? NT_MRG_MAX : 1, cnt = 0;
	size_t room = 0, need = rx_need(s);

	*nrd = 0;
	while (cnt < max && room < need) {
		struct uvdpa_chain *c = &t->mrg[cnt].c;
		int r;

		if (mrg)
			chain_init(c, t->iov_rx[cnt], VDPASIM_CHAIN_IOV / NT_MRG_MAX);
		else
			chain_init(c, t->iov_rx1, VDPASIM_CHAIN_IOV);
		r = devrt_pop(s, rxq, c);
		if (r == -EIO)
			return 0;
		if (r == 0)
			break;
		if (r == -E2BIG || c->in_len < (cnt ? 1 : hdr_len(s)) || !rd_append(t, nrd, c)) {
			/* unusable: completed empty, costs the driver one buffer */
			t->st[rxq->idx / 2].rx_errors++;
			uvdpa_vq_dev_push(&rxq->dev, c, 0);
			continue;
		}
		room += c->in_len;
		cnt++;
	}
	if (cnt && (room >= need || cnt == max))
		return cnt;
	while (cnt-- > 0)
		devrt_unpop(rxq, &t->mrg[cnt].c);
	*stall = true;
	return 0;
}

/* Hands the frame's chains to the driver and gives back the rest, newest first. */
static void rx_complete(struct devrt *s, struct devrt_vq *rxq, unsigned cnt, size_t len)
{
	struct net_tap *t = rt_to_nt(s);
	unsigned used = 0, i;
	size_t left = len;

	while (used < cnt && (left || !used)) {
		uint32_t part = left < t->mrg[used].c.in_len ? (uint32_t)left : t->mrg[used].c.in_len;

		t->mrg[used++].len = part;
		left -= part;
	}
	for (i = cnt; i-- > used;)
		devrt_unpop(rxq, &t->mrg[i].c);
	if (hdr_len(s) == sizeof(struct virtio_net_hdr_v1))
		put_num_buffers(&t->mrg[0].c, (uint16_t)used);
	for (i = 0; i < used; i++)
		uvdpa_vq_dev_push(&rxq->dev, &t->mrg[i].c, t->mrg[i].len);
}

/* One frame from the TAP; false when the TAP is empty or RX has no room. */
static bool rx_one(struct devrt *s, unsigned p, struct devrt_vq *rxq)
{
	struct net_tap *t = rt_to_nt(s);
	struct nt_stats *st = &t->st[p];
	unsigned nrd, cnt, i;
	bool stall = false;
	ssize_t n;

	cnt = rx_collect(s, rxq, &nrd, &stall);
	if (!cnt) {
		if (stall)
			rxq->stalled = true;
		return false;
	}
	n = readv(t->fds[p], t->rd, (int)nrd);
	if (n <= 0) {
		/* empty (EAGAIN), detached (EBADFD) or gone: nothing to deliver */
		for (i = cnt; i-- > 0;)
			devrt_unpop(rxq, &t->mrg[i].c);
		if (n < 0 && errno != EAGAIN && errno != EBADFD)
			st->rx_errors++;
		return false;
	}
	rx_complete(s, rxq, cnt, (size_t)n);
	st->rx_packets++;
	st->rx_bytes += (uint64_t)n;
	return true;
}

static unsigned rx_work(struct devrt *s, unsigned p, bool *again)
{
	struct devrt_vq *rxq = &s->vqs[2 * p];
	unsigned done = 0;

	while (done < VDPASIM_BURST && rx_one(s, p, rxq))
		done++;
	devrt_flush(s, rxq);
	if (done == VDPASIM_BURST)
		*again = true;
	return done;
}

/* ---- control queue ---- */

static uint8_t cvq_mac(struct net_tap *t, const struct uvdpa_chain *c, size_t off)
{
	struct virtio_net_config *cfg = (void *)t->rt.config;
	uint8_t mac[6];

	if (c->out_len != off + sizeof(mac) || uvdpa_chain_read(c, off, mac, 6) != 6)
		return VIRTIO_NET_ERR;
	memcpy(cfg->mac, mac, sizeof(mac));
	return VIRTIO_NET_OK;
}

static uint8_t cvq_mq(struct net_tap *t, const struct uvdpa_chain *c, size_t off)
{
	uint16_t pairs;

	if (!devrt_has_feature(&t->rt, VIRTIO_NET_F_MQ) || c->out_len != off + 2 ||
	    uvdpa_chain_read(c, off, &pairs, 2) != 2)
		return VIRTIO_NET_ERR;
	pairs = le16toh(pairs);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > t->max_vqp)
		return VIRTIO_NET_ERR;
	t->curr_qps = pairs;
	nt_apply_queues(t);
	return VIRTIO_NET_OK;
}

static uint8_t cvq_rx(struct net_tap *t, const struct uvdpa_chain *c, size_t off, uint8_t cmd)
{
	uint8_t on;

	if (c->out_len != off + 1 || uvdpa_chain_read(c, off, &on, 1) != 1)
		return VIRTIO_NET_ERR;
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		t->promisc = on;
	else if (cmd == VIRTIO_NET_CTRL_RX_ALLMULTI)
		t->allmulti = on;
	else
		return VIRTIO_NET_ERR;
	return nt_tap_sync(t) ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

static uint8_t cvq_handle(struct devrt *s, const struct uvdpa_chain *c)
{
	struct net_tap *t = rt_to_nt(s);
	struct virtio_net_ctrl_hdr h;

	if (uvdpa_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return VIRTIO_NET_ERR;
	if (h.class == VIRTIO_NET_CTRL_MAC && h.cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		uint8_t r = cvq_mac(t, c, sizeof(h));

		/* the TAP's filter follows the guest's address */
		return r == VIRTIO_NET_OK && nt_tap_sync(t) ? VIRTIO_NET_ERR : r;
	}
	if (h.class == VIRTIO_NET_CTRL_MQ && h.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		return cvq_mq(t, c, sizeof(h));
	if (h.class == VIRTIO_NET_CTRL_RX && devrt_has_feature(&t->rt, VIRTIO_NET_F_CTRL_RX))
		return cvq_rx(t, c, sizeof(h), h.cmd);
	return VIRTIO_NET_ERR;
}

static unsigned cvq_work(struct devrt *s, bool *again)
{
	struct net_tap *t = rt_to_nt(s);

	return devrt_cvq_work(s, &s->vqs[2 * t->max_vqp], t->iov_cvq, VDPASIM_CHAIN_IOV,
				cvq_handle, &t->cvq, again);
}

unsigned nt_work(struct devrt *s, bool *again)
{
	struct net_tap *t = rt_to_nt(s);
	unsigned p, done = 0;

	if (devrt_has_feature(s, VIRTIO_NET_F_CTRL_VQ) &&
	    devrt_vq_usable(&s->vqs[2 * t->max_vqp]))
		done += cvq_work(s, again);
	for (p = 0; p < t->max_vqp; p++) {
		if (devrt_vq_usable(&s->vqs[2 * p + 1]))
			done += tx_work(s, p, again);
		if (devrt_vq_usable(&s->vqs[2 * p]))
			done += rx_work(s, p, again);
	}
	return done;
}

/*
 * Called when a worker starts (DRIVER_OK): the features are final, so the
 * TAP's header size, offloads and queues follow them now.
 */
int nt_worker_fd(struct devrt *s)
{
	struct net_tap *t = rt_to_nt(s);

	/* A new driver session: one pair and promiscuous, until its CVQ says
	 * otherwise (what QEMU's virtio-net starts with too). */
	t->curr_qps = 1;
	t->promisc = true;
	t->allmulti = false;
	if (nt_tap_sync(t))
		fprintf(stderr, "uvdpad: %s: cannot set the TAP's offloads\n", t->ifname);
	nt_apply_queues(t);
	return t->epfd;
}

/* The TAP fds are edge-triggered: draining the epoll is all it takes; the
 * pass that follows reads every TAP until it is empty. */
void nt_worker_fd_ready(struct devrt *s)
{
	struct net_tap *t = rt_to_nt(s);
	struct epoll_event ev[NT_MAX_VQP + 1];
	bool link = false;
	int n, i;

	n = epoll_wait(t->epfd, ev, NT_MAX_VQP + 1, 0);
	for (i = 0; i < n; i++)
		if (ev[i].data.fd == t->nl && t->nl >= 0)
			link = true;
	if (link)
		nt_link_check(t);
}
