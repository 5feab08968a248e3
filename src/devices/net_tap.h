/* SPDX-License-Identifier: MIT */
/*
 * net_tap: a virtio-net parent driver whose wire is a Linux TAP interface
 * (net_tap.c: creation, config, control queue; net_tap_io.c: the datapath).
 *
 * One TAP fd per queue pair (IFF_MULTI_QUEUE when max_vqp > 1), all
 * non-blocking, all in one epoll fd that the worker watches as the class fd
 * (attr.worker_fd). TX chains are written to the TAP with writev straight
 * from guest memory; RX chains are filled with readv straight from the TAP.
 * The virtio-net header travels as the TAP's vnet header (IFF_VNET_HDR), so
 * the offloads the driver negotiated go through the kernel untouched.
 */
#ifndef UVDPA_DEVICES_NET_TAP_H
#define UVDPA_DEVICES_NET_TAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <net/if.h>

#include "devices/runtime.h"

#define NT_MAX_VQP   16            /* one TAP fd per pair; the kernel allows 256 */
#define NT_MRG_MAX   64            /* RX chains one frame may span */
#define NT_RX_IOV    1024          /* IOV_MAX: what one readv may take */

struct nt_stats {
	uint64_t rx_packets, rx_bytes, rx_errors, rx_overruns, rx_drops;
	uint64_t tx_packets, tx_bytes, tx_errors, tx_drops;
};

struct nt_mrg {
	struct uvdpa_chain c;
	uint32_t len;
};

struct net_tap {
	struct devrt rt;               /* first */
	char ifname[IFNAMSIZ];
	bool owned;                     /* we made the TAP (persistent): `dev del` deletes it */
	bool can_guest_offload;         /* the TAP took TUN_F_CSUM|TSO4|TSO6|TSO_ECN */
	uint16_t max_vqp;
	uint16_t curr_qps;              /* CVQ MQ VQ_PAIRS_SET */
	uint32_t attached;              /* bit q: TAP queue q attached (the rest detached) */
	bool promisc, allmulti;         /* CVQ RX mode */
	bool link_up;                   /* what the config space said last */
	int fds[NT_MAX_VQP];            /* TAP queue fds */
	int epfd;                       /* the class fd: every TAP fd, the link watch */
	int ctl;                        /* AF_INET dgram socket for interface ioctls */
	int nl;                         /* rtnetlink link-change socket, or -1 */
	struct nt_stats st[NT_MAX_VQP];
	struct devrt_cvq_stats cvq;
	/* worker scratch: one chain at a time per direction */
	struct iovec iov_tx[VDPASIM_CHAIN_IOV];
	struct iovec iov_cvq[VDPASIM_CHAIN_IOV];
	struct iovec iov_rx[NT_MRG_MAX][VDPASIM_CHAIN_IOV / NT_MRG_MAX];
	struct iovec iov_rx1[VDPASIM_CHAIN_IOV];
	struct iovec rd[NT_RX_IOV];     /* the readv vector built from the RX chains */
	struct nt_mrg mrg[NT_MRG_MAX];
};

static inline struct net_tap *rt_to_nt(struct devrt *s)
{
	return (struct net_tap *)s;
}

/* net_tap_io.c */
unsigned nt_work(struct devrt *s, bool *again);
int nt_worker_fd(struct devrt *s);
void nt_worker_fd_ready(struct devrt *s);
/* net_tap.c, used by the datapath */
void nt_link_check(struct net_tap *t);
int nt_tap_sync(struct net_tap *t);
void nt_apply_queues(struct net_tap *t);

extern const struct uvdpa_mgmtdev net_tap_mgmtdev;
/* Bytes of error message each mgmtdev copy carries in priv (builtin.c). */
extern const size_t net_tap_msg_len;

#endif
