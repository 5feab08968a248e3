// SPDX-License-Identifier: MIT
/*
 * virtio-net datapath: frames in and out of the queue pairs (the kernel's
 * start_xmit / free_old_xmit / receive_big / receive_mergeable, minus the
 * skb). Each frame is copied once on our side: into a transmit slot, or out
 * of the receive buffers.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "driver/net_priv.h"

/* Fills bufs with the header and data segments of a len-byte frame in slot. */
static unsigned net_chain(const struct uvdpa_net *n, const struct net_queue *q, unsigned slot,
			  size_t len, bool write, struct uvdpa_vq_buf *bufs)
{
	unsigned cnt = 1;
	size_t off;

	bufs[0].addr = slot_iova(q, slot, NET_SLOT_HDR);
	bufs[0].len = NET_HDR_LEN;
	bufs[0].write = write;
	for (off = 0; off < len; off += n->seg_len, cnt++) {
		bufs[cnt].addr = slot_iova(q, slot, NET_SLOT_DATA + off);
		bufs[cnt].len = (uint32_t)(len - off < n->seg_len ? len - off : n->seg_len);
		bufs[cnt].write = write;
	}
	return cnt;
}

/* Adds a chain of slot, through its indirect table when negotiated. */
static int net_add(struct uvdpa_net *n, struct net_queue *q, unsigned slot,
		   const struct uvdpa_vq_buf *bufs, unsigned cnt)
{
	if (n->indirect && cnt > 1)
		return uvdpa_vq_drv_add_indirect(&q->vq.drv, bufs, cnt,
						 slot_host(q, slot, NET_SLOT_TABLE),
						 slot_iova(q, slot, NET_SLOT_TABLE),
						 net_token(slot));
	return uvdpa_vq_drv_add(&q->vq.drv, bufs, cnt, net_token(slot));
}

int net_rx_post(struct uvdpa_net *n, struct net_queue *q, unsigned slot)
{
	struct uvdpa_vq_buf bufs[NET_MAX_CHAIN];
	unsigned cnt;

	/* mergeable: one descriptor; the header is the start of the buffer */
	if (n->mrg)
		return uvdpa_vq_drv_add_one(&q->vq.drv, slot_iova(q, slot, 0), n->mrg_len, true,
					    net_token(slot));
	cnt = net_chain(n, q, slot, (size_t)n->nseg * n->seg_len, true, bufs);
	return net_add(n, q, slot, bufs, cnt);
}

static struct net_pair *net_pair(struct uvdpa_net *n, unsigned q)
{
	return q < n->npairs ? &n->pairs[q] : NULL;
}

static int tx_reclaim(struct uvdpa_net *n, struct net_queue *tx)
{
	uint32_t len[NET_USED_BURST];
	void *tok[NET_USED_BURST];
	int cnt = 0;

	unsigned got, i;

	do {
		got = uvdpa_vq_drv_get_used_burst(&tx->vq.drv, tok, len, NET_USED_BURST);
		for (i = 0; i < got; i++) {
			unsigned slot = net_slot(tok[i]);

			if (slot >= NET_ZC_TOKEN) {
				zbuf_release(&n->zp, slot - NET_ZC_TOKEN);
				tx->zc_inflight--;
				continue;
			}
			slot_fifo_put(&tx->free, slot);
		}
		cnt += (int)got;
	} while (got == NET_USED_BURST);
	return cnt;
}

int uvdpa_net_reclaim(struct uvdpa_net *n, unsigned q)
{
	struct net_pair *p = net_pair(n, q);

	return p ? tx_reclaim(n, &p->tx) : -EINVAL;
}

int uvdpa_net_wait_tx(struct uvdpa_net *n, unsigned q, int timeout_ms)
{
	struct net_pair *p = net_pair(n, q);
	int64_t deadline = timeout_ms < 0 ? -1 : vdrv_now_ms() + timeout_ms;
	int cnt, r;

	if (!p)
		return -EINVAL;
	for (;;) {
		cnt = tx_reclaim(n, &p->tx);
		if (cnt || (p->tx.free.n == p->tx.nslots && !p->tx.zc_inflight))
			return cnt;
		if (p->tx.vq.poll) {
			r = vdrv_spin(&p->tx.vq, deadline);
			if (r <= 0)
				return r < 0 ? r : tx_reclaim(n, &p->tx);
			continue;
		}
		if (uvdpa_vq_drv_enable_cb(&p->tx.vq.drv)) {
			uvdpa_vq_drv_disable_cb(&p->tx.vq.drv);
			continue;
		}
		r = vdrv_wait_call(&p->tx.vq, vdrv_left_ms(deadline));
		uvdpa_vq_drv_disable_cb(&p->tx.vq.drv);
		if (r <= 0)
			return r < 0 ? r : tx_reclaim(n, &p->tx);
	}
}

/*
 * The device read the slots the burst will write last time round, so
 * each line is still in its CPU's cache: asking for them all at once, for
 * writing, lets those misses overlap instead of filling the store buffer
 * one frame at a time.
 */
static void tx_prefetch(const struct net_queue *tx, unsigned cnt)
{
	unsigned k;

	if (cnt > tx->free.n)
		cnt = tx->free.n;
	for (k = 0; k < cnt; k++) {
		const uint8_t *at = slot_host(tx, slot_fifo_ahead(&tx->free, k), NET_SLOT_SMALL);

		__builtin_prefetch(at, 1);
		__builtin_prefetch(at + 64, 1);
	}
}

/* Copies and adds one frame; 0, or -EAGAIN when no slot or descriptors. */
static int net_xmit(struct uvdpa_net *n, struct net_queue *tx, const void *frame, size_t len)
{
	struct uvdpa_vq_buf bufs[NET_MAX_CHAIN];
	unsigned slot, cnt;

	if (!tx->free.n)
		return -EAGAIN;
	slot = slot_fifo_peek(&tx->free);
	/* The headers stay all-zero (no offloads, num_buffers unused on TX). */
	if (len <= NET_SMALL_MAX) {
		/* Header and frame in one descriptor, on adjacent lines: no
		 * indirect table for the device to fetch and walk. */
		memcpy(slot_host(tx, slot, NET_SLOT_SMALL + NET_HDR_LEN), frame, len);
		if (uvdpa_vq_drv_add_one(&tx->vq.drv, slot_iova(tx, slot, NET_SLOT_SMALL),
					 (uint32_t)(NET_HDR_LEN + len), false, net_token(slot)))
			return -EAGAIN;
		slot_fifo_take(&tx->free);
		return 0;
	}
	memcpy(slot_host(tx, slot, NET_SLOT_DATA), frame, len);
	cnt = net_chain(n, tx, slot, len, false, bufs);
	if (net_add(n, tx, slot, bufs, cnt))
		return -EAGAIN;
	slot_fifo_take(&tx->free);
	return 0;
}

static bool frame_len_ok(size_t len)
{
	return len >= UVDPA_NET_FRAME_MIN && len <= UVDPA_NET_FRAME_MAX;
}

int uvdpa_net_send(struct uvdpa_net *n, unsigned q, const void *frame, size_t len)
{
	struct net_pair *p = net_pair(n, q);
	int err;

	if (!p || !frame_len_ok(len))
		return -EINVAL;
	err = net_xmit(n, &p->tx, frame, len);
	if (err == -EAGAIN && tx_reclaim(n, &p->tx) > 0)
		err = net_xmit(n, &p->tx, frame, len);
	if (!err)
		vdrv_vq_notify(n->v, &p->tx.vq);
	return err;
}

int uvdpa_net_send_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			 unsigned cnt)
{
	struct net_pair *p = net_pair(n, q);
	unsigned i;

	if (!p || (cnt && !frame_len_ok(frames[0].iov_len)))
		return -EINVAL;
	tx_prefetch(&p->tx, cnt);
	for (i = 0; i < cnt; i++) {
		if (!frame_len_ok(frames[i].iov_len))
			break;
		if (net_xmit(n, &p->tx, frames[i].iov_base, frames[i].iov_len) &&
		    (!tx_reclaim(n, &p->tx) ||
		     net_xmit(n, &p->tx, frames[i].iov_base, frames[i].iov_len)))
			break;
	}
	if (i)
		vdrv_vq_notify(n->v, &p->tx.vq);
	return (int)i;
}

/* True if a used RX entry is waiting, taking a burst from the ring if none is. */
static bool rx_peek(struct net_queue *rx)
{
	if (rx->used_at == rx->used_n) {
		rx->used_at = 0;
		rx->used_n = uvdpa_vq_drv_get_used_burst(&rx->vq.drv, rx->used_tok, rx->used_len,
							 NET_USED_BURST);
	}
	return rx->used_at < rx->used_n;
}

/* Next used receive buffer, the one wait_rx saw first. */
static void *rx_next(struct net_queue *rx, uint32_t *len)
{
	if (!rx_peek(rx))
		return NULL;
	*len = rx->used_len[rx->used_at];
	return rx->used_tok[rx->used_at++];
}

/* Gives back the entry rx_next just returned. */
static void rx_unget(struct net_queue *rx)
{
	rx->used_at--;
}

static void copy_out(void *buf, size_t cap, size_t at, const void *src, size_t len)
{
	if (at < cap)
		memcpy((uint8_t *)buf + at, src, len < cap - at ? len : cap - at);
}

/* Frame length of a big-packet buffer (header + up to 64 KiB). */
static int recv_big(struct uvdpa_net *n, struct net_queue *rx, unsigned slot, uint32_t len,
		    void *buf, size_t cap)
{
	int ret = -EIO;

	if (len >= NET_HDR_LEN && len - NET_HDR_LEN <= (size_t)n->nseg * n->seg_len) {
		ret = (int)(len - NET_HDR_LEN);
		copy_out(buf, cap, 0, slot_host(rx, slot, NET_SLOT_DATA), (size_t)ret);
	}
	net_rx_post(n, rx, slot);
	return ret;
}

/* Reassembles a frame spread over num_buffers mergeable buffers. */
static int recv_mrg(struct uvdpa_net *n, struct net_queue *rx, unsigned slot, uint32_t len,
		    void *buf, size_t cap)
{
	const struct virtio_net_hdr_v1 *h = (const void *)slot_host(rx, slot, 0);
	unsigned nbufs, i;
	size_t total;

	if (len < NET_HDR_LEN || len > n->mrg_len) {
		net_rx_post(n, rx, slot);
		return -EIO;
	}
	nbufs = le16toh(h->num_buffers);
	total = len - NET_HDR_LEN;
	copy_out(buf, cap, 0, slot_host(rx, slot, NET_HDR_LEN), total);
	net_rx_post(n, rx, slot);
	for (i = 1; i < nbufs; i++) {
		void *tok = rx_next(rx, &len);

		if (!tok)
			return -EIO;    /* the device published a frame half-way */
		slot = net_slot(tok);
		if (len > n->mrg_len) {
			net_rx_post(n, rx, slot);
			return -EIO;
		}
		copy_out(buf, cap, total, slot_host(rx, slot, 0), len);
		total += len;
		net_rx_post(n, rx, slot);
	}
	if (nbufs == 0 || total > UVDPA_NET_FRAME_MAX)
		return -EIO;
	return (int)total;
}

/* One frame out, its buffers posted again but not published: the frame's
 * length, -EIO (dropped), or -EAGAIN when nothing came. */
static int rx_take(struct uvdpa_net *n, struct net_queue *rx, void *buf, size_t cap)
{
	uint32_t len;
	void *tok = rx_next(rx, &len);

	if (!tok)
		return -EAGAIN;
	if (n->mrg)
		return recv_mrg(n, rx, net_slot(tok), len, buf, cap);
	return recv_big(n, rx, net_slot(tok), len, buf, cap);
}

int uvdpa_net_recv(struct uvdpa_net *n, unsigned q, void *buf, size_t cap)
{
	struct net_pair *p = net_pair(n, q);
	int ret;

	if (!p)
		return -EINVAL;
	ret = rx_take(n, &p->rx, buf, cap);
	if (ret != -EAGAIN)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return ret;
}

int uvdpa_net_recv_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			 int *lens, unsigned cnt)
{
	struct net_pair *p = net_pair(n, q);
	unsigned i;
	int ret;

	if (!p || (cnt && (!frames || !lens)))
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		ret = rx_take(n, &p->rx, frames[i].iov_base, frames[i].iov_len);
		if (ret == -EAGAIN)
			break;
		lens[i] = ret;
	}
	/* The buffers go back to the device in one publication. */
	if (i)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return (int)i;
}

int uvdpa_net_set_poll(struct uvdpa_net *n, unsigned q, bool poll)
{
	struct net_pair *p = net_pair(n, q);

	if (!p)
		return -EINVAL;
	p->rx.vq.poll = poll;
	p->tx.vq.poll = poll;
	/* Waits enable notifications only to sleep: a polled queue never asks. */
	uvdpa_vq_drv_disable_cb(&p->rx.vq.drv);
	uvdpa_vq_drv_disable_cb(&p->tx.vq.drv);
	return 0;
}

int uvdpa_net_wait_rx(struct uvdpa_net *n, unsigned q, int timeout_ms)
{
	struct net_pair *p = net_pair(n, q);
	int64_t deadline;
	struct net_queue *rx;
	int r;

	if (!p)
		return -EINVAL;
	rx = &p->rx;
	deadline = timeout_ms < 0 ? -1 : vdrv_now_ms() + timeout_ms;
	for (;;) {
		if (rx_peek(rx))
			return 1;
		if (rx->vq.poll) {
			r = vdrv_spin(&rx->vq, deadline);
			if (r < 0)
				return r;
			if (r == 0)
				return 0;   /* the ring was looked at just before */
			continue;
		}
		/* Ask for a notification, then look again: a frame that came in
		 * between would not raise one. */
		if (uvdpa_vq_drv_enable_cb(&rx->vq.drv)) {
			uvdpa_vq_drv_disable_cb(&rx->vq.drv);
			continue;
		}
		r = vdrv_wait_call(&rx->vq, vdrv_left_ms(deadline));
		uvdpa_vq_drv_disable_cb(&rx->vq.drv);
		if (r < 0)
			return r;
		if (r == 0) {
			/* Timed out: one last look, a frame may beat the clock. */
			return rx_peek(rx) ? 1 : 0;
		}
	}
}

/* ---- zero-copy: frames in pool buffers, received frames read in place ---- */

int uvdpa_net_zbuf_get(struct uvdpa_net *n, void **buf, size_t *cap)
{
	if (!buf)
		return -EINVAL;
	return zbuf_get(&n->zp, buf, cap);
}

int uvdpa_net_zbuf_put(struct uvdpa_net *n, void *buf)
{
	return zbuf_put(&n->zp, buf);
}

/* Lends pool buffer buf to the device as one descriptor, header in front;
 * 0, -EINVAL (not a held buffer, bad length) or -EAGAIN (ring full). */
static int net_xmit_zc(struct uvdpa_net *n, struct net_queue *tx, void *buf, size_t len)
{
	int i = frame_len_ok(len) ? zbuf_find(&n->zp, buf, len, true) : -EINVAL;
	uint8_t *hdr;

	if (i < 0)
		return i;
	/* No offloads: the header is all zero, rewritten as the application
	 * may have scribbled in front of its buffer. */
	hdr = (uint8_t *)buf - NET_HDR_LEN;
	memset(hdr, 0, NET_HDR_LEN);
	if (uvdpa_vq_drv_add_one(&tx->vq.drv, zbuf_iova_of(&n->zp, hdr),
				 (uint32_t)(NET_HDR_LEN + len), false,
				 net_token(NET_ZC_TOKEN + (unsigned)i)))
		return -EAGAIN;
	zbuf_lend(&n->zp, (unsigned)i);
	tx->zc_inflight++;
	return 0;
}

int uvdpa_net_send_zc(struct uvdpa_net *n, unsigned q, void *buf, size_t len)
{
	struct net_pair *p = net_pair(n, q);
	int err;

	if (!p)
		return -EINVAL;
	err = net_xmit_zc(n, &p->tx, buf, len);
	if (err == -EAGAIN && tx_reclaim(n, &p->tx) > 0)
		err = net_xmit_zc(n, &p->tx, buf, len);
	if (!err)
		vdrv_vq_notify(n->v, &p->tx.vq);
	return err;
}

int uvdpa_net_send_zc_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			    unsigned cnt)
{
	struct net_pair *p = net_pair(n, q);
	unsigned i;
	int err = 0;

	if (!p || (cnt && !frames))
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		err = net_xmit_zc(n, &p->tx, frames[i].iov_base, frames[i].iov_len);
		if (err == -EAGAIN && tx_reclaim(n, &p->tx) > 0)
			err = net_xmit_zc(n, &p->tx, frames[i].iov_base, frames[i].iov_len);
		if (err)
			break;
	}
	if (i)
		vdrv_vq_notify(n->v, &p->tx.vq);
	if (i == 0 && err == -EINVAL)
		return err;
	return (int)i;
}

/* Where a received frame's data starts in its slot. */
static size_t rx_data_off(const struct uvdpa_net *n)
{
	return n->mrg ? NET_HDR_LEN : NET_SLOT_DATA;
}

/* Posts slot again after a malformed frame (published by the caller); -EIO. */
static int rx_drop(struct uvdpa_net *n, struct net_queue *rx, unsigned slot)
{
	net_rx_post(n, rx, slot);
	return -EIO;
}

/* One received frame in place, its slot held: its length, or -EAGAIN,
 * -EIO (dropped, its slot posted but not published) or -EMSGSIZE (left
 * first in the queue). */
static int rx_take_zc(struct uvdpa_net *n, struct net_queue *rx, const void **frame)
{
	unsigned slot;
	uint32_t len;
	void *tok = rx_next(rx, &len);

	if (!tok)
		return -EAGAIN;
	slot = net_slot(tok);
	if (n->mrg) {
		const struct virtio_net_hdr_v1 *h = (const void *)slot_host(rx, slot, 0);

		if (len < NET_HDR_LEN || len > n->mrg_len || !h->num_buffers)
			return rx_drop(n, rx, slot);
		if (le16toh(h->num_buffers) != 1) {
			/* Spread over several buffers: left for uvdpa_net_recv. */
			rx_unget(rx);
			return -EMSGSIZE;
		}
	} else if (len < NET_HDR_LEN || len - NET_HDR_LEN > (size_t)n->nseg * n->seg_len) {
		return rx_drop(n, rx, slot);
	}
	rx->held[slot] = 1;
	*frame = slot_host(rx, slot, rx_data_off(n));
	return (int)(len - NET_HDR_LEN);
}

int uvdpa_net_recv_zc(struct uvdpa_net *n, unsigned q, const void **frame)
{
	struct net_pair *p = net_pair(n, q);
	int r;

	if (!p || !frame)
		return -EINVAL;
	r = rx_take_zc(n, &p->rx, frame);
	if (r == -EIO)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return r;
}

int uvdpa_net_recv_zc_burst(struct uvdpa_net *n, unsigned q, const void **frames, int *lens,
			    unsigned cnt)
{
	struct net_pair *p = net_pair(n, q);
	unsigned i;
	bool dropped = false;
	int r = 0;

	if (!p || (cnt && (!frames || !lens)))
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		frames[i] = NULL;
		r = rx_take_zc(n, &p->rx, &frames[i]);
		if (r == -EAGAIN || r == -EMSGSIZE)
			break;
		dropped |= r == -EIO;
		lens[i] = r;
	}
	if (dropped)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return i == 0 && r == -EMSGSIZE ? -EMSGSIZE : (int)i;
}

/* Takes the slot of frame back from the application and posts it (not
 * published); 0 or -EINVAL. */
static int rx_give_zc(struct uvdpa_net *n, struct net_queue *rx, const void *frame)
{
	uintptr_t base = (uintptr_t)rx->mem.host + rx_data_off(n), at = (uintptr_t)frame;
	unsigned slot;

	if (at < base || (at - base) % rx->stride || (at - base) / rx->stride >= rx->nslots)
		return -EINVAL;
	slot = (unsigned)((at - base) / rx->stride);
	if (!rx->held[slot])
		return -EINVAL;
	rx->held[slot] = 0;
	net_rx_post(n, rx, slot);
	return 0;
}

int uvdpa_net_recv_zc_release(struct uvdpa_net *n, unsigned q, const void *frame)
{
	struct net_pair *p = net_pair(n, q);
	int r;

	if (!p)
		return -EINVAL;
	r = rx_give_zc(n, &p->rx, frame);
	if (!r)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return r;
}

int uvdpa_net_recv_zc_release_burst(struct uvdpa_net *n, unsigned q, const void *const *frames,
				    unsigned cnt)
{
	struct net_pair *p = net_pair(n, q);
	unsigned i;

	if (!p || (cnt && !frames))
		return -EINVAL;
	for (i = 0; i < cnt && !rx_give_zc(n, &p->rx, frames[i]); i++)
		;
	if (i)
		vdrv_vq_notify(n->v, &p->rx.vq);
	return i == 0 && cnt ? -EINVAL : (int)i;
}
