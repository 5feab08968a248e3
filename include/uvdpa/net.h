/* SPDX-License-Identifier: MIT */
/*
 * libuvdpa virtio-net driver (the userspace counterpart of the kernel's
 * virtio_net on virtio_vdpa).
 *
 * Frames are whole Ethernet frames (destination MAC first, no FCS), 14 to
 * 65535 bytes. Sending copies the frame into device-reachable memory as a
 * descriptor chain (virtio-net header, then data segments of at most 4 KiB)
 * or, with indirect descriptors, as one slot pointing at such a table.
 * Receiving copies one frame out, reassembling it from several buffers when
 * VIRTIO_NET_F_MRG_RXBUF is negotiated; without it each receive buffer is a
 * chain big enough for 65535 bytes ("big packets").
 * The zero-copy calls (uvdpa_net_zbuf_get and after) skip both copies.
 *
 * Queue pair q (0-based) is receive queue 2q and transmit queue 2q + 1.
 *
 * Several pairs (opts.queue_pairs > 1) need VIRTIO_NET_F_MQ and a control
 * path, the same API in-process and over vhost-user. In-process the control
 * queue is a ring of the device. A vhost-user back end never gets one (QEMU
 * keeps it too): the library offers MQ when the back end offers it, has the
 * MQ protocol feature and more than one pair (GET_QUEUE_NUM), reads
 * max_queue_pairs from the back end's config (capped at GET_QUEUE_NUM; the
 * pair count itself when the config has none, as with DPDK's vhost library),
 * and answers the commands itself: uvdpa_net_set_queue_pairs enables the
 * pairs in use and disables the others (SET_VRING_ENABLE); there is no
 * vhost-user message for a MAC or RX mode, so uvdpa_net_set_mac says
 * -EOPNOTSUPP there.
 *
 * Threading: one thread at a time per struct uvdpa_net, except over
 * vhost-user, where the per-pair calls (send, send_burst, reclaim, wait_tx,
 * recv, recv_burst, wait_rx, set_poll) on different pairs may run at the
 * same time, one thread per pair; on one pair, one thread at a time. Everything
 * else (open, close, get_config, get_mac, set_mac, set_queue_pairs) only
 * while no per-pair call runs. Over vhost-user with reconnect_ms set, a
 * hang-up is handled by the waiting call that sees it: use one thread for
 * all pairs then (a reconnect rewrites every ring's state).
 */
#ifndef UVDPA_NET_H
#define UVDPA_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <uvdpa/virtio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvdpa_net;

#define UVDPA_NET_FRAME_MIN 14       /* an Ethernet header */
#define UVDPA_NET_FRAME_MAX 65535

/* Features asked for in uvdpa_net_opts.flags. */
#define UVDPA_NET_PACKED    (1u << 0)   /* packed rings (VIRTIO_F_RING_PACKED) */
#define UVDPA_NET_INDIRECT  (1u << 1)   /* indirect descriptors (VIRTIO_F_INDIRECT_DESC) */
#define UVDPA_NET_EVENT_IDX (1u << 2)   /* VIRTIO_F_EVENT_IDX notification suppression */
#define UVDPA_NET_MRG_RXBUF (1u << 3)   /* mergeable receive buffers */
#define UVDPA_NET_CTRL_VQ   (1u << 4)   /* control virtqueue (MAC, queue pairs) */
#define UVDPA_NET_IN_ORDER  (1u << 5)   /* VIRTIO_F_IN_ORDER: the device may complete a
					 * batch of frames with one ring entry (not in
					 * the defaults: no faster against uvdpad or
					 * DPDK's vhost here) */

struct uvdpa_net_opts {
	uint16_t queue_size;    /* entries per queue; 0 = the device's maximum */
	uint16_t queue_pairs;   /* 0 or 1 = one; more needs VIRTIO_NET_F_MQ and CTRL_VQ */
	unsigned flags;         /* UVDPA_NET_*: each one must be offered by the device */
	/* Zero-copy transmit pool (see uvdpa_net_zbuf_get): how many buffers,
	 * and the largest frame each holds (0 = 2048; at most
	 * UVDPA_NET_FRAME_MAX). zbuf_count 0: no pool. */
	uint32_t zbuf_count;
	uint32_t zbuf_size;
};

/* What the device's config space says (little-endian fields decoded). */
struct uvdpa_net_config {
	uint8_t mac[6];             /* zero unless VIRTIO_NET_F_MAC */
	uint16_t mtu;               /* 0 unless VIRTIO_NET_F_MTU */
	uint16_t status;            /* VIRTIO_NET_S_*; LINK_UP if VIRTIO_NET_F_STATUS is absent */
	uint16_t max_queue_pairs;   /* 1 unless VIRTIO_NET_F_MQ */
};

/*
 * Initialises the device as a network card and starts its queues; receive
 * buffers are posted before DRIVER_OK. opts NULL means: one queue pair of
 * the device's maximum size, split rings, and every one of INDIRECT,
 * EVENT_IDX, MRG_RXBUF and CTRL_VQ that the device offers.
 *
 * Returns 0 and sets *out, or:
 *   -ENODEV      v is not a network device
 *   -EBUSY       a driver is already open on v
 *   -EOPNOTSUPP  a requested feature (or VIRTIO_F_VERSION_1) is not offered,
 *                or queue_pairs > 1 without MQ and CTRL_VQ
 *   -EINVAL      bad queue size (0 < size < 2, split size not a power of 2,
 *                above the device's maximum), more pairs than the device has,
 *                or a zbuf_size outside [UVDPA_NET_FRAME_MIN, UVDPA_NET_FRAME_MAX]
 *                or zbuf_count above 65536 with zbuf_count set
 *   -ENOSPC      over vhost-user: the rings and the pool do not fit in
 *                uvdpa_vhost_user_opts.mem_size
 *   -EIO         the device refused the features, or the queue pair count
 *   -ENOMEM      out of memory
 * On error the device is left reset (status ACKNOWLEDGE), ready for another try.
 */
int uvdpa_net_open(struct uvdpa_virtio *v, const struct uvdpa_net_opts *opts,
		   struct uvdpa_net **out);

/* Resets the device and frees everything. NULL is accepted. */
void uvdpa_net_close(struct uvdpa_net *n);

/* Queue pairs set up at open (the most uvdpa_net_set_queue_pairs accepts). */
unsigned uvdpa_net_queue_pairs(const struct uvdpa_net *n);

/*
 * Queues one frame on pair q and notifies the device if it needs it.
 * Reclaims finished transmissions first when no buffer is free.
 * Returns 0, or:
 *   -EINVAL  len outside [UVDPA_NET_FRAME_MIN, UVDPA_NET_FRAME_MAX], or bad q
 *   -EAGAIN  every transmit buffer (or ring slot) is in flight; retry
 *            after the device has finished some (uvdpa_net_wait_tx)
 */
int uvdpa_net_send(struct uvdpa_net *n, unsigned q, const void *frame, size_t len);

/*
 * Queues up to cnt frames (one per iovec) with one notification. Returns how
 * many were queued (stops at the first frame that does not fit: 0 means
 * none), or -EINVAL if frames[0] has a bad length or q is bad; a later frame
 * with a bad length stops the burst there.
 */
int uvdpa_net_send_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			 unsigned cnt);

/* Takes back transmit buffers the device has finished; returns how many. */
int uvdpa_net_reclaim(struct uvdpa_net *n, unsigned q);

/*
 * Waits at most timeout_ms (-1: forever) until the device finishes at least
 * one transmission on pair q, and reclaims. Returns how many were reclaimed
 * (0: timeout, or nothing in flight), -EINVAL for a bad q, or the negative
 * errno of poll(2).
 */
int uvdpa_net_wait_tx(struct uvdpa_net *n, unsigned q, int timeout_ms);

/*
 * Takes one received frame from pair q, copies min(length, cap) bytes to buf
 * and gives the receive buffers back to the device. Returns the frame's
 * full length (more than cap means it was truncated, like recv(2) with
 * MSG_TRUNC), or:
 *   -EAGAIN  nothing received
 *   -EINVAL  bad q
 *   -EIO     the device returned a malformed frame (shorter than the header,
 *            or mergeable buffers missing); it was dropped
 */
int uvdpa_net_recv(struct uvdpa_net *n, unsigned q, void *buf, size_t cap);

/*
 * Takes up to cnt received frames from pair q, as uvdpa_net_recv would one
 * by one: frame i goes to frames[i].iov_base (at most frames[i].iov_len
 * bytes) and lens[i] gets its full length (more than iov_len: truncated),
 * or -EIO for a malformed frame that was dropped. The receive buffers go
 * back to the device with one notification for the whole burst.
 * Returns how many entries were filled (0: nothing received), or -EINVAL
 * for a bad q, or frames or lens NULL with cnt > 0.
 */
int uvdpa_net_recv_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			 int *lens, unsigned cnt);

/*
 * Waits until pair q has a received frame, at most timeout_ms milliseconds
 * (-1: forever, 0: just check). Returns 1 if a frame is ready, 0 on timeout,
 * -EINVAL for a bad q, or the negative errno of poll(2).
 */
int uvdpa_net_wait_rx(struct uvdpa_net *n, unsigned q, int timeout_ms);

/*
 * Chooses how uvdpa_net_wait_rx and uvdpa_net_wait_tx on pair q learn of
 * the device's progress: false (the default) sleep on the queues' call
 * eventfds, which the device signals; true spin on the used rings with the
 * device's notifications turned off (no wake-up, no eventfd write on
 * either side, one core busy while waiting; a hung-up vhost-user back end
 * is still noticed within about a thousand spins). Takes effect at the
 * next wait. Returns 0, or -EINVAL for a bad q.
 */
int uvdpa_net_set_poll(struct uvdpa_net *n, unsigned q, bool poll);

/* Reads the config space. Returns 0 or -EIO. */
int uvdpa_net_get_config(struct uvdpa_net *n, struct uvdpa_net_config *cfg);

/* The MAC in config space. -EOPNOTSUPP without VIRTIO_NET_F_MAC. */
int uvdpa_net_get_mac(struct uvdpa_net *n, uint8_t mac[6]);

/*
 * Sets the device's MAC (its receive filter follows) with the control queue
 * command VIRTIO_NET_CTRL_MAC_ADDR_SET. Returns 0, or:
 *   -EOPNOTSUPP  CTRL_VQ or CTRL_MAC_ADDR not negotiated
 *   -EIO         the device answered VIRTIO_NET_ERR
 *   -ETIMEDOUT   no answer within 5 seconds
 */
int uvdpa_net_set_mac(struct uvdpa_net *n, const uint8_t mac[6]);

/*
 * Tells the device how many queue pairs to use (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET).
 * Returns 0, or -EINVAL (0, or more than uvdpa_net_queue_pairs), -EOPNOTSUPP
 * (MQ not negotiated), -EIO, -ETIMEDOUT as uvdpa_net_set_mac.
 */
int uvdpa_net_set_queue_pairs(struct uvdpa_net *n, uint16_t pairs);

/*
 * Zero-copy. Buffers of the pool asked for in uvdpa_net_opts live in the
 * memory the device sees (over vhost-user the memfd shared with the back
 * end, in process the device's map): the application writes a frame
 * straight into one and the device reads it from there. Each buffer has
 * room in front for the virtio-net header, which the driver writes and the
 * application never sees. A buffer is the application's from
 * uvdpa_net_zbuf_get until it is sent (uvdpa_net_send_zc) or given back
 * (uvdpa_net_zbuf_put); once sent, it returns to the pool by itself when
 * the device has finished with it (uvdpa_net_reclaim, uvdpa_net_wait_tx and
 * the send calls reclaim). The pool is the device's, shared by all pairs:
 * a buffer may be sent on any pair. Threading: as everything else here,
 * one thread at a time per struct uvdpa_net.
 */

/*
 * Takes a free buffer: *buf gets its start and *cap (if not NULL) how many
 * bytes of frame it holds. Returns 0, or:
 *   -EOPNOTSUPP  no pool (zbuf_count was 0)
 *   -ENOBUFS     every buffer is held by the application or in flight;
 *                reclaim (uvdpa_net_reclaim / uvdpa_net_wait_tx) or put some
 *   -EINVAL      buf NULL
 */
int uvdpa_net_zbuf_get(struct uvdpa_net *n, void **buf, size_t *cap);

/*
 * Gives back a buffer the application holds and will not send. Returns 0,
 * -EINVAL (not the start of a buffer of this device's pool, or not held:
 * already given back or sent and reclaimed), or -EBUSY (sent, the device
 * still has it). An error changes nothing in the pool.
 */
int uvdpa_net_zbuf_put(struct uvdpa_net *n, void *buf);

/*
 * Sends the len-byte frame the application wrote at the start of pool
 * buffer buf on pair q, without copying it, and notifies the device if it
 * needs it; the buffer is no longer the application's. Reclaims first when
 * the ring is full. Returns 0, or:
 *   -EINVAL  bad q; buf not the start of a buffer of this pool that the
 *            application holds; len outside [UVDPA_NET_FRAME_MIN, the pool's
 *            frame size]. The buffer stays the application's.
 *   -EAGAIN  the ring is full; the buffer stays the application's, retry
 *            after uvdpa_net_wait_tx
 */
int uvdpa_net_send_zc(struct uvdpa_net *n, unsigned q, void *buf, size_t len);

/*
 * uvdpa_net_send_zc for up to cnt buffers (frames[i].iov_base a buffer
 * start, iov_len the frame's length) with one notification. Returns how
 * many were sent, in order; the first refused stops the burst and stays
 * the application's with the ones after it. If frames[0] is refused as
 * invalid, -EINVAL (also for a bad q, or frames NULL with cnt > 0); a full
 * ring gives a short count (0 possible), never -EAGAIN.
 */
int uvdpa_net_send_zc_burst(struct uvdpa_net *n, unsigned q, const struct iovec *frames,
			    unsigned cnt);

/*
 * Takes one received frame from pair q in place: *frame points at it in
 * the library's receive buffer, which the device does not get back until
 * uvdpa_net_recv_zc_release. Returns the frame's length, or:
 *   -EAGAIN    nothing received
 *   -EINVAL    bad q, frame NULL
 *   -EIO       the device returned a malformed frame; it was dropped
 *   -EMSGSIZE  the frame spans several mergeable buffers, so it has no
 *              place to be read from in one piece: it stays first in the
 *              queue, for uvdpa_net_recv to copy out
 * Every receive buffer held is one fewer for the device: release soon.
 */
int uvdpa_net_recv_zc(struct uvdpa_net *n, unsigned q, const void **frame);

/*
 * uvdpa_net_recv_zc for up to cnt frames of pair q: frames[i] gets frame i
 * in place and lens[i] its length, or -EIO for a malformed frame that was
 * dropped (frames[i] NULL, nothing to release). A frame spread over several
 * mergeable buffers ends the burst and stays first in the queue. Returns
 * how many entries were filled (0: nothing received), -EMSGSIZE if that
 * spread frame is the first, or -EINVAL (bad q, frames or lens NULL with
 * cnt > 0).
 */
int uvdpa_net_recv_zc_burst(struct uvdpa_net *n, unsigned q, const void **frames, int *lens,
			    unsigned cnt);

/*
 * Gives the receive buffer of a frame from uvdpa_net_recv_zc on pair q back
 * to the device. Returns 0, or -EINVAL (bad q, frame not one this pair
 * handed out, or released already).
 */
int uvdpa_net_recv_zc_release(struct uvdpa_net *n, unsigned q, const void *frame);

/*
 * uvdpa_net_recv_zc_release for frames[0..cnt-1] (NULL entries not
 * allowed), with one notification for all of them: the way to give back
 * what uvdpa_net_recv_zc_burst handed out. The first refused frame stops
 * the burst and is left with the ones after it as they were. Returns how
 * many were given back; -EINVAL if frames[0] is refused (or bad q, frames
 * NULL with cnt > 0).
 */
int uvdpa_net_recv_zc_release_burst(struct uvdpa_net *n, unsigned q, const void *const *frames,
				    unsigned cnt);

#ifdef __cplusplus
}
#endif
#endif
