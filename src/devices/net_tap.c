// SPDX-License-Identifier: MIT
/*
 * net_tap: a virtio-net device whose wire is a TAP interface (the mgmtdev
 * name says class and backing, as blk_file's does; the kernel has no such
 * parent). `dev add ... tap NAME` creates the TAP, or attaches to an
 * existing TAP of that name.
 *
 * A TAP we create is made persistent and is ours (NET_TAP_OWNED, which
 * uvdpad's state file records): a SIGKILL leaves it in place with its
 * addresses, namespace and up state, and the restarted daemon re-attaches
 * to the same interface (same ifindex, queues and vnet header flags).
 * `dev del` and a failed `dev add` delete it; a clean exit keeps it when
 * the device is kept (state file, uvdpa_bus_keep_devices) and deletes it
 * otherwise. A TAP that existed before `dev add` is never deleted.
 *
 * The host side owns the TAP's own MAC; the guest's MAC is the config
 * space's, given at `dev add` or random (locally administered).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "core/bus_priv.h"
#include "devices/net_tap.h"

#define F(bit) (1ULL << (bit))
/* MTU MAC STATUS CTRL_VQ CTRL_RX CTRL_MAC_ADDR ANY_LAYOUT MRG_RXBUF, the
 * transmit offloads the TAP always takes (CSUM, HOST_TSO4/6/ECN), and the
 * virtqueue engine's transport features. */
#define NT_BASE_FEATURES \
	(F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | \
	 F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	 F(27) | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) | \
	 F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_ECN) | \
	 VDPASIM_F_VERSION_1 | VDPASIM_F_ACCESS_PLATFORM | VDPASIM_TRANSPORT_FEATURES)
/* Receive offloads: offered only if the kernel's TAP accepts them. */
#define NT_GUEST_OFFLOADS \
	(F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) | \
	 F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN))
#define NT_ALL_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
#define NT_DEFAULT_MTU 1500
#define NT_MSG_LEN     160
#define NT_MAX_FRAME_MTU 65521   /* 65535 bytes of frame, less the Ethernet header */

/* ---- the TAP ---- */

/* The mgmtdev's message buffer (builtin.c), so errors can name the TAP.
 * dev_add calls are serialised by the bus' owner. */
static const char *say(struct uvdpa_mgmtdev *m, const char *fallback, const char *fmt,
		       const char *ifname)
{
	if (!m || !m->priv)
		return fallback;
	snprintf(m->priv, NT_MSG_LEN, fmt, ifname);
	return m->priv;
}

enum if_kind { IF_NONE, IF_TAP, IF_TUN, IF_OTHER };

/* What holds the name in our namespace: ethtool answers there, where a
 * sysfs mounted elsewhere would not. tun's driver info says "tun", and its
 * bus info "tap" for a TAP. */
static enum if_kind if_kind_of(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	enum if_kind k = IF_OTHER;
	int fd;

	if (!if_nametoindex(ifname))
		return IF_NONE;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return IF_OTHER;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(di.driver, "tun"))
		k = !strcmp(di.bus_info, "tap") ? IF_TAP : IF_TUN;
	close(fd);
	return k;
}

static int check_existing(struct uvdpa_mgmtdev *m, const char *ifname, bool *existed,
			  const char **msg)
{
	enum if_kind k = if_kind_of(ifname);

	*existed = k != IF_NONE;
	if (k == IF_TUN) {
		*msg = say(m, "an interface of that name exists and is a TUN, not a TAP",
			   "interface %s exists and is a TUN device, not a TAP", ifname);
		return -EEXIST;
	}
	if (k == IF_OTHER) {
		*msg = say(m, "an interface of that name exists and is not a TAP",
			   "interface %s exists and is not a TAP device", ifname);
		return -EEXIST;
	}
	return 0;
}

static int open_queue(struct uvdpa_mgmtdev *m, const char *ifname, bool mq, const char **msg)
{
	struct ifreq ifr;
	int fd, e;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		*msg = e == ENOENT ? "/dev/net/tun does not exist (no tun module?)" :
		       "cannot open /dev/net/tun";
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (mq ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EINVAL && if_nametoindex(ifname))
		*msg = say(m, "the existing TAP's multi_queue setting does not match max_vqp",
			   mq ? "TAP %s exists without multi_queue: max_vqp must be 1" :
			   "TAP %s exists with multi_queue: give max_vqp 2 or more", ifname);
	else if (e == EPERM)
		*msg = say(m, "no permission to create or attach the TAP (CAP_NET_ADMIN needed)",
			   "no permission to create or attach TAP %s (CAP_NET_ADMIN needed)",
			   ifname);
	else if (e == EBUSY)
		*msg = say(m, "the TAP is already in use",
			   "TAP %s is already in use (by another device or process)", ifname);
	else
		*msg = say(m, "cannot create or attach the TAP", "cannot create or attach TAP %s",
			   ifname);
	return -e;
}

static int if_ioctl(struct net_tap *t, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", t->ifname);
	return ioctl(t->ctl, req, ifr);
}

/* The TAP's own interface flags say whether the wire is there. */
static bool link_state(struct net_tap *t)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (if_ioctl(t, SIOCGIFFLAGS, &ifr))
		return t->link_up;      /* moved to another namespace: unknown, unchanged */
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

/* Mutex held. Drains the link watch and raises a config interrupt on change. */
void nt_link_check(struct net_tap *t)
{
	char buf[4096];
	bool up;

	if (t->nl >= 0)
		while (recv(t->nl, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	up = link_state(t);
	if (up == t->link_up)
		return;
	t->link_up = up;
	if (devrt_has_feature(&t->rt, VIRTIO_NET_F_STATUS))
		devrt_config_changed(&t->rt);
}

/* Mutex held: header size, receive offloads and the receive filter follow
 * what the driver negotiated and asked for. */
int nt_tap_sync(struct net_tap *t)
{
	struct devrt *s = &t->rt;
	/* struct tun_filter ends in a flexible array: room for two addresses */
	_Alignas(struct tun_filter) uint8_t flt[sizeof(struct tun_filter) + 2 * 6];
	struct tun_filter *f = (struct tun_filter *)flt;
	const struct virtio_net_config *c = (const void *)s->config;
	int hdr = (devrt_has_feature(s, VIRTIO_F_VERSION_1) ||
		   devrt_has_feature(s, VIRTIO_NET_F_MRG_RXBUF)) ?
		  (int)sizeof(struct virtio_net_hdr_v1) : (int)sizeof(struct virtio_net_hdr);
	unsigned off = 0;

	if (devrt_has_feature(s, VIRTIO_NET_F_GUEST_CSUM))
		off |= TUN_F_CSUM;
	if (devrt_has_feature(s, VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (devrt_has_feature(s, VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if (devrt_has_feature(s, VIRTIO_NET_F_GUEST_ECN))
		off |= TUN_F_TSO_ECN;
	memset(flt, 0, sizeof(flt));
	if (!t->promisc) {
		/* The TAP filters unicast exactly; multicast passes (its hash
		 * filter cannot be told "broadcast only"), as the simulator's. */
		f->flags = TUN_FLT_ALLMULTI;
		f->count = 2;
		memcpy(f->addr[0], c->mac, 6);
		memset(f->addr[1], 0xff, 6);
	}
	if (ioctl(t->fds[0], TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(t->fds[0], TUNSETOFFLOAD, (unsigned long)off) ||
	    ioctl(t->fds[0], TUNSETTXFILTER, flt))
		return -errno;
	return 0;
}

/*
 * The pairs the driver uses. With a control queue of its own, the first
 * curr_qps (VQ_PAIRS_SET). Without one the front end steers: a vhost-user
 * front end (QEMU) keeps the guest's control queue and enables exactly the
 * rings of the active pairs (SET_VRING_ENABLE, which the vhost face turns
 * into set_vq_ready), so a pair is in use while either of its rings is
 * ready. Queue 0 stays when no ring is: the TAP keeps a queue to hold
 * frames until a driver comes back (a reconnect).
 */
static uint32_t wanted_queues(struct net_tap *t)
{
	struct devrt *s = &t->rt;
	uint32_t want = 0;
	unsigned p;

	if (devrt_has_feature(s, VIRTIO_NET_F_CTRL_VQ))
		return devrt_has_feature(s, VIRTIO_NET_F_MQ) ?
		       (uint32_t)((1ULL << t->curr_qps) - 1) : 1;
	for (p = 0; p < t->max_vqp; p++)
		if (s->vqs[2 * p].ready || s->vqs[2 * p + 1].ready)
			want |= 1U << p;
	return want ? want : 1;
}

/* Mutex held: only the queues the driver uses get frames from the host (the
 * kernel spreads RX over the attached ones). */
void nt_apply_queues(struct net_tap *t)
{
	uint32_t want = wanted_queues(t);
	struct ifreq ifr;
	unsigned q;

	for (q = 0; q < t->max_vqp; q++) {
		bool on = want & (1U << q);

		if (on == !!(t->attached & (1U << q)))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
		if (ioctl(t->fds[q], TUNSETQUEUE, &ifr)) {
			fprintf(stderr, "uvdpad: %s: queue %u: TUNSETQUEUE: %s\n", t->ifname,
				q, strerror(errno));
			continue;
		}
		t->attached ^= 1U << q;
	}
}

/* A ring was enabled or disabled (vhost-user SET_VRING_ENABLE, a driver's
 * queue_enable): the TAP queues follow when no control queue of ours does. */
static void nt_vq_ready(struct devrt *s, uint16_t idx, bool ready)
{
	struct net_tap *t = rt_to_nt(s);

	(void)ready;
	if (idx < 2 * t->max_vqp && t->max_vqp > 1)
		nt_apply_queues(t);
}

/* ---- device ops ---- */

static void nt_get_config(struct devrt *s, void *config)
{
	struct net_tap *t = rt_to_nt(s);
	struct virtio_net_config *c = config;

	t->link_up = link_state(t);
	c->status = htole16(t->link_up ? VIRTIO_NET_S_LINK_UP : 0);
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

/* vdpasim_net's names: qidx 2k RX and 2k+1 TX of pair k, 2N the CVQ. */
static int nt_get_stats(struct devrt *s, uint16_t idx, struct uvdpa_vq_stat *st,
			unsigned max)
{
	static const char *const rx[] = {
		"rx packets", "rx bytes", "rx errors", "rx overruns", "rx drops" };
	static const char *const tx[] = { "tx packets", "tx bytes", "tx errors", "tx drops" };
	static const char *const cvq[] = { "cvq requests", "cvq successes", "cvq errors" };
	struct net_tap *t = rt_to_nt(s);

	if (idx < 2 * t->max_vqp) {
		const struct nt_stats *p = &t->st[idx / 2];
		uint64_t r[] = { p->rx_packets, p->rx_bytes, p->rx_errors, p->rx_overruns,
				 p->rx_drops };
		uint64_t w[] = { p->tx_packets, p->tx_bytes, p->tx_errors, p->tx_drops };

		return idx % 2 ? (int)put_stats(st, max, tx, w, 4) : (int)put_stats(st, max, rx, r, 5);
	}
	if (idx == 2 * t->max_vqp) {
		uint64_t v[] = { t->cvq.requests, t->cvq.successes, t->cvq.errors };

		return (int)put_stats(st, max, cvq, v, 3);
	}
	return -EINVAL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Our TAP goes once its last fd closes (nt_free). */
static void unpersist(struct net_tap *t)
{
	if (t->owned && t->fds[0] >= 0 && ioctl(t->fds[0], TUNSETPERSIST, 0UL))
		fprintf(stderr, "uvdpad: %s: TUNSETPERSIST 0: %s\n", t->ifname, strerror(errno));
}

static void nt_free(struct devrt *s)
{
	struct net_tap *t = rt_to_nt(s);
	unsigned i;

	for (i = 0; i < NT_MAX_VQP; i++)
		close_fd(&t->fds[i]);
	close_fd(&t->epfd);
	close_fd(&t->ctl);
	close_fd(&t->nl);
}

/* ---- creation ---- */

static int check_cfg(struct uvdpa_mgmtdev *m, const struct uvdpa_dev_set_config *cfg,
		     uint16_t *pairs, const char **msg)
{
	const char *name = cfg->net.tap;

	if (!(cfg->uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP)) || !name ||
	    !name[0]) {
		*msg = "tap is required: the TAP interface to create or attach";
		return -EINVAL;
	}
	if (strlen(name) >= IFNAMSIZ) {
		*msg = "tap name is too long (at most 15 bytes)";
		return -ENAMETOOLONG;
	}
	if (strchr(name, '/') || strchr(name, ':') || strchr(name, ' ') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		*msg = say(m, "tap name is not a valid interface name",
			   "tap name '%s' is not a valid interface name", name);
		return -EINVAL;
	}
	*pairs = 1;
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		*pairs = cfg->net.max_vq_pairs;
		if (*pairs < 1 || *pairs > NT_MAX_VQP) {
			*msg = "max_vqp must be between 1 and 16";
			return -EINVAL;
		}
	}
	if ((cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU)) &&
	    (cfg->net.mtu < 68 || cfg->net.mtu > NT_MAX_FRAME_MTU)) {
		*msg = "MTU must be between 68 and 65521";
		return -EINVAL;
	}
	return 0;
}

/* Whether the kernel's TAP can hand the guest checksum-less and GSO frames. */
static bool probe_offloads(int fd)
{
	bool ok = ioctl(fd, TUNSETOFFLOAD, (unsigned long)NT_ALL_OFFLOADS) == 0;

	ioctl(fd, TUNSETOFFLOAD, 0UL);
	return ok;
}

static int set_mtu(struct uvdpa_mgmtdev *m, struct net_tap *t,
		   const struct uvdpa_dev_set_config *cfg, uint16_t *mtu, const char **msg)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU)) {
		ifr.ifr_mtu = cfg->net.mtu;
		if (if_ioctl(t, SIOCSIFMTU, &ifr)) {
			int e = errno;

			*msg = say(m, "cannot set the TAP's MTU", "cannot set the MTU of TAP %s",
				   t->ifname);
			return -e;
		}
		*mtu = cfg->net.mtu;
		return 0;
	}
	*mtu = if_ioctl(t, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 &&
	       ifr.ifr_mtu <= NT_MAX_FRAME_MTU ? (uint16_t)ifr.ifr_mtu : NT_DEFAULT_MTU;
	return 0;
}

static int watch_fds(struct net_tap *t)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct epoll_event ev;
	unsigned i;

	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return -errno;
	for (i = 0; i < t->max_vqp; i++) {
		ev.events = EPOLLIN | EPOLLET;
		ev.data.fd = t->fds[i];
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->fds[i], &ev))
			return -errno;
	}
	/* The link watch is best effort: without it the status is still
	 * right whenever the driver reads the config. */
	t->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (t->nl >= 0 && bind(t->nl, (struct sockaddr *)&sa, sizeof(sa)))
		close_fd(&t->nl);
	if (t->nl >= 0) {
		ev.events = EPOLLIN;
		ev.data.fd = t->nl;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->nl, &ev))
			close_fd(&t->nl);
	}
	return 0;
}

static void fill_config(struct net_tap *t, const struct uvdpa_dev_set_config *cfg, uint16_t mtu)
{
	struct virtio_net_config *c = (void *)t->rt.config;

	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR)) {
		memcpy(c->mac, cfg->net.mac, 6);
	} else {
		if (getrandom(c->mac, 6, 0) != 6)
			memset(c->mac, 0x5a, 6);
		c->mac[0] = (uint8_t)((c->mac[0] & 0xfe) | 0x02);   /* local, unicast */
	}
	c->mtu = htole16(mtu);
	c->max_virtqueue_pairs = htole16(t->max_vqp);
	t->link_up = link_state(t);
	c->status = htole16(t->link_up ? VIRTIO_NET_S_LINK_UP : 0);
}

static int open_tap(struct uvdpa_mgmtdev *m, struct net_tap *t, const char **msg)
{
	int one = 1, hdr = (int)sizeof(struct virtio_net_hdr_v1);
	unsigned i;

	for (i = 0; i < t->max_vqp; i++) {
		t->fds[i] = open_queue(m, t->ifname, t->max_vqp > 1, msg);
		if (t->fds[i] < 0) {
			int e = t->fds[i];

			t->fds[i] = -1;
			return e;
		}
	}
	t->attached = (uint32_t)((1ULL << t->max_vqp) - 1);
	/* Ours outlives the process (a crash): the restart re-attaches to it. */
	if (t->owned && ioctl(t->fds[0], TUNSETPERSIST, 1UL)) {
		int e = errno;

		*msg = say(m, "cannot make the TAP persistent",
			   "cannot make TAP %s persistent", t->ifname);
		return -e;
	}
	/* Little-endian headers whatever the host (VERSION_1); harmless on x86. */
	ioctl(t->fds[0], TUNSETVNETLE, &one);
	if (ioctl(t->fds[0], TUNSETVNETHDRSZ, &hdr)) {
		*msg = "the TAP refused the virtio-net header size";
		return -errno;
	}
	t->can_guest_offload = probe_offloads(t->fds[0]);
	t->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return t->ctl < 0 ? -errno : 0;
}

static struct net_tap *nt_alloc(const char *name, const struct uvdpa_dev_set_config *cfg,
				uint16_t pairs, uint64_t features, int *err)
{
	struct devrt_dev_attr attr = {
		.id = VIRTIO_ID_NET,
		.supported_features = features,
		.config_size = sizeof(struct virtio_net_config),
		.alloc_size = sizeof(struct net_tap),
		.nvqs = 2u * pairs + 1,
		.work_fn = nt_work,
		.get_config = nt_get_config,
		.get_stats = nt_get_stats,
		.free = nt_free,
		.worker_fd = nt_worker_fd,
		.worker_fd_ready = nt_worker_fd_ready,
		.vq_ready = nt_vq_ready,
	};
	struct devrt *s = devrt_create(&attr, cfg, name, err);
	struct net_tap *t;
	unsigned i;

	if (!s)
		return NULL;
	t = rt_to_nt(s);
	for (i = 0; i < NT_MAX_VQP; i++)
		t->fds[i] = -1;
	t->epfd = t->ctl = t->nl = -1;
	t->max_vqp = pairs;
	t->curr_qps = 1;
	t->promisc = true;
	snprintf(t->ifname, sizeof(t->ifname), "%s", cfg->net.tap);
	return t;
}

static uint64_t nt_features(uint16_t pairs, bool offloads)
{
	return NT_BASE_FEATURES | (offloads ? NT_GUEST_OFFLOADS : 0) |
	       (pairs > 1 ? F(VIRTIO_NET_F_MQ) : 0);
}

static int nt_dev_add(struct uvdpa_mgmtdev *m, const char *name,
		      const struct uvdpa_dev_set_config *cfg,
		      struct uvdpa_device **out, const char **msg)
{
	const char *dummy = NULL;
	struct net_tap *t;
	bool existed;
	uint16_t pairs, mtu = NT_DEFAULT_MTU;
	int r, err = 0;

	if (!msg)
		msg = &dummy;
	r = check_cfg(m, cfg, &pairs, msg);
	if (!r)
		r = check_existing(m, cfg->net.tap, &existed, msg);
	if (r)
		return r;
	/* All offloads first: the features provisioned are checked against
	 * them, and the TAP's answer trims them below. */
	t = nt_alloc(name, cfg, pairs, nt_features(pairs, true), &err);
	if (!t) {
		if (err == -EINVAL)
			*msg = "device features must be a subset of what net_tap offers";
		return err;
	}
	/* Recorded as ours (a restart) or created now: ours; one that was
	 * there before and not recorded as ours belongs to the user. */
	t->owned = !existed || (cfg->uvdpa_mask &
				UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED));
	r = open_tap(m, t, msg);
	if (!r)
		r = set_mtu(m, t, cfg, &mtu, msg);
	if (!r)
		r = watch_fds(t);
	if (r) {
		t->owned = !existed;     /* one recorded as ours stays for a retry */
		unpersist(t);
		devrt_destroy(&t->rt);   /* closes the fds: a TAP we made goes too */
		return r;
	}
	if (!t->can_guest_offload)
		t->rt.dev_features &= ~NT_GUEST_OFFLOADS;
	fill_config(t, cfg, mtu);
	*out = &t->rt.vdev;
	return 0;
}

/* `dev del`, a vetoed `dev add`, or uvdpad's exit: the TAP we own goes,
 * unless the device is kept for the next start (uvdpa_bus_keep_devices). */
static void nt_dev_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);

	(void)m;
	devrt_stop(s);
	if (!uvdpa_bus_keeps_devices(d->bus))
		unpersist(rt_to_nt(s));
}

/* vdpa dev set mac: the config space, and the TAP's filter with it. */
static int nt_dev_set_attr(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
			   const struct uvdpa_dev_set_config *cfg)
{
	struct devrt *s = vdpa_to_sim(d);
	struct virtio_net_config *c = (void *)s->config;

	(void)m;
	if (!(cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR)))
		return -EOPNOTSUPP;
	devrt_lock(s);
	memcpy(c->mac, cfg->net.mac, 6);
	nt_tap_sync(rt_to_nt(s));
	s->generation++;
	devrt_config_changed(s);
	devrt_unlock(s);
	return 0;
}

static int nt_dev_get_settings(struct uvdpa_mgmtdev *m, struct uvdpa_device *d,
			       struct uvdpa_dev_set_config *cfg)
{
	struct net_tap *t = rt_to_nt(vdpa_to_sim(d));

	(void)m;
	memset(cfg, 0, sizeof(*cfg));
	cfg->net.tap = t->ifname;
	cfg->uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP) |
			  (t->owned ? UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED) : 0);
	return 0;
}

static const struct uvdpa_mgmtdev_ops nt_mgmt_ops = {
	.dev_add = nt_dev_add,
	.dev_del = nt_dev_del,
	.dev_set_attr = nt_dev_set_attr,
	.dev_get_settings = nt_dev_get_settings,
};

const struct uvdpa_mgmtdev net_tap_mgmtdev = {
	.bus_name = NULL,
	.dev_name = "net_tap",
	.ops = &nt_mgmt_ops,
	.id_classes = 1ULL << VIRTIO_ID_NET,
	.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP),
	.uvdpa_attr_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP) |
			   UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED),
	.supported_features = NT_BASE_FEATURES | NT_GUEST_OFFLOADS | F(VIRTIO_NET_F_MQ),
	.max_supported_vqs = 2 * NT_MAX_VQP + 1,
	.priv = NULL,   /* builtin.c gives each copy a message buffer of NT_MSG_LEN */
};

const size_t net_tap_msg_len = NT_MSG_LEN;
