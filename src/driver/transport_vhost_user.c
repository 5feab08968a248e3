// SPDX-License-Identifier: MIT
/*
 * vhost-user front-end transport: the virtio config operations of
 * transport.h carried as vhost-user messages to a back end in another
 * process (uvdpad, qemu-storage-daemon, DPDK's vhost library).
 *
 * Memory: one memfd, sized at open and sealed against shrinking and
 * growing, so a back end that maps it can never fault on a truncated page.
 * dma_alloc carves from it; the back end gets it as a single region in one
 * SET_MEM_TABLE. Buffer addresses (what descriptors carry) are guest
 * physical addresses from GPA_BASE up, ring addresses are our own virtual
 * addresses, as the protocol wants: the two differ, so a mix-up fails.
 *
 * Status: with the STATUS protocol feature the status byte lives in the
 * back end (SET/GET_STATUS); without it, here, and the back end starts
 * rings on their first kick as vhost-user always did.
 *
 * Errors: a back end that breaks the protocol, closes or stops answering
 * kills the connection (vu_conn.h); ops that cannot return an error then
 * answer neutral values and the virtio core reports t->ops->error().
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "driver/transport.h"
#include "driver/vu_conn.h"
#include "virtio/vq.h"

#define BIT(b) (1ULL << (b))
#define VHOST_F_LOG_ALL 26      /* vhost's dirty-log feature, meaningless here */

#define GPA_BASE        0x100000000ULL
#define VU_RINGS_MAX    256     /* ring index is 8 bits in the fd messages */

/* Protocol features this front end implements. */
#define PROTO_WANTED (BIT(VU_PROTO_MQ) | BIT(VU_PROTO_REPLY_ACK) | BIT(VU_PROTO_CONFIG) | \
		      BIT(VU_PROTO_RESET_DEVICE) | BIT(VU_PROTO_STATUS) | \
		      BIT(VU_PROTO_BACKEND_REQ))

/*
 * Never shown to drivers: vhost-user's own bits, IOTLB (not implemented),
 * and for net everything that needs the control queue, which vhost-user
 * back ends leave to the front end (uvdpad exposes no control ring). MQ is
 * the exception: the transport answers VQ_PAIRS_SET itself (vu_net_ctrl),
 * so the driver sees MQ and a CTRL_VQ that carries only that command.
 */
#define VU_HIDDEN (BIT(VU_F_PROTOCOL_FEATURES) | BIT(VHOST_F_LOG_ALL) | \
		   BIT(VIRTIO_F_ACCESS_PLATFORM))
#define NET_CVQ_BITS (BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) | \
		      BIT(VIRTIO_NET_F_CTRL_VLAN) | BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | \
		      BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) | BIT(VIRTIO_NET_F_MQ) | \
		      BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
		      BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | BIT(VIRTIO_NET_F_RSS) | \
		      BIT(VIRTIO_NET_F_HASH_REPORT) | BIT(VIRTIO_NET_F_NOTF_COAL))

struct vu_ring {
	int kick_fd;
	int call_fd;
	bool started;           /* SET_VRING_KICK sent, no GET_VRING_BASE since */
	bool enabled;           /* SET_VRING_ENABLE 1 (a reconnect says it again) */
	/* What a reconnect replays: size and addresses as last set up. */
	uint16_t num;
	struct vu_addr addr;
	const struct uvdpa_vq_drv *drv; /* the driver's side, NULL after a reset */
};

struct vu_hole {
	size_t off, len;
};

struct vu_transport {
	struct vtransport t;
	struct vu_conn c;
	uint32_t device_id;
	uint64_t offered;       /* GET_FEATURES as the back end said it */
	uint64_t features;      /* last SET_FEATURES, without bit 30 */
	uint64_t proto;         /* negotiated protocol features */
	uint8_t status;         /* ours, when STATUS is not negotiated */
	uint16_t qmax;
	unsigned nvqs;
	struct vu_ring *rings;
	int memfd;
	uint8_t *mem;
	size_t mem_size, brk;
	struct vu_hole *holes;
	unsigned nholes, cap_holes;
	bool table_sent;
	/* Reconnecting: where, for how long, and the back end's inflight area
	 * (-1 until GET_INFLIGHT_FD gave one), kept across its restarts. */
	char *path;
	int reconnect_ms;
	int inflight_fd;
	struct vu_inflight inflight;
	/*
	 * The back end's channel (SET_BACKEND_REQ_FD; bc.fd -1 until one is
	 * set up). The fd number stays the application's for v's life: a
	 * channel that ends is replaced by a silent eventfd on that number,
	 * a reconnect's new channel takes it again.
	 */
	struct vu_conn bc;
	bool bc_live;
	uint32_t config_gen;    /* config changes announced, and reconnects */
};

static struct vu_transport *to_vu(struct vtransport *t)
{
	return (struct vu_transport *)t;
}

static bool has_proto(const struct vu_transport *vt, unsigned bit)
{
	return vt->proto & BIT(bit);
}

static bool proto_features(const struct vu_transport *vt)
{
	return vt->offered & BIT(VU_F_PROTOCOL_FEATURES);
}

/* ---- features, status, config ---- */

static uint32_t vu_device_id(struct vtransport *t)
{
	return to_vu(t)->device_id;
}

/*
 * Net MQ: the back end offers the feature and says it has more than one
 * pair (GET_QUEUE_NUM, which needs the MQ protocol feature). With one
 * there is nothing to choose: no MQ, no control queue, as before.
 */
static bool net_mq(const struct vu_transport *vt)
{
	return vt->device_id == VIRTIO_ID_NET && (vt->offered & BIT(VIRTIO_NET_F_MQ)) &&
	       has_proto(vt, VU_PROTO_MQ) && vt->nvqs >= 4;
}

static uint64_t vu_get_features(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t f = vt->offered & ~VU_HIDDEN;

	if (vt->device_id == VIRTIO_ID_NET)
		f &= ~NET_CVQ_BITS;
	if (net_mq(vt))
		f |= BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ);
	/* Without CONFIG the device-specific fields cannot be read. */
	if (vt->device_id == VIRTIO_ID_NET && !has_proto(vt, VU_PROTO_CONFIG))
		f &= ~(BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MTU));
	return f;
}

static int vu_set_features(struct vtransport *t, uint64_t features)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t f = features;
	int err;

	if (features & ~vu_get_features(t))
		return -EIO;
	/* The control queue is ours; MQ goes to the back end, as QEMU sends it. */
	if (vt->device_id == VIRTIO_ID_NET)
		features &= ~BIT(VIRTIO_NET_F_CTRL_VQ);
	f = features;
	if (proto_features(vt))
		f |= BIT(VU_F_PROTOCOL_FEATURES);
	err = vu_conn_request(&vt->c, VU_SET_FEATURES, &f, sizeof(f), NULL, 0);
	if (err)
		return err;
	vt->features = features;
	return 0;
}

static uint8_t vu_get_status(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t st;

	if (vt->c.err)
		return 0;
	if (!has_proto(vt, VU_PROTO_STATUS))
		return vt->status;
	if (vu_conn_get_u64(&vt->c, VU_GET_STATUS, &st))
		return 0;
	if (st > 0xff) {
		vu_conn_fail(&vt->c, -EPROTO);
		return 0;
	}
	return (uint8_t)st;
}

static void vu_set_status(struct vtransport *t, uint8_t status)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t st = status;

	/* Kept with STATUS too: a reconnect sets it again. */
	vt->status = status;
	/* Without STATUS nobody refuses FEATURES_OK but SET_FEATURES, done already. */
	if (!has_proto(vt, VU_PROTO_STATUS))
		return;
	/* A refusal shows in the next GET_STATUS, which is how drivers check. */
	vu_conn_request(&vt->c, VU_SET_STATUS, &st, sizeof(st), NULL, 0);
}

#define NET_MAX_PAIRS_OFF offsetof(struct virtio_net_config, max_virtqueue_pairs)

static size_t vu_config_size(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);

	/* Without CONFIG, net MQ still has its pair count (net_read_pairs). */
	if (!has_proto(vt, VU_PROTO_CONFIG))
		return net_mq(vt) ? NET_MAX_PAIRS_OFF + 2 : 0;
	return vt->device_id == VIRTIO_ID_NET ? sizeof(struct virtio_net_config) :
	       sizeof(struct virtio_blk_config);
}

/*
 * max_virtqueue_pairs as the driver sees it: the config's when the back end
 * fills it in, never more than GET_QUEUE_NUM (rings beyond it do not
 * exist), GET_QUEUE_NUM when the config says nothing or cannot be read
 * (no CONFIG protocol feature: DPDK's vhost library).
 */
static void net_patch_pairs(const struct vu_transport *vt, uint8_t *cfg, size_t cfg_len)
{
	uint16_t have = (uint16_t)(vt->nvqs / 2), le;

	if (cfg_len < NET_MAX_PAIRS_OFF + 2)
		return;
	memcpy(&le, cfg + NET_MAX_PAIRS_OFF, 2);
	if (le16toh(le) == 0 || le16toh(le) > have)
		le = htole16(have);
	memcpy(cfg + NET_MAX_PAIRS_OFF, &le, 2);
}

/* A net config read the back end cannot answer: only max_virtqueue_pairs. */
static int net_read_pairs(const struct vu_transport *vt, unsigned off, void *buf, unsigned len)
{
	uint8_t cfg[NET_MAX_PAIRS_OFF + 2] = { 0 };

	if (!net_mq(vt) || off < NET_MAX_PAIRS_OFF || off + len > sizeof(cfg))
		return -EIO;
	net_patch_pairs(vt, cfg, sizeof(cfg));
	memcpy(buf, cfg + off, len);
	return 0;
}

/*
 * Always from offset 0: libvhost-user (qemu-storage-daemon) ignores the
 * offset and answers from the start of the config space.
 */
static int vu_read_config(struct vtransport *t, unsigned off, void *buf, unsigned len)
{
	struct vu_transport *vt = to_vu(t);
	struct vu_config req = { .offset = 0, .size = off + len };
	const uint8_t *data;
	struct vu_msg reply;
	uint8_t cfg[VU_CONFIG_MAX];
	int err;

	memset(buf, 0, len);
	if (vt->device_id == VIRTIO_ID_NET && !has_proto(vt, VU_PROTO_CONFIG))
		return net_read_pairs(vt, off, buf, len);
	if (req.size > VU_CONFIG_MAX || req.size > vu_config_size(t))
		return -EIO;
	err = vu_conn_get(&vt->c, VU_GET_CONFIG, &req, VU_CONFIG_HDR + req.size, &reply);
	if (err)
		return err;
	err = vu_parse_config(&reply, req.size, &data);
	if (err == -EPROTO)
		return vu_conn_fail(&vt->c, err);
	/* DPDK's vhost library has CONFIG but answers net reads with nothing. */
	if (err == -EIO && vt->device_id == VIRTIO_ID_NET)
		return net_read_pairs(vt, off, buf, len);
	if (err)
		return err;
	memcpy(cfg, data, req.size);
	if (net_mq(vt))
		net_patch_pairs(vt, cfg, req.size);
	memcpy(buf, cfg + off, len);
	return 0;
}

/* ---- the back end's channel ---- */

/* The channel ended: its fd number now holds an eventfd nobody writes. */
static void backend_quiet(struct vu_transport *vt)
{
	int e = eventfd(0, EFD_CLOEXEC);

	vt->bc_live = false;
	vt->c.side_fd = -1;
	vt->bc.err = 0;
	if (e < 0 || dup3(e, vt->bc.fd, O_CLOEXEC) < 0)
		shutdown(vt->bc.fd, SHUT_RDWR);    /* readable for ever, but harmless */
	if (e >= 0)
		close(e);
}

/*
 * Answers whatever the back end sent on its channel, without waiting for
 * more. A malformed request ends the whole connection (the back end cannot
 * be trusted any more); a closed channel only ends the channel: if the back
 * end died, its main socket says so.
 */
static void backend_service(void *arg)
{
	struct vu_transport *vt = arg;
	struct vu_msg m;
	bool changed;
	int verdict, err;

	while (vt->bc_live && !vt->c.err) {
		err = vu_conn_recv_request(&vt->bc, &m);
		if (err == -EAGAIN)
			return;
		verdict = err ? err : vu_backend_verdict(&m, &changed);
		if (verdict < 0) {
			backend_quiet(vt);
			if (verdict != -ECONNRESET)
				vu_conn_fail(&vt->c, verdict);
			return;
		}
		if (changed)
			vt->config_gen++;
		if ((m.hdr.flags & VU_F_NEED_REPLY) &&
		    vu_conn_answer(&vt->bc, &m.hdr, (uint64_t)verdict))
			backend_quiet(vt);
	}
}

/* QEMU's order (vhost_user_backend_init): after the protocol features, before
 * SET_OWNER. A back end that refuses it (REPLY_ACK) is used without. */
static int backend_open(struct vu_transport *vt)
{
	int sv[2], err;

	if (!has_proto(vt, VU_PROTO_BACKEND_REQ))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	err = vu_conn_request(&vt->c, VU_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1);
	close(sv[1]);
	if (!err && vt->bc.fd >= 0 && dup3(sv[0], vt->bc.fd, O_CLOEXEC) < 0)
		err = -errno;
	if (err || vt->bc.fd >= 0) {
		close(sv[0]);
		sv[0] = vt->bc.fd;
	}
	if (err)
		return err == -EIO ? 0 : err;
	vu_conn_adopt(&vt->bc, sv[0], vt->c.timeout_ms);
	vt->bc_live = true;
	vt->c.side_fd = vt->bc.fd;
	vt->c.side = backend_service;
	vt->c.side_arg = vt;
	return 0;
}

static uint32_t vu_config_generation(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);

	backend_service(vt);
	return vt->config_gen;
}

static int vu_config_fd(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);

	return vt->bc.fd >= 0 ? vt->bc.fd : -EOPNOTSUPP;
}

/* ---- queues ---- */

static unsigned vu_num_queues(struct vtransport *t)
{
	return to_vu(t)->nvqs;
}

static uint16_t vu_vq_max_size(struct vtransport *t, uint16_t idx)
{
	return to_vu(t)->qmax;
}

static int vu_call_fd(struct vtransport *t, uint16_t idx)
{
	struct vu_transport *vt = to_vu(t);
	struct vu_ring *r;

	if (idx >= vt->nvqs)
		return -EINVAL;
	r = &vt->rings[idx];
	if (r->call_fd < 0)
		r->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return r->call_fd < 0 ? -errno : r->call_fd;
}

static int uva_of(const struct vu_transport *vt, uint64_t iova, uint64_t *uva)
{
	if (iova < GPA_BASE || iova - GPA_BASE >= vt->mem_size)
		return -EINVAL;
	*uva = (uint64_t)(uintptr_t)(vt->mem + (iova - GPA_BASE));
	return 0;
}

static int ring_fd_msg(struct vu_transport *vt, uint32_t req, uint16_t idx, int fd)
{
	uint64_t v = idx;

	return vu_conn_request(&vt->c, req, &v, sizeof(v), &fd, 1);
}

static int ring_state_msg(struct vu_transport *vt, uint32_t req, uint16_t idx, uint32_t num)
{
	struct vu_state s = { .index = idx, .num = num };

	return vu_conn_request(&vt->c, req, &s, sizeof(s), NULL, 0);
}

static bool is_packed(const struct vu_transport *vt)
{
	return vt->features & BIT(VIRTIO_F_RING_PACKED);
}

/*
 * The inflight area is what lets a restarted back end resubmit: asked for
 * only when the application wants reconnects (handshake).
 */
static bool wants_inflight(const struct vu_transport *vt)
{
	return has_proto(vt, VU_PROTO_INFLIGHT_SHMFD);
}

static int inflight_set(struct vu_transport *vt)
{
	return vu_conn_request(&vt->c, VU_SET_INFLIGHT_FD, &vt->inflight, sizeof(vt->inflight),
			       &vt->inflight_fd, 1);
}

static void inflight_drop(struct vu_transport *vt)
{
	if (vt->inflight_fd >= 0)
		close(vt->inflight_fd);
	vt->inflight_fd = -1;
	memset(&vt->inflight, 0, sizeof(vt->inflight));
}

/*
 * QEMU's order (vhost_user_blk_start): GET_INFLIGHT_FD then SET_INFLIGHT_FD
 * before the first ring, for every queue the back end has, so any subset
 * the driver starts is covered. A back end with no area for us (mmap_size
 * 0) leaves us without reconnects, as QEMU carries on without.
 */
static int inflight_get(struct vu_transport *vt, uint16_t num)
{
	struct vu_inflight req = { .num_queues = (uint16_t)vt->nvqs, .queue_size = num };
	struct vu_msg reply;
	int fd, err;

	if (!wants_inflight(vt) || vt->inflight_fd >= 0)
		return 0;
	err = vu_conn_get_fd(&vt->c, VU_GET_INFLIGHT_FD, &req, sizeof(req), &reply, &fd);
	if (err)
		return err;
	err = vu_parse_inflight(&reply, req.num_queues, num, &vt->inflight);
	if (!err && fd < 0)
		err = -EPROTO;
	if (err) {
		if (fd >= 0)
			close(fd);
		memset(&vt->inflight, 0, sizeof(vt->inflight));
		return err == -EIO ? 0 : vu_conn_fail(&vt->c, err);
	}
	vt->inflight_fd = fd;
	return inflight_set(vt);
}

/* QEMU's order (vhost_virtqueue_start): num, base, addresses, then fds;
 * the call fd before the kick so the first completion is not lost. */
static int ring_start(struct vu_transport *vt, uint16_t idx, uint32_t base)
{
	struct vu_ring *r = &vt->rings[idx];
	int err;

	err = ring_state_msg(vt, VU_SET_VRING_NUM, idx, r->num);
	if (!err)
		err = ring_state_msg(vt, VU_SET_VRING_BASE, idx, base);
	if (!err)
		err = vu_conn_request(&vt->c, VU_SET_VRING_ADDR, &r->addr, sizeof(r->addr),
				      NULL, 0);
	if (!err)
		err = ring_fd_msg(vt, VU_SET_VRING_CALL, idx, r->call_fd);
	if (!err)
		err = ring_fd_msg(vt, VU_SET_VRING_KICK, idx, r->kick_fd);
	if (!err)
		r->started = true;
	/* With protocol features rings start disabled; a reconnect leaves
	 * the pairs VQ_PAIRS_SET turned off as they were. */
	if (!err && proto_features(vt))
		err = ring_state_msg(vt, VU_SET_VRING_ENABLE, idx, r->enabled);
	return err;
}

static int vu_vq_setup(struct vtransport *t, uint16_t idx, uint16_t num, uint64_t desc,
		       uint64_t driver, uint64_t device)
{
	struct vu_transport *vt = to_vu(t);
	int call = vu_call_fd(t, idx), err;
	struct vu_ring *r;

	if (call < 0)
		return call;
	r = &vt->rings[idx];
	if (r->kick_fd < 0)
		r->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->kick_fd < 0)
		return -errno;
	r->num = num;
	r->enabled = true;
	r->addr = (struct vu_addr){ .index = idx };
	if (uva_of(vt, desc, &r->addr.desc) || uva_of(vt, driver, &r->addr.avail) ||
	    uva_of(vt, device, &r->addr.used))
		return -EINVAL;
	err = inflight_get(vt, num);
	if (err)
		return err;
	/* A fresh packed ring: both indexes 0, both wrap counters 1. */
	return ring_start(vt, idx, is_packed(vt) ? 0x80008000u : 0);
}

static void vu_vq_driver(struct vtransport *t, uint16_t idx, const struct uvdpa_vq_drv *drv)
{
	struct vu_transport *vt = to_vu(t);

	if (idx < vt->nvqs)
		vt->rings[idx].drv = drv;
}

static void vu_kick(struct vtransport *t, uint16_t idx)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: the back end is kicked anyway. */
	if (idx < vt->nvqs && vt->rings[idx].kick_fd >= 0 &&
	    write(vt->rings[idx].kick_fd, &one, sizeof(one)) < 0)
		return;
}

/* ---- DMA memory ---- */

static size_t page_round(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (size + pg - 1) & ~(pg - 1);
}

static bool take_hole(struct vu_transport *vt, size_t size, size_t *off)
{
	unsigned i;

	for (i = 0; i < vt->nholes; i++) {
		struct vu_hole *h = &vt->holes[i];

		if (h->len < size)
			continue;
		*off = h->off;
		h->off += size;
		h->len -= size;
		if (!h->len)
			vt->holes[i] = vt->holes[--vt->nholes];
		return true;
	}
	return false;
}

static int vu_dma_alloc(struct vtransport *t, size_t size, struct vdma *out)
{
	struct vu_transport *vt = to_vu(t);
	size_t off;

	if (size == 0 || page_round(size) < size)
		return -EINVAL;
	size = page_round(size);
	/* Holes were punched at free time: they read as zeroes already. */
	if (!take_hole(vt, size, &off)) {
		if (size > vt->mem_size - vt->brk)
			return -ENOSPC;
		off = vt->brk;
		vt->brk += size;
	}
	out->host = vt->mem + off;
	out->iova = GPA_BASE + off;
	out->size = size;
	return 0;
}

static void add_hole(struct vu_transport *vt, size_t off, size_t len)
{
	if (off + len == vt->brk) {
		vt->brk = off;
		return;
	}
	if (vt->nholes == vt->cap_holes) {
		unsigned cap = vt->cap_holes ? 2 * vt->cap_holes : 16;
		struct vu_hole *h = realloc(vt->holes, cap * sizeof(*h));

		if (!h)
			return;         /* the range is lost until close, nothing worse */
		vt->holes = h;
		vt->cap_holes = cap;
	}
	vt->holes[vt->nholes].off = off;
	vt->holes[vt->nholes].len = len;
	vt->nholes++;
}

/* Frees only come after a reset: the back end no longer touches the range. */
static void vu_dma_free(struct vtransport *t, struct vdma *d)
{
	struct vu_transport *vt = to_vu(t);
	size_t off = (size_t)(d->iova - GPA_BASE);

	if (!d->host)
		return;
	/* Zeroes for the next user, and the pages go back to the kernel. */
	if (fallocate(vt->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)d->size))
		memset(d->host, 0, d->size);
	add_hole(vt, off, d->size);
	memset(d, 0, sizeof(*d));
}

static int vu_dma_sync(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);
	struct vu_mem m = { .nregions = 1 };
	int err;

	if (vt->table_sent)
		return vt->c.err;
	m.regions[0].gpa = GPA_BASE;
	m.regions[0].size = vt->mem_size;
	m.regions[0].uva = (uint64_t)(uintptr_t)vt->mem;
	m.regions[0].mmap_offset = 0;
	/* Only the regions sent travel: 8 header bytes + one region. */
	err = vu_conn_request(&vt->c, VU_SET_MEM_TABLE, &m,
			      (uint32_t)(offsetof(struct vu_mem, regions) + sizeof(m.regions[0])),
			      &vt->memfd, 1);
	if (!err)
		vt->table_sent = true;
	return err;
}

/* ---- reset and life ---- */

static int vu_reset(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);
	uint64_t zero = 0;
	struct vu_msg reply;
	struct vu_state s;
	unsigned i;
	uint32_t base;
	int err = 0;

	/* GET_VRING_BASE stops a ring: once all are stopped the back end
	 * touches none of our memory. */
	for (i = 0; i < vt->nvqs && !err; i++) {
		if (!vt->rings[i].started)
			continue;
		s.index = i;
		s.num = 0;
		err = vu_conn_get(&vt->c, VU_GET_VRING_BASE, &s, sizeof(s), &reply);
		if (!err && vu_parse_state(&reply, i, &base))
			err = vu_conn_fail(&vt->c, -EPROTO);
		vt->rings[i].started = false;
	}
	for (i = 0; i < vt->nvqs; i++)
		vt->rings[i].drv = NULL;
	if (!err && has_proto(vt, VU_PROTO_STATUS))
		err = vu_conn_request(&vt->c, VU_SET_STATUS, &zero, sizeof(zero), NULL, 0);
	if (!err && has_proto(vt, VU_PROTO_RESET_DEVICE))
		err = vu_conn_request(&vt->c, VU_RESET_DEVICE, NULL, 0, NULL, 0);
	vt->status = 0;
	vt->features = 0;
	/* A reset device starts afresh: its next driver gets a new area. */
	inflight_drop(vt);
	return err;
}

/* ---- reconnect ---- */

/*
 * Where a restarted back end resumes a split ring: the used index in our
 * memory. With the inflight area it counts the chains still in flight on
 * top of it and resubmits them (libvhost-user and uvdpad alike), as after
 * QEMU's "ring restore" of a dead back end: GET_VRING_BASE needs a live one.
 */
static uint16_t ring_resume_index(const struct vu_ring *r)
{
	const uint16_t *used_idx = (const uint16_t *)(uintptr_t)(r->addr.used + 2);

	return __atomic_load_n(used_idx, __ATOMIC_ACQUIRE);
}

/*
 * The head of a packed queue's region in the inflight area (the spec's
 * "Inflight I/O tracking", QEMU's QueueRegionPacked); descriptors follow.
 */
struct vu_inflight_packed {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t free_head;
	uint16_t old_free_head;
	uint16_t used_idx;
	uint16_t old_used_idx;
	uint8_t used_wrap_counter;
	uint8_t old_used_wrap_counter;
};

/*
 * Where a restarted back end resumes a packed ring. Only the back end knows
 * how far it got (the used index and its wrap counter are not in the
 * ring); the spec has it keep that in the inflight area, old_used_idx and
 * old_used_wrap_counter being the last batch it published. The front end
 * reads them there and hands them back as both halves of the base, as QEMU
 * does with its own used index when GET_VRING_BASE cannot be asked: the
 * back end then resubmits the chains the area marks in flight. A region
 * never written (version 0) is a ring that never ran: fresh state.
 */
static int packed_resume_base(struct vu_transport *vt, uint16_t idx, uint32_t *base)
{
	const struct vu_inflight *in = &vt->inflight;
	struct vu_inflight_packed h;
	uint64_t stride;
	uint32_t pos;

	if (vt->inflight_fd < 0 || !in->num_queues || idx >= in->num_queues)
		return -EPROTO;
	stride = in->mmap_size / in->num_queues;
	/* Read, not mapped: a file shorter than the back end said would
	 * SIGBUS a mapping; here it is a short read. */
	if (stride < sizeof(h) ||
	    pread(vt->inflight_fd, &h, sizeof(h), (off_t)(in->mmap_offset + idx * stride)) !=
	    (ssize_t)sizeof(h))
		return -EPROTO;
	if (h.version == 0) {
		*base = 0x80008000u;
		return 0;
	}
	if (h.desc_num != vt->rings[idx].num || h.old_used_idx >= h.desc_num ||
	    h.old_used_wrap_counter > 1)
		return -EPROTO;
	pos = h.old_used_idx | (uint32_t)h.old_used_wrap_counter << 15;
	*base = pos | pos << 16;
	return 0;
}

/* pos moves on by n slots of a ring of num, the wrap counter with it. */
static void advance(uint16_t *pos, bool *wrap, uint16_t n, uint16_t num)
{
	*pos = (uint16_t)(*pos + n);
	if (*pos >= num) {
		*pos = (uint16_t)(*pos - num);
		*wrap = !*wrap;
	}
}

/* In order: moves pos past every chain from *order up to and including
 * last (a batch), *order then the chain after it; -EPROTO if last is not
 * among the chains in flight. */
static int walk_batch(const struct uvdpa_vq_drv *d, uint16_t *order, uint16_t last,
		      uint16_t *pos, bool *wrap, unsigned *walked)
{
	for (;;) {
		uint16_t id = *order;

		if (id == UVDPA_VQ_NO_ID || *walked >= d->num)
			return -EPROTO;
		*walked += d->state[id].ndesc;
		advance(pos, wrap, d->state[id].ndesc, d->num);
		*order = uvdpa_vq_drv_order_after(d, id);
		if (id == last)
			return 0;
	}
}

/*
 * Where a restarted back end resumes a packed net ring, which has no
 * inflight area: where the old one's used entries end. The driver knows
 * its own used position and wrap counter; past it, used entries the old
 * back end wrote and the driver has not taken yet are in the ring, each
 * as long as the chain its id names (the driver's bookkeeping). Starting
 * the new back end at the driver's position would leave it facing those
 * used entries, which are not available descriptors: the ring would stall.
 * Past them lie the chains the old back end took without finishing, still
 * marked available: the new one takes them again (receive buffers offered
 * again, frames perhaps sent twice). Both halves of the base are that
 * position (the spec's last_avail_idx | wrap << 15, the used index alike).
 */
static int packed_driver_base(const struct vu_ring *r, uint32_t *base)
{
	const struct uvdpa_vq_drv *d = r->drv;
	unsigned walked = 0;
	uint16_t pos, order;
	bool wrap;

	if (!d || !d->packed || d->num != r->num)
		return -EPROTO;
	pos = d->last_used_idx;
	wrap = d->used_wrap;
	/* In order, the rest of a batch the driver is handing out is used
	 * (with no used descriptor of its own), and so is every chain up to
	 * a used descriptor's id: the walk follows the order of the chains. */
	order = d->in_order ? d->oldest : UVDPA_VQ_NO_ID;
	if (d->in_order && d->in_batch &&
	    walk_batch(d, &order, d->batch_last, &pos, &wrap, &walked))
		return -EPROTO;
	while (walked < d->num) {
		const struct vring_packed_desc *desc = &d->pdesc[pos];
		uint16_t flags = le16toh(__atomic_load_n(&desc->flags, __ATOMIC_ACQUIRE));
		uint16_t id = le16toh(desc->id), ndesc;

		if (!!(flags & (1u << VRING_PACKED_DESC_F_AVAIL)) != wrap ||
		    !!(flags & (1u << VRING_PACKED_DESC_F_USED)) != wrap)
			break;
		/* An id the driver has not in flight: the old back end lied. */
		if (id >= d->num || !d->state[id].token)
			return -EPROTO;
		if (d->in_order) {
			if (walk_batch(d, &order, id, &pos, &wrap, &walked))
				return -EPROTO;
			continue;
		}
		ndesc = d->state[id].ndesc;
		walked += ndesc;
		advance(&pos, &wrap, ndesc, d->num);
	}
	*base = pos | (uint32_t)wrap << 15;
	*base |= *base << 16;
	return 0;
}

/* The new back end must offer what the driver negotiated with the old one. */
static int replay_negotiation(struct vu_transport *vt)
{
	uint64_t offered, p = 0, f = vt->features | BIT(VU_F_PROTOCOL_FEATURES);
	int err;

	err = vu_conn_get_u64(&vt->c, VU_GET_FEATURES, &offered);
	if (!err && (offered & f) != f)
		err = -EOPNOTSUPP;
	if (!err)
		err = vu_conn_get_u64(&vt->c, VU_GET_PROTOCOL_FEATURES, &p);
	if (!err && (p & vt->proto) != vt->proto)
		err = -EOPNOTSUPP;
	if (!err)
		err = vu_conn_request(&vt->c, VU_SET_PROTOCOL_FEATURES, &vt->proto,
				      sizeof(vt->proto), NULL, 0);
	vt->c.reply_ack = has_proto(vt, VU_PROTO_REPLY_ACK);
	if (!err)
		err = backend_open(vt);
	if (!err)
		err = vu_conn_request(&vt->c, VU_SET_OWNER, NULL, 0, NULL, 0);
	if (!err)
		err = vu_conn_request(&vt->c, VU_SET_FEATURES, &f, sizeof(f), NULL, 0);
	return err;
}

static int replay_status(struct vu_transport *vt, uint8_t status)
{
	uint64_t st = status;

	if (!has_proto(vt, VU_PROTO_STATUS))
		return 0;
	return vu_conn_request(&vt->c, VU_SET_STATUS, &st, sizeof(st), NULL, 0);
}

/* The driver's set-up, in the order of the first time, on a new connection. */
static int replay(struct vu_transport *vt)
{
	unsigned i;
	int err;

	err = replay_negotiation(vt);
	if (!err)
		err = replay_status(vt, vt->status & ~UVDPA_STATUS_DRIVER_OK);
	vt->table_sent = false;
	if (!err)
		err = vu_dma_sync(&vt->t);
	if (!err && vt->inflight_fd >= 0)
		err = inflight_set(vt);
	for (i = 0; i < vt->nvqs && !err; i++) {
		uint32_t base;

		if (!vt->rings[i].started)
			continue;
		if (is_packed(vt) && vt->inflight_fd >= 0)
			err = packed_resume_base(vt, (uint16_t)i, &base);
		else if (is_packed(vt))
			err = packed_driver_base(&vt->rings[i], &base);
		else
			base = ring_resume_index(&vt->rings[i]);
		if (!err)
			err = ring_start(vt, (uint16_t)i, base);
	}
	if (!err)
		err = replay_status(vt, vt->status);
	/* Requests queued while nobody listened wait for a kick. */
	for (i = 0; i < vt->nvqs && !err; i++)
		if (vt->rings[i].started)
			vu_kick(&vt->t, (uint16_t)i);
	return err;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * blk needs the inflight area: a request the old back end took must run
 * again even if it came out of order. A net ring needs none: the back end
 * resumes where its used entries end (split: the used index; packed: see
 * packed_driver_base), so receive buffers it had taken are offered again
 * and frames it had taken are sent again (at worst twice, as a network may
 * do).
 */
static bool can_reconnect(const struct vu_transport *vt)
{
	bool resumable = vt->inflight_fd >= 0 || vt->device_id == VIRTIO_ID_NET;

	return vt->path && vt->reconnect_ms > 0 && resumable && !vt->c.err;
}

/*
 * A back end restarting takes a while to listen again (the socket is
 * missing, then refuses), and may die again half-way through the replay:
 * every failure is retried until the deadline.
 */
static int vu_reconnect(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);
	int64_t deadline;
	int timeout_ms = vt->c.timeout_ms, err;
	struct timespec ts;

	if (!can_reconnect(vt))
		return vu_conn_fail(&vt->c, -ECONNRESET);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + vt->reconnect_ms;
	for (;;) {
		vu_conn_close(&vt->c);
		if (vt->bc_live)
			backend_quiet(vt);
		err = vu_conn_open(&vt->c, vt->path, timeout_ms);
		if (!err)
			err = replay(vt);
		if (!err) {
			/* The new back end's config may differ: read it again. */
			vt->config_gen++;
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= deadline)
			break;
		sleep_ms(20);
	}
	vt->c.err = 0;
	return vu_conn_fail(&vt->c, -ECONNRESET);
}

/*
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET as QEMU's vhost-user net does it: the
 * pairs in use enabled, the others disabled (SET_VRING_ENABLE). Nothing else
 * a control queue carries (MAC, RX mode, VLAN filters) has a vhost-user
 * message: -EOPNOTSUPP.
 */
static int vu_net_ctrl(struct vtransport *t, uint8_t class, uint8_t cmd, const void *data,
		       uint32_t len)
{
	struct vu_transport *vt = to_vu(t);
	uint16_t le, pairs;
	unsigned i;
	int err = 0;

	if (!net_mq(vt) || class != VIRTIO_NET_CTRL_MQ || cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		return -EOPNOTSUPP;
	if (len != sizeof(le))
		return -EIO;
	memcpy(&le, data, sizeof(le));
	pairs = le16toh(le);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > vt->nvqs / 2)
		return -EIO;
	for (i = 0; i < vt->nvqs && !err; i++) {
		struct vu_ring *r = &vt->rings[i];
		bool on = i < 2u * pairs;

		if (!r->started || r->enabled == on)
			continue;
		err = ring_state_msg(vt, VU_SET_VRING_ENABLE, (uint16_t)i, on);
		if (!err)
			r->enabled = on;
	}
	return err ? -EIO : 0;
}

static int vu_error(struct vtransport *t)
{
	return to_vu(t)->c.err;
}

static int vu_hup_fd(struct vtransport *t)
{
	return to_vu(t)->c.fd;
}

static void vu_free(struct vu_transport *vt)
{
	unsigned i;

	vu_conn_close(&vt->c);
	vu_conn_close(&vt->bc);
	for (i = 0; vt->rings && i < vt->nvqs; i++) {
		if (vt->rings[i].kick_fd >= 0)
			close(vt->rings[i].kick_fd);
		if (vt->rings[i].call_fd >= 0)
			close(vt->rings[i].call_fd);
	}
	if (vt->mem)
		munmap(vt->mem, vt->mem_size);
	if (vt->memfd >= 0)
		close(vt->memfd);
	inflight_drop(vt);
	free(vt->path);
	free(vt->rings);
	free(vt->holes);
	free(vt);
}

static void vu_close(struct vtransport *t)
{
	struct vu_transport *vt = to_vu(t);

	if (!vt->c.err)
		vu_reset(t);
	vu_free(vt);
}

static const struct vtransport_ops vu_ops = {
	.device_id = vu_device_id,
	.get_features = vu_get_features,
	.set_features = vu_set_features,
	.get_status = vu_get_status,
	.set_status = vu_set_status,
	.config_size = vu_config_size,
	.read_config = vu_read_config,
	.config_generation = vu_config_generation,
	.config_fd = vu_config_fd,
	.num_queues = vu_num_queues,
	.vq_max_size = vu_vq_max_size,
	.vq_setup = vu_vq_setup,
	.vq_driver = vu_vq_driver,
	.kick = vu_kick,
	.call_fd = vu_call_fd,
	.dma_alloc = vu_dma_alloc,
	.dma_free = vu_dma_free,
	.dma_sync = vu_dma_sync,
	.reset = vu_reset,
	.error = vu_error,
	.hup_fd = vu_hup_fd,
	.reconnect = vu_reconnect,
	.net_ctrl = vu_net_ctrl,
	.close = vu_close,
};

/* Sealed: the back end maps all of it, and a shrink would SIGBUS it. */
static int vu_mem_create(struct vu_transport *vt, size_t size)
{
	vt->mem_size = page_round(size);
	vt->memfd = memfd_create("uvdpa-vhost-user", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (vt->memfd < 0)
		return -errno;
	if (ftruncate(vt->memfd, (off_t)vt->mem_size) ||
	    fcntl(vt->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
	vt->mem = mmap(NULL, vt->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, vt->memfd, 0);
	if (vt->mem == MAP_FAILED) {
		vt->mem = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Rings the back end serves: net counts pairs in GET_QUEUE_NUM. */
static int vu_count_queues(struct vu_transport *vt)
{
	uint64_t n = 1;
	int err;

	if (has_proto(vt, VU_PROTO_MQ)) {
		err = vu_conn_get_u64(&vt->c, VU_GET_QUEUE_NUM, &n);
		if (err)
			return err;
		if (n == 0)
			return vu_conn_fail(&vt->c, -EPROTO);
	}
	if (vt->device_id == VIRTIO_ID_NET)
		n *= 2;
	vt->nvqs = n > VU_RINGS_MAX ? VU_RINGS_MAX : (unsigned)n;
	return 0;
}

/* GET_FEATURES, protocol features, SET_OWNER, queue count. */
static int vu_handshake(struct vu_transport *vt)
{
	uint64_t p = 0;
	int err;

	err = vu_conn_get_u64(&vt->c, VU_GET_FEATURES, &vt->offered);
	if (!err && proto_features(vt))
		err = vu_conn_get_u64(&vt->c, VU_GET_PROTOCOL_FEATURES, &p);
	if (err)
		return err;
	p &= PROTO_WANTED | (vt->reconnect_ms && vt->device_id == VIRTIO_ID_BLOCK ?
			     BIT(VU_PROTO_INFLIGHT_SHMFD) : 0);
	/* The channel only carries config changes here. */
	if (!(p & BIT(VU_PROTO_CONFIG)))
		p &= ~BIT(VU_PROTO_BACKEND_REQ);
	if (proto_features(vt)) {
		err = vu_conn_request(&vt->c, VU_SET_PROTOCOL_FEATURES, &p, sizeof(p), NULL, 0);
		if (err)
			return err;
	}
	vt->proto = p;
	vt->c.reply_ack = has_proto(vt, VU_PROTO_REPLY_ACK);
	err = backend_open(vt);
	if (!err)
		err = vu_conn_request(&vt->c, VU_SET_OWNER, NULL, 0, NULL, 0);
	if (err)
		return err;
	/* vhost-user-blk has nothing to offer without its config space. */
	if (vt->device_id == VIRTIO_ID_BLOCK && !has_proto(vt, VU_PROTO_CONFIG))
		return -EOPNOTSUPP;
	return vu_count_queues(vt);
}

static int vu_rings_alloc(struct vu_transport *vt)
{
	unsigned i;

	vt->rings = calloc(vt->nvqs, sizeof(*vt->rings));
	if (!vt->rings)
		return -ENOMEM;
	for (i = 0; i < vt->nvqs; i++) {
		vt->rings[i].kick_fd = -1;
		vt->rings[i].call_fd = -1;
	}
	return 0;
}

/* Either path or fd (then owned). */
static int vu_open(const char *path, int fd, const struct vtransport_vu_opts *o,
		   struct vtransport **out)
{
	struct vu_transport *vt = calloc(1, sizeof(*vt));
	int err = 0;

	if (!vt) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	vt->t.ops = &vu_ops;
	vt->memfd = -1;
	vt->inflight_fd = -1;
	vt->bc.fd = -1;
	vt->bc.side_fd = -1;
	vt->reconnect_ms = o->reconnect_ms;
	vt->device_id = o->device_id;
	vt->qmax = o->queue_size_max;
	if (path) {
		vt->path = strdup(path);
		err = vt->path ? vu_conn_open(&vt->c, path, o->timeout_ms) : -ENOMEM;
	} else {
		vu_conn_adopt(&vt->c, fd, o->timeout_ms);
	}
	if (!err)
		err = vu_mem_create(vt, o->mem_size);
	if (!err)
		err = vu_handshake(vt);
	if (!err)
		err = vu_rings_alloc(vt);
	if (err) {
		vu_free(vt);
		return err;
	}
	*out = &vt->t;
	return 0;
}

int vtransport_vhost_user_open(const char *path, const struct vtransport_vu_opts *opts,
			       struct vtransport **out)
{
	return vu_open(path, -1, opts, out);
}

int vtransport_vhost_user_open_fd(int fd, const struct vtransport_vu_opts *opts,
				  struct vtransport **out)
{
	return vu_open(NULL, fd, opts, out);
}
