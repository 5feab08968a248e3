// SPDX-License-Identifier: MIT
/*
 * vhost-user session: message validation and dispatch, features, protocol
 * features, device status, config space, resets.
 *
 * Error policy: a message that fails is answered with a non-zero REPLY_ACK
 * when the front end asked for one (and the session goes on); otherwise the
 * front end could not learn about the failure and would carry on with a
 * device in an unknown state, so the connection is dropped and the device
 * reset. Messages with their own reply answer an error in-band (GET_CONFIG,
 * size 0) or drop the connection.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "vhost_session_priv.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void vhost_logf(struct vhost_session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!s->log)
		return;
	n = snprintf(line, sizeof(line), "vhost %s: ", s->dev->name ? s->dev->name : "?");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	s->log(s->log_opaque, line);
}

/* ------------------------------------------------------------------ */
/* features and status                                                 */
/* ------------------------------------------------------------------ */

/* Exactly what the front end negotiated: the memory table is the platform's
 * translation (dev->face_translates), so ACCESS_PLATFORM is not added. */
uint64_t vhost_device_features(const struct vhost_session *s)
{
	return s->features & ~BIT_ULL(VHOST_USER_F_PROTOCOL_FEATURES);
}

int vhost_apply_features(struct vhost_session *s)
{
	uint8_t st = s->ops->get_status(s->dev);
	int err;

	/* virtio order: ACKNOWLEDGE and DRIVER come before features. */
	if ((st & (UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER)) !=
	    (UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER))
		s->ops->set_status(s->dev, st | UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER);
	err = uvdpa_device_set_features(s->dev, vhost_device_features(s));
	if (err) {
		vhost_logf(s, "device refused features 0x%llx: %s",
			   (unsigned long long)vhost_device_features(s), strerror(-err));
		return err;
	}
	if (!vhost_has_proto(s, VHOST_USER_PROTOCOL_F_STATUS)) {
		/* Nobody else will drive the status: do what a driver does. */
		st = s->ops->get_status(s->dev);
		s->ops->set_status(s->dev, st | UVDPA_STATUS_FEATURES_OK);
		if (!(s->ops->get_status(s->dev) & UVDPA_STATUS_FEATURES_OK)) {
			vhost_logf(s, "device did not accept FEATURES_OK for 0x%llx",
				   (unsigned long long)vhost_device_features(s));
			return -EINVAL;
		}
	}
	s->dev_features_ok = true;
	return 0;
}

void vhost_device_reset(struct vhost_session *s, bool save)
{
	for (unsigned i = 0; i < s->nrings; i++)
		if (s->rings[i].live)
			vhost_ring_halt(s, i, save);
	uvdpa_device_reset(s->dev);
	s->dev_features_ok = false;
	/* A reset may drop the device's map; rings still point into it. */
	if (s->map)
		s->ops->set_map(s->dev, s->map);
}

static int h_set_features(struct vhost_session *s, const struct vhost_user_msg *m)
{
	uint64_t f = m->p.u64;
	int err;

	if (f & ~s->offered) {
		vhost_logf(s, "SET_FEATURES 0x%llx has bits that were not offered (0x%llx)",
			   (unsigned long long)f, (unsigned long long)(f & ~s->offered));
		return -EINVAL;
	}
	/* QEMU sends the same features once per queue pair. */
	if (s->dev_features_ok && s->features_set && f == s->features)
		return 0;
	if (s->dev_features_ok) {
		if (vhost_any_ring_live(s)) {
			vhost_logf(s, "SET_FEATURES changes features while rings run");
			return -EBUSY;
		}
		if (vhost_has_proto(s, VHOST_USER_PROTOCOL_F_STATUS) &&
		    (s->ops->get_status(s->dev) & UVDPA_STATUS_FEATURES_OK)) {
			vhost_logf(s, "SET_FEATURES after FEATURES_OK without SET_STATUS 0");
			return -EBUSY;
		}
		vhost_device_reset(s, false);
	}
	s->features = f;
	s->features_set = true;
	if (!(f & BIT_ULL(VHOST_USER_F_PROTOCOL_FEATURES)))
		vhost_rings_enable_all(s);
	err = vhost_apply_features(s);
	if (err)
		return err;
	return vhost_rings_sync(s);
}

static int h_set_protocol_features(struct vhost_session *s, const struct vhost_user_msg *m)
{
	uint64_t p = m->p.u64;

	if (p & ~s->offered_proto) {
		vhost_logf(s, "SET_PROTOCOL_FEATURES 0x%llx has bits that were not offered (0x%llx)",
			   (unsigned long long)p, (unsigned long long)(p & ~s->offered_proto));
		return -EINVAL;
	}
	if ((s->proto ^ p) & BIT_ULL(VHOST_USER_PROTOCOL_F_STATUS) && s->dev_features_ok) {
		vhost_logf(s, "SET_PROTOCOL_FEATURES switches STATUS after SET_FEATURES");
		return -EBUSY;
	}
	s->proto = p;
	return 0;
}

static void kick_live_rings(struct vhost_session *s)
{
	for (unsigned i = 0; i < s->nrings; i++)
		if (s->rings[i].live)
			s->ops->kick_vq(s->dev, i);
}

static int h_set_status(struct vhost_session *s, const struct vhost_user_msg *m)
{
	uint8_t old, st;
	int err;

	if (!vhost_has_proto(s, VHOST_USER_PROTOCOL_F_STATUS)) {
		vhost_logf(s, "SET_STATUS without the STATUS protocol feature");
		return -EOPNOTSUPP;
	}
	if (m->p.u64 > 0xff) {
		vhost_logf(s, "SET_STATUS 0x%llx is not a status byte",
			   (unsigned long long)m->p.u64);
		return -EINVAL;
	}
	st = (uint8_t)m->p.u64;
	if (!st) {
		vhost_device_reset(s, true);
		return 0;
	}
	if (st & (UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK)) {
		if (!s->features_set) {
			vhost_logf(s, "SET_STATUS 0x%x before SET_FEATURES", st);
			return -EINVAL;
		}
		if (!s->dev_features_ok) {
			err = vhost_apply_features(s);
			if (err)
				return err;
		}
		st |= UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER;
	}
	err = vhost_rings_sync(s);
	if (err)
		return err;
	old = s->ops->get_status(s->dev);
	s->ops->set_status(s->dev, st);
	/* Kicks that came before DRIVER_OK found a device not running. */
	if ((st & UVDPA_STATUS_DRIVER_OK) && !(old & UVDPA_STATUS_DRIVER_OK))
		kick_live_rings(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* config space                                                        */
/* ------------------------------------------------------------------ */

static int config_check(struct vhost_session *s, const struct vhost_user_msg *m)
{
	const struct vhost_user_config *c = &m->p.config;
	size_t cfg_size = s->ops->get_config_size(s->dev);

	if (m->hdr.size < VHOST_USER_CONFIG_HDR_SIZE || c->size > VHOST_USER_MAX_CONFIG ||
	    m->hdr.size != VHOST_USER_CONFIG_HDR_SIZE + c->size) {
		vhost_logf(s, "%s: payload size %u does not match the config access",
			   vhost_user_request_name(m->hdr.request), m->hdr.size);
		return -EINVAL;
	}
	if (c->offset > cfg_size || c->size > cfg_size - c->offset) {
		vhost_logf(s, "%s: offset %u size %u outside the %zu-byte config space",
			   vhost_user_request_name(m->hdr.request), c->offset, c->size, cfg_size);
		return -EINVAL;
	}
	return 0;
}

static void h_get_config(struct vhost_session *s, const struct vhost_user_msg *m,
			 struct vhost_user_msg *reply)
{
	const struct vhost_user_config *c = &m->p.config;

	/* The spec's error answer is an empty payload. */
	reply->hdr.size = 0;
	if (config_check(s, m))
		return;
	reply->p.config.offset = c->offset;
	reply->p.config.size = c->size;
	reply->p.config.flags = c->flags;
	/* Straight to the op: the uvdpa_device_get_config helper would
	 * negotiate features 0 behind the front end's back. */
	s->ops->get_config(s->dev, c->offset, reply->p.config.region, c->size);
	reply->hdr.size = VHOST_USER_CONFIG_HDR_SIZE + c->size;
}

static int h_set_config(struct vhost_session *s, const struct vhost_user_msg *m)
{
	const struct vhost_user_config *c = &m->p.config;
	int err = config_check(s, m);

	if (err)
		return err;
	if (c->flags > 1) {
		vhost_logf(s, "SET_CONFIG with unknown flags 0x%x", c->flags);
		return -EINVAL;
	}
	/* Which fields are writable is the device's business (virtio: only
	 * the driver-writable ones take effect). */
	s->ops->set_config(s->dev, c->offset, c->region, c->size);
	return 0;
}

/* ------------------------------------------------------------------ */
/* resets                                                              */
/* ------------------------------------------------------------------ */

/* RESET_DEVICE (and the deprecated RESET_OWNER): rings and negotiation go,
 * the connection, its protocol features and the memory table stay. */
static void reset_device_state(struct vhost_session *s)
{
	vhost_device_reset(s, false);
	vhost_rings_reset(s);
	vhost_inflight_clear(s);
	s->features = 0;
	s->features_set = false;
	s->mtu = 0;
}

void vhost_session_reset(struct vhost_session *s)
{
	reset_device_state(s);
	vhost_memtable_clear(s);
	vhost_relay_close(s);
	atomic_store(&s->fault.faulted, 0);
	if (s->forced_poll && s->ops->set_poll_mode)
		s->ops->set_poll_mode(s->dev, s->dev->poll_default);
	s->forced_poll = false;
	s->proto = 0;
	vhost_backend_close(s);
}

/* ------------------------------------------------------------------ */
/* the request table                                                   */
/* ------------------------------------------------------------------ */

static void reply_u64(struct vhost_user_msg *reply, uint64_t v)
{
	reply->p.u64 = v;
	reply->hdr.size = sizeof(uint64_t);
}

/* Every handler has this shape: fds it keeps are set to -1, the rest are
 * closed by the caller; reply is filled when the request has its own. */
typedef int vhost_handler(struct vhost_session *s, const struct vhost_user_msg *m,
			  int *fds, unsigned nfds, struct vhost_user_msg *reply);

#define UNUSED_ARGS (void)fds; (void)nfds; (void)reply

static int h_get_features(struct vhost_session *s, const struct vhost_user_msg *m,
			  int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; UNUSED_ARGS;
	reply_u64(reply, s->offered);
	return 0;
}

static int h_get_protocol_features(struct vhost_session *s, const struct vhost_user_msg *m,
				   int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; UNUSED_ARGS;
	reply_u64(reply, s->offered_proto);
	return 0;
}

static int h_set_owner(struct vhost_session *s, const struct vhost_user_msg *m,
		       int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)s; (void)m; UNUSED_ARGS;
	return 0;
}

static int h_reset(struct vhost_session *s, const struct vhost_user_msg *m,
		   int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; UNUSED_ARGS;
	reset_device_state(s);
	return 0;
}

static int h_get_queue_num(struct vhost_session *s, const struct vhost_user_msg *m,
			   int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; UNUSED_ARGS;
	/* net counts queue pairs, everything else queues */
	reply_u64(reply, s->is_net ? s->nrings / 2 : s->nrings);
	return 0;
}

static int h_get_max_mem_slots(struct vhost_session *s, const struct vhost_user_msg *m,
			       int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)s; (void)m; UNUSED_ARGS;
	reply_u64(reply, VHOST_MEM_MAX_SLOTS);
	return 0;
}

static int h_get_status(struct vhost_session *s, const struct vhost_user_msg *m,
			int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; UNUSED_ARGS;
	reply_u64(reply, s->ops->get_status(s->dev));
	return 0;
}

static int h_net_set_mtu(struct vhost_session *s, const struct vhost_user_msg *m,
			 int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	UNUSED_ARGS;
	if (!s->is_net || m->p.u64 < 68 || m->p.u64 > 65535) {
		vhost_logf(s, "NET_SET_MTU: %llu refused (%s)", (unsigned long long)m->p.u64,
			   s->is_net ? "not 68..65535" : "not a net device");
		return -EINVAL;
	}
	s->mtu = (uint16_t)m->p.u64;
	return 0;
}

/* Adapters from the table's shape to the handlers that need less. */
#define ADAPT(name, call)                                                        \
	static int name(struct vhost_session *s, const struct vhost_user_msg *m,    \
			int *fds, unsigned nfds, struct vhost_user_msg *reply)      \
	{                                                                        \
		UNUSED_ARGS;                                                     \
		return call;                                                     \
	}
ADAPT(a_set_features, h_set_features(s, m))
ADAPT(a_set_protocol_features, h_set_protocol_features(s, m))
ADAPT(a_set_status, h_set_status(s, m))
ADAPT(a_set_config, h_set_config(s, m))
ADAPT(a_get_config, (h_get_config(s, m, reply), 0))
ADAPT(a_vring_num, vhost_h_vring_num(s, m))
ADAPT(a_vring_addr, vhost_h_vring_addr(s, m))
ADAPT(a_vring_base, vhost_h_vring_base(s, m))
ADAPT(a_get_vring_base, vhost_h_get_vring_base(s, m, reply))
ADAPT(a_vring_enable, vhost_h_vring_enable(s, m))
ADAPT(a_get_inflight_fd, (vhost_h_get_inflight_fd(s, m, reply), 0))
#undef ADAPT

static int a_vring_fd(struct vhost_session *s, const struct vhost_user_msg *m,
		      int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)reply;
	return vhost_h_vring_fd(s, m, fds, nfds);
}

static int a_set_mem_table(struct vhost_session *s, const struct vhost_user_msg *m,
			   int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)reply;
	return vhost_h_set_mem_table(s, m, fds, nfds);
}

static int a_add_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			 int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)reply;
	return vhost_h_add_mem_reg(s, m, fds, nfds);
}

static int a_rem_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			 int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)reply;
	return vhost_h_rem_mem_reg(s, m, fds, nfds);
}

static int a_set_backend_req_fd(struct vhost_session *s, const struct vhost_user_msg *m,
				int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)m; (void)reply;
	return vhost_h_set_backend_req_fd(s, fds, nfds);
}

static int a_set_inflight_fd(struct vhost_session *s, const struct vhost_user_msg *m,
			     int *fds, unsigned nfds, struct vhost_user_msg *reply)
{
	(void)reply;
	return vhost_h_set_inflight_fd(s, m, fds, nfds);
}

#define SZ_NONE  UINT32_MAX        /* no payload: whatever comes is ignored */
#define SZ_VAR   (UINT32_MAX - 1)  /* checked by the handler */

/*
 * One entry per request: its name, payload size rule, how many fds it may
 * carry, whether it answers even without NEED_REPLY, and its handler. A
 * request with a name and no handler is known but not served.
 */
struct vhost_req {
	const char *name;
	uint32_t size;          /* exact payload size, or SZ_NONE / SZ_VAR */
	uint8_t max_fds;
	bool has_reply;
	vhost_handler *handle;
};

#define REQ(r, sz, nfd, rep, h) \
	[VHOST_USER_##r] = { #r, sz, nfd, rep, h }
#define KNOWN(r) [VHOST_USER_##r] = { #r, 0, 0, false, NULL }

static const struct vhost_req reqs[] = {
	REQ(GET_FEATURES, SZ_NONE, 0, true, h_get_features),
	REQ(SET_FEATURES, 8, 0, false, a_set_features),
	REQ(SET_OWNER, SZ_NONE, 0, false, h_set_owner),
	REQ(RESET_OWNER, SZ_NONE, 0, false, h_reset),
	REQ(SET_MEM_TABLE, SZ_VAR, VHOST_USER_MEM_TABLE_MAX, false, a_set_mem_table),
	KNOWN(SET_LOG_BASE),
	KNOWN(SET_LOG_FD),
	REQ(SET_VRING_NUM, 8, 0, false, a_vring_num),
	REQ(SET_VRING_ADDR, sizeof(struct vhost_vring_addr), 0, false, a_vring_addr),
	REQ(SET_VRING_BASE, 8, 0, false, a_vring_base),
	REQ(GET_VRING_BASE, 8, 0, true, a_get_vring_base),
	REQ(SET_VRING_KICK, 8, 1, false, a_vring_fd),
	REQ(SET_VRING_CALL, 8, 1, false, a_vring_fd),
	REQ(SET_VRING_ERR, 8, 1, false, a_vring_fd),
	REQ(GET_PROTOCOL_FEATURES, SZ_NONE, 0, true, h_get_protocol_features),
	REQ(SET_PROTOCOL_FEATURES, 8, 0, false, a_set_protocol_features),
	REQ(GET_QUEUE_NUM, SZ_NONE, 0, true, h_get_queue_num),
	REQ(SET_VRING_ENABLE, 8, 0, false, a_vring_enable),
	KNOWN(SEND_RARP),
	REQ(NET_SET_MTU, 8, 0, false, h_net_set_mtu),
	REQ(SET_BACKEND_REQ_FD, SZ_NONE, 1, false, a_set_backend_req_fd),
	KNOWN(IOTLB_MSG),
	KNOWN(SET_VRING_ENDIAN),
	REQ(GET_CONFIG, SZ_VAR, 0, true, a_get_config),
	REQ(SET_CONFIG, SZ_VAR, 0, false, a_set_config),
	KNOWN(CREATE_CRYPTO_SESSION),
	KNOWN(CLOSE_CRYPTO_SESSION),
	KNOWN(POSTCOPY_ADVISE),
	KNOWN(POSTCOPY_LISTEN),
	KNOWN(POSTCOPY_END),
	REQ(GET_INFLIGHT_FD, sizeof(struct vhost_user_inflight), 0, true, a_get_inflight_fd),
	REQ(SET_INFLIGHT_FD, sizeof(struct vhost_user_inflight), 1, false, a_set_inflight_fd),
	KNOWN(GPU_SET_SOCKET),
	REQ(RESET_DEVICE, SZ_NONE, 0, false, h_reset),
	KNOWN(VRING_KICK),
	REQ(GET_MAX_MEM_SLOTS, SZ_NONE, 0, true, h_get_max_mem_slots),
	REQ(ADD_MEM_REG, sizeof(struct vhost_user_mem_reg), 1, false, a_add_mem_reg),
	/* The spec lets old front ends pass an fd with REM_MEM_REG: closed unused. */
	REQ(REM_MEM_REG, sizeof(struct vhost_user_mem_reg), 1, false, a_rem_mem_reg),
	REQ(SET_STATUS, 8, 0, false, a_set_status),
	REQ(GET_STATUS, SZ_NONE, 0, true, h_get_status),
};

#undef REQ
#undef KNOWN

const char *vhost_user_request_name(uint32_t request)
{
	if (request < ARRAY_SIZE(reqs) && reqs[request].name)
		return reqs[request].name;
	return "UNKNOWN";
}

/* The entry of a request this session serves, or NULL. A device that does
 * not offer inflight tracking (net) answers its messages as unknown ones. */
static const struct vhost_req *req_of(const struct vhost_session *s, uint32_t req)
{
	if (req >= ARRAY_SIZE(reqs) || !reqs[req].handle)
		return NULL;
	if ((req == VHOST_USER_GET_INFLIGHT_FD || req == VHOST_USER_SET_INFLIGHT_FD) &&
	    !vhost_inflight_offered(s))
		return NULL;
	return &reqs[req];
}

static int check_req(struct vhost_session *s, const struct vhost_user_msg *m, unsigned nfds)
{
	uint32_t req = m->hdr.request;
	const struct vhost_req *r = req_of(s, req);

	if (!r) {
		vhost_logf(s, "request %u (%s) is not supported%s", req,
			   vhost_user_request_name(req),
			   req < ARRAY_SIZE(reqs) && reqs[req].handle ?
			   " by this device" : "");
		return -EOPNOTSUPP;
	}
	if (r->size != SZ_NONE && r->size != SZ_VAR && m->hdr.size != r->size) {
		vhost_logf(s, "%s: payload of %u bytes, expected %u",
			   r->name, m->hdr.size, r->size);
		return -EINVAL;
	}
	if (nfds > r->max_fds) {
		vhost_logf(s, "%s: %u fds, at most %u allowed", r->name, nfds, r->max_fds);
		return -EINVAL;
	}
	return 0;
}

int vhost_session_handle(struct vhost_session *s, const struct vhost_user_msg *m,
			 int *fds, unsigned nfds, struct vhost_user_msg *reply,
			 bool *has_reply)
{
	uint32_t req = m->hdr.request;
	const struct vhost_req *r = req_of(s, req);
	bool own_reply = r && r->has_reply;
	bool ack = (m->hdr.flags & VHOST_USER_NEED_REPLY) &&
		   vhost_has_proto(s, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	int err;

	*has_reply = false;
	memset(&reply->hdr, 0, sizeof(reply->hdr));
	s->reply_fd = -1;
	if ((m->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (m->hdr.flags & VHOST_USER_REPLY) || m->hdr.size > VHOST_USER_MAX_PAYLOAD) {
		vhost_logf(s, "malformed header for request %u (%s): flags 0x%x (want version "
			   "%u, no reply bit), payload %u bytes (at most %zu)", req,
			   vhost_user_request_name(req), m->hdr.flags, VHOST_USER_VERSION,
			   m->hdr.size, (size_t)VHOST_USER_MAX_PAYLOAD);
		err = -EPROTO;
		goto out;
	}
	err = check_req(s, m, nfds);
	if (!err)
		err = r->handle(s, m, fds, nfds, reply);
	if (err)
		vhost_logf(s, "%s failed: %s", vhost_user_request_name(req), strerror(-err));
out:
	/* Whatever the handler did not keep is closed here. */
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	reply->hdr.request = req;
	reply->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
	if (err == -EPROTO || (err && (own_reply || !ack)))
		return err;
	if (own_reply) {
		*has_reply = true;
	} else if (ack) {
		reply_u64(reply, err ? (uint64_t)-err : 0);
		*has_reply = true;
	}
	return 0;
}

void vhost_session_set_wake_fd(struct vhost_session *s, int fd)
{
	s->fault.wake_fd = fd;
	if (fd >= 0 && s->cfg_fd < 0) {
		/* Without it a stopped queue would go unnoticed: a failed
		 * eventfd only costs that early drop, so it is logged, not fatal. */
		s->cfg_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->cfg_fd < 0)
			vhost_logf(s, "no eventfd for config interrupts: %s", strerror(errno));
	} else if (fd < 0 && s->cfg_fd >= 0) {
		/* The reset before this cleared the device's config callback. */
		close(s->cfg_fd);
		s->cfg_fd = -1;
	}
}

int vhost_session_config_fd(const struct vhost_session *s)
{
	return s->cfg_fd;
}

bool vhost_session_needs_reset(struct vhost_session *s)
{
	uint64_t v;

	if (s->cfg_fd >= 0 && read(s->cfg_fd, &v, sizeof(v)) < 0) {
		/* nothing pending: the status says what happened */
	}
	return s->ops->get_status(s->dev) & UVDPA_STATUS_NEEDS_RESET;
}

bool vhost_session_faulted(const struct vhost_session *s)
{
	return atomic_load(&s->fault.faulted);
}

int vhost_session_reply_fd(const struct vhost_session *s)
{
	return s->reply_fd;
}

/* ------------------------------------------------------------------ */
/* lifetime                                                            */
/* ------------------------------------------------------------------ */

static uint64_t offered_protocol(const struct vhost_session *s)
{
	uint64_t p = BIT_ULL(VHOST_USER_PROTOCOL_F_MQ) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_CONFIG) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_STATUS) |
		     BIT_ULL(VHOST_USER_PROTOCOL_F_BACKEND_REQ);

	if (s->is_net)
		p |= BIT_ULL(VHOST_USER_PROTOCOL_F_NET_MTU);
	if (vhost_inflight_offered(s))
		p |= BIT_ULL(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD);
	return p;
}

struct vhost_session *vhost_session_new(struct uvdpa_device *dev, vhost_log_fn log,
					void *log_opaque)
{
	struct vhost_session *s = calloc(1, sizeof(*s));
	unsigned nvqs = dev->nvqs;

	if (!s)
		return NULL;
	s->dev = dev;
	s->ops = dev->ops;
	s->log = log;
	s->log_opaque = log_opaque;
	s->inflight.fd = -1;
	s->inflight.fault_slot = -1;
	s->reply_fd = -1;
	s->kick_ep = -1;
	s->fault.wake_fd = -1;
	s->cfg_fd = -1;
	s->backend_fd = -1;
	s->is_net = s->ops->get_device_id(dev) == VIRTIO_ID_NET;
	/* A net device's odd last queue is its control queue, which vhost-user
	 * front ends (QEMU, virtio-user) emulate themselves. Ring indexes are 8
	 * bits in the fd messages. */
	s->nrings = s->is_net ? (nvqs & ~1u) : nvqs;
	if (s->nrings > 256)
		s->nrings = 256;
	s->offered = (s->ops->get_device_features(dev) & ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)) |
		     BIT_ULL(VHOST_USER_F_PROTOCOL_FEATURES);
	s->offered_proto = offered_protocol(s);
	s->rings = calloc(s->nrings ? s->nrings : 1, sizeof(*s->rings));
	if (!s->rings) {
		free(s);
		return NULL;
	}
	vhost_rings_init(s);
	dev->face_translates = true;
	return s;
}

void vhost_session_free(struct vhost_session *s)
{
	if (!s)
		return;
	vhost_session_reset(s);
	s->dev->face_translates = false;
	free(s->rings);
	free(s);
}
