/* SPDX-License-Identifier: MIT */
/* virtio-net driver internals shared by net.c (probe, control) and net_io.c. */
#ifndef UVDPA_DRIVER_NET_PRIV_H
#define UVDPA_DRIVER_NET_PRIV_H

#include <stdint.h>
#include <linux/virtio_net.h>

#include <uvdpa/net.h>
#include "driver/virtio_priv.h"
#include "driver/slot_fifo.h"
#include "driver/zbuf.h"

#define NET_HDR_LEN     sizeof(struct virtio_net_hdr_v1)   /* VERSION_1 only */
#define NET_BIG_SEGS    16      /* 4 KiB data segments of a 64 KiB buffer (Linux big packets) */
#define NET_MAX_CHAIN   (1 + NET_BIG_SEGS)
#define NET_SLOTS_MAX   256     /* buffers per queue, whatever the ring size */
#define NET_MRG_LEN     2048    /* a mergeable receive buffer, header included */
/* Slot layout (TX and big RX buffers): indirect table, header, then data
 * on the next page so segments stay page-aligned. */
#define NET_SLOT_TABLE  0
#define NET_SLOT_HDR    512
#define NET_SLOT_DATA   4096
/* A TX frame that fits goes with its header in one descriptor here, in the
 * room between the header and the data (TX slots only). */
#define NET_SLOT_SMALL  NET_SLOT_HDR
#define NET_SMALL_MAX   (NET_SLOT_DATA - NET_SLOT_SMALL - NET_HDR_LEN)

/*
 * A queue and the buffers it owns. Buffers are slots of mem; a chain's
 * token is its slot number + 1.
 */
#define NET_USED_BURST 32

struct net_queue {
	struct vdrv_vq vq;
	struct vdma mem;
	unsigned nslots;
	size_t stride;                  /* bytes per slot */
	struct slot_fifo free;          /* TX: free slots */
	bool busy;                      /* CVQ: a command is out */
	/* RX: used entries taken from the ring in a burst and not yet read
	 * (wait_rx looks ahead into it too) */
	void *used_tok[NET_USED_BURST];
	uint32_t used_len[NET_USED_BURST];
	unsigned used_at, used_n;
	unsigned zc_inflight;           /* TX: zero-copy buffers lent to the device */
	uint8_t *held;                  /* RX: slots the application reads in place */
};

struct net_pair {
	struct net_queue rx, tx;
};

struct uvdpa_net {
	struct uvdpa_virtio *v;
	uint64_t features;
	bool mrg, indirect;
	uint16_t qsize;
	unsigned npairs;
	uint32_t seg_len;               /* data segment of a big buffer */
	unsigned nseg;                  /* segments of a big buffer */
	uint32_t mrg_len;               /* mergeable buffer size */
	struct net_pair *pairs;
	bool has_cvq;                   /* CTRL_VQ negotiated: commands can be sent */
	bool cvq_ring;                  /* ... on a ring of the device (else the transport's net_ctrl) */
	struct net_queue cvq;
	struct zbuf_pool zp;            /* zero-copy transmit buffers */
};

/* Transmit tokens above every slot's are zero-copy buffers. */
#define NET_ZC_TOKEN    0x10000u
/* Room in front of a zero-copy buffer's frame; its header ends there. */
#define NET_ZC_HEAD     64
#define NET_ZC_SIZE_DEFAULT 2048

static inline void *net_token(unsigned slot)
{
	return (void *)(uintptr_t)(slot + 1);
}

static inline unsigned net_slot(void *token)
{
	return (unsigned)((uintptr_t)token - 1);
}

static inline uint8_t *slot_host(const struct net_queue *q, unsigned slot, size_t off)
{
	return (uint8_t *)q->mem.host + (size_t)slot * q->stride + off;
}

static inline uint64_t slot_iova(const struct net_queue *q, unsigned slot, size_t off)
{
	return q->mem.iova + (uint64_t)slot * q->stride + off;
}

/* Posts receive slot `slot` (not published). */
int net_rx_post(struct uvdpa_net *n, struct net_queue *q, unsigned slot);

#endif
