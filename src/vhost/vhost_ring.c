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
#include <sys/epoll.h>
#include <linux/virtio_config.h>

#include "vhost_fdcheck.h"
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

/* ---- kick relay, for devices that cannot wait on kick fds themselves ----
 * Kick eventfds are registered edge-triggered and never read, as the
 * kernel's vhost does: every eventfd write is a new edge, and nothing here
 * can block or spin on an fd the front end controls. */

static bool relays_kicks(const struct vhost_session *s)
{
	return !s->ops->set_vq_kick_fd;
}

static void relay_add(struct vhost_session *s, unsigned i)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = i };
	int fd = s->rings[i].kick_fd;

	if (!relays_kicks(s) || fd < 0)
		return;
	if (s->kick_ep < 0)
		s->kick_ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->kick_ep < 0 || epoll_ctl(s->kick_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		vhost_logf(s, "ring %u: cannot watch its kick fd: %s", i, strerror(errno));
}

/* Before the fd is closed: the registration would outlive our fd number
 * while the front end holds the same eventfd. */
static void relay_del(struct vhost_session *s, unsigned i)
{
	int fd = s->rings[i].kick_fd;

	if (relays_kicks(s) && s->kick_ep >= 0 && fd >= 0)
		epoll_ctl(s->kick_ep, EPOLL_CTL_DEL, fd, NULL);
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
	relay_del(s, i);
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
	/* Again at each start: a reset (SET_STATUS 0, RESET_DEVICE) clears it. */
	if (s->cfg_fd >= 0 && s->ops->set_config_cb) {
		struct uvdpa_callback ccb = { .trigger_fd = s->cfg_fd };

		s->ops->set_config_cb(s->dev, &ccb);
	}
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
	relay_add(s, i);
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
	/* A back end that died between publishing used entries and signalling
	 * them left the driver waiting for an interrupt that never comes: one
	 * spurious call after a reconnect (an inflight area handed back) makes
	 * it look at the used ring. */
	if (s->inflight.map && r->call_fd >= 0) {
		uint64_t one = 1;

		if (write(r->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			vhost_logf(s, "ring %u: call fd: %s", i, strerror(errno));
	}
	return 0;
}

int vhost_ring_sync(struct vhost_session *s, unsigned i)
{
	struct vhost_ring *r = &s->rings[i];
	bool want = r->started && r->enabled && s->dev_features_ok &&
		    r->num_set && r->addr_set && r->addr_mapped;

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
		vhost_logf(s, "SET_VRING_NUM: ring %u: split ring size %u is not a power "
			   "of 2", m->p.state.index, num);
		return -EINVAL;
	}
	r->num = num;
	r->num_set = true;
	return 0;
}

/* The ring's GPAs from its front-end addresses; NULL, or the name of the
 * first address that is in no region. */
static const char *ring_translate(const struct vhost_mem *mem, struct vhost_ring *r,
				  uint64_t *bad)
{
	*bad = r->desc_va;
	if (!vhost_mem_va_to_gpa(mem, r->desc_va, &r->desc))
		return "descriptor";
	*bad = r->driver_va;
	if (!vhost_mem_va_to_gpa(mem, r->driver_va, &r->driver))
		return "avail";
	*bad = r->device_va;
	if (!vhost_mem_va_to_gpa(mem, r->device_va, &r->device))
		return "used";
	return NULL;
}

int vhost_h_vring_addr(struct vhost_session *s, const struct vhost_user_msg *m)
{
	const struct vhost_vring_addr *a = &m->p.addr;
	struct vhost_ring *r = idle_ring(s, a->index, m->hdr.request);
	struct vhost_ring next;
	const char *what;
	uint64_t bad;

	if (!r)
		return -EINVAL;
	if (a->flags & (1u << VHOST_VRING_F_LOG)) {
		vhost_logf(s, "SET_VRING_ADDR: ring %u: dirty logging is not supported", a->index);
		return -EOPNOTSUPP;
	}
	/* Ring addresses are the front end's virtual addresses, the device
	 * speaks guest physical ones (like the descriptors do). */
	next = *r;
	next.desc_va = a->desc_user_addr;
	next.driver_va = a->avail_user_addr;
	next.device_va = a->used_user_addr;
	what = ring_translate(&s->mem, &next, &bad);
	if (what) {
		vhost_logf(s, "SET_VRING_ADDR: ring %u %s address 0x%llx is in no memory region%s",
			   a->index, what, (unsigned long long)bad,
			   s->mem.n ? "" : " (no SET_MEM_TABLE yet)");
		return -EINVAL;
	}
	next.addr_set = next.addr_mapped = true;
	*r = next;
	return 0;
}

/* A ring whose memory left the table waits, stopped, for it to come back. */
static void ring_unmapped(struct vhost_session *s, unsigned i, const char *req,
			  const char *what, uint64_t bad)
{
	struct vhost_ring *r = &s->rings[i];

	if (r->live)
		vhost_ring_halt(s, i, true);
	if (r->addr_mapped)
		vhost_logf(s, "%s: ring %u stopped: its %s address 0x%llx is in no memory "
			   "region now", req, i, what, (unsigned long long)bad);
	r->addr_mapped = false;
}

void vhost_rings_halt_moving(struct vhost_session *s, const struct vhost_mem *next)
{
	for (unsigned i = 0; i < s->nrings; i++) {
		struct vhost_ring *r = &s->rings[i], moved = *r;
		uint64_t bad;

		if (!r->live)
			continue;
		if (ring_translate(next, &moved, &bad) || moved.desc != r->desc ||
		    moved.driver != r->driver || moved.device != r->device)
			vhost_ring_halt(s, i, true);
	}
}

int vhost_rings_retranslate(struct vhost_session *s, const char *req)
{
	int ret = 0;

	for (unsigned i = 0; i < s->nrings; i++) {
		struct vhost_ring *r = &s->rings[i], next = *r;
		const char *what;
		uint64_t bad;

		if (!r->addr_set)
			continue;
		what = ring_translate(&s->mem, &next, &bad);
		if (what) {
			ring_unmapped(s, i, req, what, bad);
			continue;
		}
		if (r->addr_mapped && next.desc == r->desc && next.driver == r->driver &&
		    next.device == r->device)
			continue;
		/* moved, or back: the device gets the ring at its new place */
		if (r->live)
			vhost_ring_halt(s, i, true);
		r->desc = next.desc;
		r->driver = next.driver;
		r->device = next.device;
		r->addr_mapped = true;
		if (vhost_ring_sync(s, i) && !ret)
			ret = -EINVAL;
	}
	return ret;
}

int vhost_h_vring_base(struct vhost_session *s, const struct vhost_user_msg *m)
{
	struct vhost_ring *r = idle_ring(s, m->p.state.index, m->hdr.request);

	if (!r)
		return -EINVAL;
	if (s->features_set && !is_packed(s) && m->p.state.num > 0xffff) {
		vhost_logf(s, "SET_VRING_BASE: ring %u: 0x%x is not a split ring index",
			   m->p.state.index, m->p.state.num);
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
	const char *why;

	if (!r->num_set || !r->addr_set) {
		vhost_logf(s, "SET_VRING_KICK: ring %u has no %s yet", idx,
			   r->num_set ? "SET_VRING_ADDR" : "SET_VRING_NUM");
		return -EINVAL;
	}
	if (fd >= 0 && vhost_fd_check_eventfd(fd, &why)) {
		vhost_logf(s, "SET_VRING_KICK: ring %u: kick fd refused: %s", idx, why);
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
	if (r->live)
		relay_del(s, idx);
	r->kick_fd = fd;
	if (r->live && s->ops->set_vq_kick_fd)
		s->ops->set_vq_kick_fd(s->dev, idx, fd);
	if (r->live)
		relay_add(s, idx);
	if (old >= 0)
		close(old);
	r->started = true;
	return vhost_ring_sync(s, idx);
}

static int set_call(struct vhost_session *s, unsigned idx, int fd)
{
	struct vhost_ring *r = &s->rings[idx];
	struct uvdpa_callback cb = { .trigger_fd = fd };
	int old = r->call_fd;
	const char *why;

	/* A pipe or socket would fill up and block the device's writer. */
	if (fd >= 0 && vhost_fd_check_eventfd(fd, &why)) {
		vhost_logf(s, "SET_VRING_CALL: ring %u: call fd refused: %s", idx, why);
		return -EINVAL;
	}
	/* The front end shares this file description and may clear the flag
	 * again: the device's write must not depend on it. */
	if (fd >= 0 && vhost_fd_set_nonblock(fd))
		vhost_logf(s, "SET_VRING_CALL: ring %u: cannot make the call fd non-blocking", idx);
	r->call_fd = fd;
	if (r->live)
		s->ops->set_vq_cb(s->dev, idx, &cb);
	if (old >= 0)
		close(old);
	return 0;
}

static int set_err(struct vhost_session *s, unsigned idx, int fd)
{
	const char *why;

	if (fd >= 0 && vhost_fd_check_eventfd(fd, &why)) {
		vhost_logf(s, "SET_VRING_ERR: ring %u: error fd refused: %s", idx, why);
		return -EINVAL;
	}
	close_fd(&s->rings[idx].err_fd);
	s->rings[idx].err_fd = fd;
	return 0;
}

int vhost_h_vring_fd(struct vhost_session *s, const struct vhost_user_msg *m,
		     int *fds, unsigned nfds)
{
	uint64_t u = m->p.u64;
	uint32_t idx = u & VHOST_USER_VRING_IDX_MASK;
	bool nofd = u & VHOST_USER_VRING_NOFD;
	int fd, err;

	if (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD)) {
		vhost_logf(s, "%s: reserved bits set in 0x%llx",
			   vhost_user_request_name(m->hdr.request), (unsigned long long)u);
		return -EINVAL;
	}
	if (!get_ring(s, idx, m->hdr.request))
		return -EINVAL;
	if (nofd ? nfds != 0 : nfds != 1) {
		vhost_logf(s, "%s: ring %u: %u fds with the no-fd flag %s",
			   vhost_user_request_name(m->hdr.request), idx, nfds,
			   nofd ? "set" : "clear");
		return -EINVAL;
	}
	fd = nofd ? -1 : fds[0];
	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		err = set_kick(s, idx, fd);
		/* Kept (and owned by the ring) even if the device refused to start,
		 * unless it was refused before being stored. */
		if (!nofd && s->rings[idx].kick_fd == fd)
			fds[0] = -1;
		return err;
	case VHOST_USER_SET_VRING_CALL:
		err = set_call(s, idx, fd);
		break;
	default:
		err = set_err(s, idx, fd);
		break;
	}
	if (!err && !nofd)
		fds[0] = -1;
	return err;
}

int vhost_h_vring_enable(struct vhost_session *s, const struct vhost_user_msg *m)
{
	struct vhost_ring *r = get_ring(s, m->p.state.index, m->hdr.request);

	if (!r)
		return -EINVAL;
	if (m->p.state.num > 1) {
		vhost_logf(s, "SET_VRING_ENABLE: ring %u: %u is neither 0 nor 1",
			   m->p.state.index, m->p.state.num);
		return -EINVAL;
	}
	r->enabled = m->p.state.num;
	return vhost_ring_sync(s, m->p.state.index);
}

/* ------------------------------------------------------------------ */
/* kick relay                                                          */
/* ------------------------------------------------------------------ */

int vhost_session_kick_fd(const struct vhost_session *s)
{
	return s->kick_ep;
}

void vhost_session_relay_kicks(struct vhost_session *s)
{
	struct epoll_event ev[32];
	int n;

	if (s->kick_ep < 0)
		return;
	n = epoll_wait(s->kick_ep, ev, 32, 0);
	for (int i = 0; i < n; i++) {
		uint32_t ring = ev[i].data.u32;

		if (ring < s->nrings && s->rings[ring].live)
			s->ops->kick_vq(s->dev, ring);
	}
}

void vhost_relay_close(struct vhost_session *s)
{
	if (s->kick_ep >= 0)
		close(s->kick_ep);
	s->kick_ep = -1;
}
