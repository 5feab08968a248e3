// SPDX-License-Identifier: MIT
/*
 * vhost-user rings onto device virtqueues.
 *
 * The session keeps the front end's view of every ring (size, addresses,
 * base, eventfds, started, enabled) and hands a ring to the device only when
 * it is started and enabled and the device holds the negotiated features:
 * then the whole configuration is pushed (num, addresses, state, call fd,
 * kick fd) and the queue made ready, as a virtio driver would. Taking it
 * away reads its state back into base, which is what GET_VRING_BASE answers.
 * Ring index i is device virtqueue i (net: 2k = rx k, 2k+1 = tx k).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "vhost_session_priv.h"

static bool is_packed(const struct vhost_session *s)
{
	return s->features & BIT_ULL(VIRTIO_F_RING_PACKED);
}

/* GET/SET_VRING_BASE encoding: split = avail idx; packed = avail idx (0-14),
 * driver wrap (15), used idx (16-30), device wrap (31). */
static uint32_t state_encode(bool packed, const struct uvdpa_vq_state *st)
{
	if (!packed)
		return st->split.avail_index;
	return (uint32_t)st->packed.last_avail_idx |
	       (uint32_t)st->packed.last_avail_counter << 15 |
	       (uint32_t)st->packed.last_used_idx << 16 |
	       (uint32_t)st->packed.last_used_counter << 31;
}

static int state_decode(bool packed, uint32_t base, uint32_t num, struct uvdpa_vq_state *st)
{
	memset(st, 0, sizeof(*st));
	if (!packed) {
		if (base > 0xffff)
			return -EINVAL;
		st->split.avail_index = (uint16_t)base;
		return 0;
	}
	st->packed.last_avail_idx = base & 0x7fff;
	st->packed.last_avail_counter = (base >> 15) & 1;
	/* DPDK virtio-user sends only the avail half and means "nothing in
	 * flight" (DPDK's back end sets used = avail); a zero used half with
	 * the used wrap counter 0 cannot describe a quiescent ring otherwise. */
	if (!(base >> 16))
		base |= (base & 0xffff) << 16;
	st->packed.last_used_idx = (base >> 16) & 0x7fff;
	st->packed.last_used_counter = (base >> 31) & 1;
	if (st->packed.last_avail_idx >= num || st->packed.last_used_idx >= num)
		return -EINVAL;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct vhost_ring *get_ring(struct vhost_session *s, uint32_t idx, uint32_t req)
{
	if (idx >= s->nrings) {
		vhost_logf(s, "%s: ring %u does not exist (the device has %u)",
			   vhost_user_request_name(req), idx, s->nrings);
		return NULL;
	}
	return &s->rings[idx];
}

void vhost_rings_init(struct vhost_session *s)
{
	for (unsigned i = 0; i < s->nrings; i++) {
		struct vhost_ring *r = &s->rings[i];

		memset(r, 0, sizeof(*r));
		r->kick_fd = r->call_fd = r->err_fd = -1;
	}
}

bool vhost_any_ring_live(const struct vhost_session *s)
{
	for (unsigned i = 0; i < s->nrings; i++)
		if (s->rings[i].live)
			return true;
	return false;
}

void vhost_rings_enable_all(struct vhost_session *s)
{
	for (unsigned i = 0; i < s->nrings; i++)
		s->rings[i].enabled = true;
}

void vhost_ring_halt(struct vhost_session *s, unsigned i, bool save)
{
	struct vhost_ring *r = &s->rings[i];
	struct uvdpa_callback no_cb = { .trigger_fd = -1 };
	struct uvdpa_vq_state st;

	/* Not ready first: the worker is then off the ring and its state final. */
	s->ops->set_vq_ready(s->dev, i, false);
	memset(&st, 0, sizeof(st));
	if (save && !s->ops->get_vq_state(s->dev, i, &st))
		r->base = state_encode(is_packed(s), &st);
	if (s->ops->set_vq_kick_fd)
		s->ops->set_vq_kick_fd(s->dev, i, -1);
	/* The call fd may be closed or replaced while the ring is down. */
	s->ops->set_vq_cb(s->dev, i, &no_cb);
	r->live = false;
}

static int ring_start(struct vhost_session *s, unsigned i)
{
	struct vhost_ring *r = &s->rings[i];
	struct uvdpa_callback cb = { .trigger_fd = r->call_fd };
	struct uvdpa_vq_state st;
	bool packed = is_packed(s);
	uint8_t status;
	int err;

	if (!packed && (r->num & (r->num - 1))) {
		vhost_logf(s, "ring %u: split ring size %u is not a power of 2", i, r->num);
		return -EINVAL;
	}
	if (state_decode(packed, r->base, r->num, &st)) {
		vhost_logf(s, "ring %u: base 0x%x is not a valid %s ring state", i, r->base,
			   packed ? "packed" : "split");
		return -EINVAL;
	}
	s->ops->set_vq_num(s->dev, i, r->num);
	err = s->ops->set_vq_address(s->dev, i, r->desc, r->driver, r->device);
	if (!err)
		err = s->ops->set_vq_state(s->dev, i, &st);
	if (err) {
		vhost_logf(s, "ring %u: device refused its address or state: %s", i, strerror(-err));
		return err;
	}
	s->ops->set_vq_cb(s->dev, i, &cb);
	if (s->ops->set_vq_kick_fd) {
		err = s->ops->set_vq_kick_fd(s->dev, i, r->kick_fd);
		if (err) {
			vhost_logf(s, "ring %u: device refused the kick fd: %s", i, strerror(-err));
			return err;
		}
	}
	/* before ready: making the queue ready replays what the region holds */
	err = vhost_inflight_attach(s, i);
	if (err)
		return err;
	s->ops->set_vq_ready(s->dev, i, true);
	r->live = true;
	if (!s->ops->get_vq_ready(s->dev, i)) {
		vhost_logf(s, "ring %u: device did not make the queue ready "
			   "(ring outside the memory table?)", i);
		vhost_ring_halt(s, i, false);
		return -EINVAL;
	}
	status = s->ops->get_status(s->dev);
	if (!vhost_has_proto(s, VHOST_USER_PROTOCOL_F_STATUS) &&
	    !(status & UVDPA_STATUS_DRIVER_OK))
		s->ops->set_status(s->dev, status | UVDPA_STATUS_DRIVER_OK);
	/* Buffers may have been made available before the device listened. */
	s->ops->kick_vq(s->dev, i);
	return 0;
}

int vhost_ring_sync(struct vhost_session *s, unsigned i)
{
	struct vhost_ring *r = &s->rings[i];
	bool want = r->started && r->enabled && s->dev_features_ok &&
		    r->num_set && r->addr_set;

	if (want == r->live)
		return 0;
	if (!want) {
		vhost_ring_halt(s, i, true);
		return 0;
	}
	return ring_start(s, i);
}

int vhost_rings_sync(struct vhost_session *s)
{
	int ret = 0;

	for (unsigned i = 0; i < s->nrings; i++) {
		int err = vhost_ring_sync(s, i);

		if (err && !ret)
			ret = err;
	}
	return ret;
}

void vhost_rings_reset(struct vhost_session *s)
{
	for (unsigned i = 0; i < s->nrings; i++) {
		struct vhost_ring *r = &s->rings[i];

		if (r->live)
			vhost_ring_halt(s, i, false);
		close_fd(&r->kick_fd);
		close_fd(&r->call_fd);
		close_fd(&r->err_fd);
	}
	vhost_rings_init(s);
}

/* ------------------------------------------------------------------ */
/* messages                                                            */
/* ------------------------------------------------------------------ */

static struct vhost_ring *idle_ring(struct vhost_session *s, uint32_t idx, uint32_t req)
{
	struct vhost_ring *r = get_ring(s, idx, req);

	if (r && r->live) {
		vhost_logf(s, "%s: ring %u is running (GET_VRING_BASE stops it)",
			   vhost_user_request_name(req), idx);
		return NULL;
	}
	return r;
}

int vhost_h_vring_num(struct vhost_session *s, const struct vhost_user_msg *m)
{
	struct vhost_ring *r = idle_ring(s, m->p.state.index, m->hdr.request);
	uint32_t num = m->p.state.num;
	uint32_t max = s->ops->get_vq_num_max(s->dev);

	if (!r)
		return -EINVAL;
	if (!num || num > max) {
		vhost_logf(s, "SET_VRING_NUM: size %u for ring %u, the device takes 1..%u",
			   num, m->p.state.index, max);
		return -EINVAL;
	}
	if (s->features_set && !is_packed(s) && (num & (num - 1))) {
		vhost_logf(s, "SET_VRING_NUM: split ring size %u is not a power of 2", num);
		return -EINVAL;
	}
	r->num = num;
	r->num_set = true;
	return 0;
}

static int va_to_gpa(struct vhost_session *s, unsigned idx, const char *what,
		     uint64_t va, uint64_t *gpa)
{
	if (vhost_mem_va_to_gpa(&s->mem, va, gpa))
		return 0;
	vhost_logf(s, "SET_VRING_ADDR: ring %u %s address 0x%llx is in no memory region%s",
		   idx, what, (unsigned long long)va,
		   s->mem.n ? "" : " (no SET_MEM_TABLE yet)");
	return -EINVAL;
}

int vhost_h_vring_addr(struct vhost_session *s, const struct vhost_user_msg *m)
{
	const struct vhost_vring_addr *a = &m->p.addr;
	struct vhost_ring *r = idle_ring(s, a->index, m->hdr.request);
	uint64_t desc, avail, used;

	if (!r)
		return -EINVAL;
	if (a->flags & (1u << VHOST_VRING_F_LOG)) {
		vhost_logf(s, "SET_VRING_ADDR: dirty logging is not supported");
		return -EOPNOTSUPP;
	}
	/* Ring addresses are the front end's virtual addresses, the device
	 * speaks guest physical ones (like the descriptors do). */
	if (va_to_gpa(s, a->index, "descriptor", a->desc_user_addr, &desc) ||
	    va_to_gpa(s, a->index, "avail", a->avail_user_addr, &avail) ||
	    va_to_gpa(s, a->index, "used", a->used_user_addr, &used))
		return -EINVAL;
	r->desc = desc;
	r->driver = avail;
	r->device = used;
	r->addr_set = true;
	return 0;
}

int vhost_h_vring_base(struct vhost_session *s, const struct vhost_user_msg *m)
{
	struct vhost_ring *r = idle_ring(s, m->p.state.index, m->hdr.request);

	if (!r)
		return -EINVAL;
	if (s->features_set && !is_packed(s) && m->p.state.num > 0xffff) {
		vhost_logf(s, "SET_VRING_BASE: 0x%x is not a split ring index", m->p.state.num);
		return -EINVAL;
	}
	r->base = m->p.state.num;
	return 0;
}

int vhost_h_get_vring_base(struct vhost_session *s, const struct vhost_user_msg *m,
			   struct vhost_user_msg *reply)
{
	uint32_t idx = m->p.state.index;
	struct vhost_ring *r = get_ring(s, idx, m->hdr.request);

	if (!r)
		return -EINVAL;
	if (r->live)
		vhost_ring_halt(s, idx, true);
	/* Stopped: the next SET_VRING_KICK starts it again. */
	r->started = false;
	close_fd(&r->kick_fd);
	reply->p.state.index = idx;
	reply->p.state.num = r->base;
	reply->hdr.size = sizeof(reply->p.state);
	return 0;
}

static int set_kick(struct vhost_session *s, unsigned idx, int fd)
{
	struct vhost_ring *r = &s->rings[idx];
	int old = r->kick_fd;

	if (!r->num_set || !r->addr_set) {
		vhost_logf(s, "SET_VRING_KICK: ring %u has no %s yet", idx,
			   r->num_set ? "SET_VRING_ADDR" : "SET_VRING_NUM");
		return -EINVAL;
	}
	if (fd < 0) {
		/* "No fd" means: poll the ring. */
		if (!s->ops->set_poll_mode || s->ops->set_poll_mode(s->dev, UVDPA_POLL_ALWAYS)) {
			vhost_logf(s, "SET_VRING_KICK: ring %u without fd, and the device "
				   "cannot poll", idx);
			return -EOPNOTSUPP;
		}
		s->forced_poll = true;
	}
	r->kick_fd = fd;
	if (r->live && s->ops->set_vq_kick_fd)
		s->ops->set_vq_kick_fd(s->dev, idx, fd);
	if (old >= 0)
		close(old);
	r->started = true;
	return vhost_ring_sync(s, idx);
}

static void set_call(struct vhost_session *s, unsigned idx, int fd)
{
	struct vhost_ring *r = &s->rings[idx];
	struct uvdpa_callback cb = { .trigger_fd = fd };
	int old = r->call_fd;

	r->call_fd = fd;
	if (r->live)
		s->ops->set_vq_cb(s->dev, idx, &cb);
	if (old >= 0)
		close(old);
}

int vhost_h_vring_fd(struct vhost_session *s, const struct vhost_user_msg *m,
		     int *fds, unsigned nfds)
{
	uint64_t u = m->p.u64;
	uint32_t idx = u & VHOST_USER_VRING_IDX_MASK;
	bool nofd = u & VHOST_USER_VRING_NOFD;
	int fd;

	if (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD)) {
		vhost_logf(s, "%s: reserved bits set in 0x%llx",
			   vhost_user_request_name(m->hdr.request), (unsigned long long)u);
		return -EINVAL;
	}
	if (!get_ring(s, idx, m->hdr.request))
		return -EINVAL;
	if (nofd ? nfds != 0 : nfds != 1) {
		vhost_logf(s, "%s: %u fds with the no-fd flag %s",
			   vhost_user_request_name(m->hdr.request), nfds, nofd ? "set" : "clear");
		return -EINVAL;
	}
	fd = nofd ? -1 : fds[0];
	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK: {
		int err = set_kick(s, idx, fd);

		/* Kept (and owned by the ring) even if the device refused to start,
		 * unless it was refused before being stored. */
		if (!nofd && s->rings[idx].kick_fd == fd)
			fds[0] = -1;
		return err;
	}
	case VHOST_USER_SET_VRING_CALL:
		set_call(s, idx, fd);
		break;
	default:
		close_fd(&s->rings[idx].err_fd);
		s->rings[idx].err_fd = fd;
		break;
	}
	if (!nofd)
		fds[0] = -1;
	return 0;
}

int vhost_h_vring_enable(struct vhost_session *s, const struct vhost_user_msg *m)
{
	struct vhost_ring *r = get_ring(s, m->p.state.index, m->hdr.request);

	if (!r)
		return -EINVAL;
	if (m->p.state.num > 1) {
		vhost_logf(s, "SET_VRING_ENABLE: %u is neither 0 nor 1", m->p.state.num);
		return -EINVAL;
	}
	r->enabled = m->p.state.num;
	return vhost_ring_sync(s, m->p.state.index);
}

/* ------------------------------------------------------------------ */
/* kick relay                                                          */
/* ------------------------------------------------------------------ */

unsigned vhost_session_kick_fds(struct vhost_session *s, struct pollfd *pfd,
				unsigned max, uint16_t *ring)
{
	unsigned n = 0;

	if (s->ops->set_vq_kick_fd)
		return 0;
	for (unsigned i = 0; i < s->nrings && n < max; i++) {
		if (!s->rings[i].live || s->rings[i].kick_fd < 0)
			continue;
		pfd[n].fd = s->rings[i].kick_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		ring[n++] = (uint16_t)i;
	}
	return n;
}

void vhost_session_relay_kick(struct vhost_session *s, uint16_t ring)
{
	uint64_t v;

	if (ring >= s->nrings || !s->rings[ring].live || s->rings[ring].kick_fd < 0)
		return;
	if (read(s->rings[ring].kick_fd, &v, sizeof(v)) != sizeof(v))
		return;
	s->ops->kick_vq(s->dev, ring);
}
