// SPDX-License-Identifier: MIT
/*
 * Device runtime (after the kernel's drivers/vdpa/vdpa_sim/vdpa_sim.c): the
 * device ops implemented once for every parent driver, and the worker
 * thread that runs the parent's work function.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "devices/runtime.h"

/* epoll tags: the control fd, the class' fd, our kick fds (vq index), the
 * caller's kick fds (with the fd number, to skip events of a replaced fd). */
#define TAG_CTL   UINT64_MAX
#define TAG_CLASS (UINT64_MAX - 1)
#define TAG_IRQ   (UINT64_MAX - 2)
#define TAG_EXT   (1ULL << 62)

/* Poll mode: how long the worker keeps polling an idle device. */
#define POLL_BUDGET_MIN_NS   20000ULL
#define POLL_BUDGET_MAX_NS 1000000ULL

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));

	(void)r;   /* EAGAIN: the counter is already non-zero, which is enough */
}

static void fd_drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v));

	(void)r;
}

static void cb_clear(struct uvdpa_callback *cb)
{
	cb->fn = NULL;
	cb->opaque = NULL;
	cb->trigger_fd = -1;
}

/* Mutex held, or the worker known to be running. */
static void wake(struct devrt *s)
{
	if (s->ctl_fd >= 0)
		fd_signal(s->ctl_fd);
}

void devrt_lock(struct devrt *s)
{
	atomic_fetch_add(&s->ctl_waiting, 1);
	pthread_mutex_lock(&s->mutex);
	atomic_fetch_sub(&s->ctl_waiting, 1);
}

void devrt_unlock(struct devrt *s)
{
	pthread_mutex_unlock(&s->mutex);
}

/*
 * Mutex held, before a trigger fd is replaced or cleared: waits until the
 * worker has submitted the writes it collected (it holds the fence while it
 * does, outside the mutex), so the caller may close the old fd once the op
 * returns. The worker cannot collect again while we hold the mutex.
 */
static void irq_fence(struct devrt *s)
{
	wake(s);   /* a worker trapped in a write gets out (runtime_irq.c) */
	pthread_mutex_lock(&s->fence);
	pthread_mutex_unlock(&s->fence);
}

/* Mutex held: a new trigger fd (or none) for queue vq or the config. */
static void vq_cb_set(struct devrt *s, struct devrt_vq *vq, const struct uvdpa_callback *cb)
{
	if (vq->cb.trigger_fd >= 0)
		irq_fence(s);
	vq->irq_seq++;
	if (cb)
		vq->cb = *cb;
	else
		cb_clear(&vq->cb);
}

static void config_cb_set(struct devrt *s, const struct uvdpa_callback *cb)
{
	if (s->config_cb.trigger_fd >= 0)
		irq_fence(s);
	s->config_irq_seq++;
	s->config_irq_due = false;
	if (cb)
		s->config_cb = *cb;
	else
		cb_clear(&s->config_cb);
}

/* Mutex held, on the worker: a function runs now; a trigger fd is written
 * once this pass is over and the mutex released. */
static void vq_interrupt(struct devrt *s, struct devrt_vq *vq)
{
	if (vq->cb.trigger_fd >= 0) {
		if (!vq->irq_due) {
			vq->irq_due = true;
			s->irq_due[s->irq_ndue++] = vq->idx;
		}
	} else if (vq->cb.fn) {
		vq->cb.fn(vq->cb.opaque);
	}
}

static struct devrt_vq *sim_vq(struct devrt *s, uint16_t idx)
{
	return idx < s->attr.nvqs ? &s->vqs[idx] : NULL;
}

/* Mutex held: the class completes what it has in flight (attr.quiesce);
 * a worker sends the interrupts those completions raised. */
static void sim_quiesce(struct devrt *s, int idx)
{
	if (!s->attr.quiesce)
		return;
	s->attr.quiesce(s, idx);
	if (s->irq_ndue)
		wake(s);
}

/* ------------------------------------------------------------------ */
/* Queue setup and datapath helpers                                    */
/* ------------------------------------------------------------------ */

/* Setting up a queue resets the engine: its inflight area is attached
 * again, and the record in it says where the queue really is. */
static int vq_attach_inflight(struct devrt_vq *vq)
{
	if (vq->resubmit_cap < vq->num) {
		struct uvdpa_vq_resubmit *n = realloc(vq->resubmit, vq->num * sizeof(*n));

		if (!n)
			return -ENOMEM;
		vq->resubmit = n;
		vq->resubmit_cap = vq->num;
	}
	return uvdpa_vq_dev_set_inflight(&vq->dev, vq->inflight, vq->inflight_len, vq->resubmit);
}

static int vq_setup(struct devrt *s, struct devrt_vq *vq)
{
	struct uvdpa_vq_layout l = {
		.num = (uint16_t)vq->num,
		.packed = devrt_has_feature(s, VIRTIO_F_RING_PACKED),
		.event_idx = devrt_has_feature(s, VIRTIO_RING_F_EVENT_IDX),
		.indirect = devrt_has_feature(s, VIRTIO_RING_F_INDIRECT_DESC),
		.in_order = devrt_has_feature(s, VIRTIO_F_IN_ORDER),
		.desc = vq->desc_addr,
		.driver = vq->driver_addr,
		.device = vq->device_addr,
	};
	int r;

	vq->set_up = false;
	if (vq->num == 0 || vq->num > UVDPA_VQ_MAX_NUM)
		return -EINVAL;
	r = uvdpa_vq_dev_setup(&vq->dev, &l, s->map, vq->has_state ? &vq->state : NULL);
	if (!r && vq->inflight)
		r = vq_attach_inflight(vq);
	if (r)
		return r;
	/* A front end back from a daemon that died: say what is replayed. */
	if (vq->dev.resubmit_n)
		fprintf(stderr, "uvdpa: %s: vq %u: resubmitting %u chains from the inflight area\n",
			s->vdev.name ? s->vdev.name : "vdpasim", vq->idx, vq->dev.resubmit_n);
	vq->set_up = true;
	if (s->kicks_off)
		uvdpa_vq_dev_disable_kicks(&vq->dev);
	return 0;
}

/* Where a queue restarts when it is not set up. */
static void vq_saved_state(struct devrt *s, struct devrt_vq *vq, struct uvdpa_vq_state *st)
{
	if (vq->has_state) {
		*st = vq->state;
		return;
	}
	memset(st, 0, sizeof(*st));
	if (devrt_has_feature(s, VIRTIO_F_RING_PACKED)) {
		st->packed.last_avail_counter = 1;
		st->packed.last_used_counter = 1;
	}
}

/* Remembers the engine's position so the queue can be set up again. */
static void vq_teardown(struct devrt_vq *vq)
{
	if (vq->set_up) {
		uvdpa_vq_dev_get_state(&vq->dev, &vq->state);
		vq->has_state = true;
	}
	vq->set_up = false;
}

/* Mutex held, on the worker or a control thread. */
void devrt_config_changed(struct devrt *s)
{
	if (s->config_cb.trigger_fd >= 0) {
		s->config_irq_due = true;   /* the worker writes it, now or when it starts */
		wake(s);
	} else if (s->config_cb.fn) {
		s->config_cb.fn(s->config_cb.opaque);
	}
}

unsigned devrt_cvq_work(struct devrt *s, struct devrt_vq *cvq, struct iovec *iov,
			  uint32_t iov_cap, devrt_cvq_fn *handle,
			  struct devrt_cvq_stats *st, bool *again)
{
	struct uvdpa_chain c;
	unsigned done;

	for (done = 0; done < VDPASIM_BURST; done++) {
		uint8_t ack = VIRTIO_NET_ERR;
		uint32_t written = 0;
		int r;

		memset(&c, 0, sizeof(c));
		c.iov = iov;
		c.iov_cap = iov_cap;
		r = devrt_pop(s, cvq, &c);
		if (r == 0 || r == -EIO)
			break;
		st->requests++;
		if (r == 1 && c.in_len >= 1) {
			ack = handle(s, &c);
			written = (uint32_t)uvdpa_chain_write(&c, 0, &ack, 1);
		}
		if (ack == VIRTIO_NET_OK)
			st->successes++;
		else
			st->errors++;
		uvdpa_vq_dev_push(&cvq->dev, &c, written);
	}
	devrt_flush(s, cvq);
	if (done == VDPASIM_BURST)
		*again = true;
	return done;
}

void devrt_vq_break(struct devrt *s, struct devrt_vq *vq, const char *why)
{
	if (vq->broken)
		return;
	vq->broken = true;
	s->status |= UVDPA_STATUS_NEEDS_RESET;
	fprintf(stderr, "uvdpa: %s: vq %u: %s; queue stopped, device needs reset\n",
		s->vdev.name ? s->vdev.name : "vdpasim", vq->idx, why);
	/* virtio 1.2 §2.1.2: setting DEVICE_NEEDS_RESET notifies the driver. */
	devrt_config_changed(s);
}

int devrt_pop(struct devrt *s, struct devrt_vq *vq, struct uvdpa_chain *c)
{
	int r = uvdpa_vq_dev_pop(&vq->dev, c);

	/* Re-arm kicks on an empty ring, then look again: a chain added in
	 * between would otherwise wait for the next kick. */
	if (r == 0 && !s->kicks_off && uvdpa_vq_dev_enable_kicks(&vq->dev))
		r = uvdpa_vq_dev_pop(&vq->dev, c);
	if (r < 0 && r != -E2BIG) {
		devrt_vq_break(s, vq, "malformed ring or chain refused");
		return -EIO;
	}
	return r;
}

void devrt_unpop(struct devrt_vq *vq, const struct uvdpa_chain *c)
{
	uvdpa_vq_dev_unpop(&vq->dev, c);
}

void devrt_flush(struct devrt *s, struct devrt_vq *vq)
{
	if (uvdpa_vq_dev_flush(&vq->dev))
		vq_interrupt(s, vq);
}

/* ------------------------------------------------------------------ */
/* Worker                                                              */
/* ------------------------------------------------------------------ */

static void vq_drop_ext_kick(struct devrt *s, struct devrt_vq *vq);

/*
 * A caller's kick fd is never read: a live eventfd gives an edge per write.
 * HUP or an error means it is no eventfd (a pipe or socket at EOF) and would
 * report itself for ever: stop watching it and break the queue, whose
 * config interrupt tells the owner the device needs a reset.
 */
static void ext_kick_event(struct devrt *s, struct devrt_vq *vq, int fd, uint32_t events)
{
	char why[96];

	if (vq->ext_kick_fd != fd)
		return;   /* a replaced fd's stale event */
	if (!(events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
		return;
	vq_drop_ext_kick(s, vq);
	snprintf(why, sizeof(why), "kick fd %d %s (not a live eventfd), no longer watched", fd,
		 events & EPOLLERR ? "reports an error" : "hung up");
	devrt_vq_break(s, vq, why);
}

static void class_fd_event(struct devrt *s, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR)) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->class_fd, NULL);
		fprintf(stderr, "uvdpa: %s: class fd %d %s; no longer watched\n",
			s->vdev.name ? s->vdev.name : "vdpasim", s->class_fd,
			events & EPOLLERR ? "reports an error" : "hung up");
		s->class_fd = -1;
		return;
	}
	if (s->attr.worker_fd_ready)
		s->attr.worker_fd_ready(s);
}

/* Mutex held. Handles what epoll reported; true if a virtqueue was kicked. */
static bool drain_events(struct devrt *s, const struct epoll_event *ev, int n)
{
	bool kicked = false;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		struct devrt_vq *vq;

		if (tag == TAG_CTL || tag == TAG_IRQ) {
			fd_drain(tag == TAG_CTL ? s->ctl_fd : s->irq.efd);
			continue;   /* completions were reaped before the pass */
		}
		if (tag == TAG_CLASS) {
			if (s->class_fd >= 0)
				class_fd_event(s, ev[i].events);
			kicked = true;
			continue;
		}
		vq = sim_vq(s, (uint16_t)tag);
		if (!vq)
			continue;
		kicked = true;
		if (!(tag & TAG_EXT))
			fd_drain(s->kfds[vq->idx]);   /* ours: nobody else can make it block */
		else
			ext_kick_event(s, vq, (int)((tag >> 16) & 0xffffffffu), ev[i].events);
	}
	return kicked;
}

/* Mutex held: the current trigger fd and seq of target t (nvqs: config). */
static int irq_target(struct devrt *s, uint32_t t, uint32_t *seq)
{
	if (t == s->attr.nvqs) {
		*seq = s->config_irq_seq;
		return s->config_cb.trigger_fd;
	}
	*seq = s->vqs[t].irq_seq;
	return s->vqs[t].cb.trigger_fd;
}

static void irq_collect_one(struct devrt *s, uint32_t t)
{
	uint32_t seq;
	int fd = irq_target(s, t, &seq);

	if (fd >= 0 && devrt_irq_wanted(&s->irq, t, seq))
		devrt_irq_add(&s->irq, t, seq, fd);
}

/* Mutex held: moves this pass' interrupts, and those owed since, to the
 * worker's batch. */
static unsigned collect_irqs(struct devrt *s)
{
	struct devrt_irq *q = &s->irq;
	unsigned i;

	for (i = 0; i < s->irq_ndue; i++) {
		s->vqs[s->irq_due[i]].irq_due = false;
		irq_collect_one(s, s->irq_due[i]);
	}
	s->irq_ndue = 0;
	if (s->config_irq_due) {
		s->config_irq_due = false;
		irq_collect_one(s, s->attr.nvqs);
	}
	for (i = 0; i < q->nresend; i++)
		irq_collect_one(s, q->resend[i]);
	q->nresend = 0;
	return q->nbatch;
}

static unsigned sim_pass(struct devrt *s, bool kicked, bool *again)
{
	unsigned i;

	*again = false;
	if (!(s->status & UVDPA_STATUS_DRIVER_OK))
		return 0;
	if (!s->running) {
		if (kicked)
			s->pending_kick = true;   /* replayed by resume */
		return 0;
	}
	for (i = 0; i < s->attr.nvqs; i++) {
		struct devrt_vq *vq = &s->vqs[i];

		vq->stalled = false;
		/* A queue enabled before its rings were mapped gets set up here;
		 * once the driver says DRIVER_OK the rings must be reachable. */
		if (vq->ready && !vq->set_up && !vq->broken) {
			int r = vq_setup(s, vq);

			if (r)
				devrt_vq_break(s, vq, r == -EFAULT ?
						 "ring areas outside the memory map" :
						 r == -EBADMSG ?
						 "inflight record inconsistent with the ring" :
						 "invalid ring size, alignment, state or inflight area");
		}
	}
	return s->attr.work_fn(s, again);
}

/* Asks the driver for kicks again on every live queue. */
static void arm_kicks(struct devrt *s)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++)
		if (devrt_vq_usable(&s->vqs[i]))
			uvdpa_vq_dev_enable_kicks(&s->vqs[i].dev);
	s->kicks_off = false;
}

static void disarm_kicks(struct devrt *s)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++)
		if (devrt_vq_usable(&s->vqs[i]))
			uvdpa_vq_dev_disable_kicks(&s->vqs[i].dev);
	s->kicks_off = true;
}

struct poll_state {
	uint64_t budget_ns;        /* idle time before going back to epoll */
	uint64_t last_work_ns;
	uint64_t slept_at_ns;      /* 0: not sleeping */
	bool armed;                /* kicks re-armed, one last pass to go */
	/* no polling: how long an idle worker keeps looking before it asks
	 * for kicks (0: not at all), and since when it has been looking */
	uint64_t linger_ns, linger_from;
};

/*
 * No polling: a driver that kicks again soon after the worker went to sleep
 * is busy, and the worker's wake-up and the driver's kick (a system call)
 * cost more than a few microseconds of looking at the rings. So after a
 * sleep shorter than SETTLE_DENSE_NS an idle worker keeps looking, kicks
 * still off, for up to linger_ns before it asks for them: doubled (to
 * SETTLE_LINGER_MAX_NS) each time work turns up meanwhile, halved (to 0
 * below SETTLE_LINGER_MIN_NS) each time none does, so traffic too sparse
 * to be caught costs at most about SETTLE_LINGER_MIN_NS per wake-up.
 */
#define SETTLE_DENSE_NS      1000000ULL
#define SETTLE_LINGER_MIN_NS   20000ULL
#define SETTLE_LINGER_MAX_NS   80000ULL

/* True if this pass stopped a queue on purpose (out of RX buffers). */
static bool pass_stalled(const struct devrt *s)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++)
		if (s->vqs[i].stalled)
			return true;
	return false;
}

/*
 * No polling (mutex held): returns true to sleep in epoll. The worker still
 * turns kicks off while its passes make progress, and back on, with one
 * more pass, when they stop, as vhost-net does: a driver that keeps a queue
 * busy then pays no kick per batch (a syscall on its side, a wake-up on
 * ours). A pass that ran with kicks on needs no second look. A stalled
 * queue (a frame lost for want of RX buffers) is not progress: it waits
 * for the driver's kick, as the kernel's simulator does. While the driver
 * keeps the worker's sleeps short, it lingers a little first (see
 * SETTLE_DENSE_NS).
 */
static bool settle_decide(struct devrt *s, struct poll_state *p, unsigned handled, bool again)
{
	bool stalled = pass_stalled(s);
	uint64_t now;

	if (p->slept_at_ns) {
		if (!p->linger_ns && now_ns() - p->slept_at_ns < SETTLE_DENSE_NS)
			p->linger_ns = SETTLE_LINGER_MIN_NS;
		p->slept_at_ns = 0;
	}
	if (again || (handled && !stalled)) {
		if (p->linger_from) {
			p->linger_ns = p->linger_ns * 2 < SETTLE_LINGER_MAX_NS ?
				       p->linger_ns * 2 : SETTLE_LINGER_MAX_NS;
			p->linger_from = 0;
		}
		if (!s->kicks_off)
			disarm_kicks(s);
		return false;
	}
	if (s->kicks_off && p->linger_ns && !stalled) {
		now = now_ns();
		if (!p->linger_from)
			p->linger_from = now;
		if (now - p->linger_from < p->linger_ns)
			return false;
		p->linger_ns = p->linger_ns / 2 < SETTLE_LINGER_MIN_NS ? 0 : p->linger_ns / 2;
	}
	p->linger_from = 0;
	if (s->kicks_off) {
		arm_kicks(s);
		return false;
	}
	p->slept_at_ns = now_ns();
	return true;
}

/*
 * Poll mode after a pass (mutex held): returns true to sleep in epoll.
 * Going to sleep takes two steps: re-arm kicks, then one more pass; only if
 * that finds nothing does the worker sleep, so a chain added just before
 * the driver saw kicks armed is not left behind. (Available chains alone do
 * not mean work: an idle net device always has RX buffers posted.)
 * The budget adapts: a sleep that ended sooner than the budget means the
 * device is busy enough to poll longer; a long sleep halves it.
 */
static bool poll_decide(struct devrt *s, struct poll_state *p, unsigned handled, bool again)
{
	uint64_t now;

	if (s->poll == UVDPA_POLL_OFF)
		return settle_decide(s, p, handled, again);
	now = now_ns();

	if (p->slept_at_ns) {
		uint64_t slept = now - p->slept_at_ns;

		if (slept < p->budget_ns && p->budget_ns < POLL_BUDGET_MAX_NS)
			p->budget_ns *= 2;
		else if (slept > 8 * p->budget_ns && p->budget_ns > POLL_BUDGET_MIN_NS)
			p->budget_ns /= 2;
		p->slept_at_ns = 0;
		p->last_work_ns = now;
	}
	if (handled || again) {
		p->last_work_ns = now;
		p->armed = false;
		if (!s->kicks_off)
			disarm_kicks(s);
		return false;
	}
	if (s->poll == UVDPA_POLL_ALWAYS)
		return false;
	if (p->armed) {
		p->armed = false;
		p->slept_at_ns = now;
		return true;
	}
	if (now - p->last_work_ns >= p->budget_ns) {
		arm_kicks(s);
		p->armed = true;
	}
	return false;
}

static int add_fd(struct devrt *s, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void *sim_worker(void *arg)
{
	struct devrt *s = arg;
	struct poll_state ps = { .budget_ns = 4 * POLL_BUDGET_MIN_NS };
	struct epoll_event ev[32];
	bool sleep = true, again;
	unsigned handled, nirq;

	pthread_setname_np(pthread_self(), s->tname);   /* prctl, no /proc write */
	if (!devrt_irq_ring_up(&s->irq, s->ctl_fd))
		add_fd(s, s->irq.efd, TAG_IRQ);
	else if (devrt_irq_helper_up(&s->irq, s->irq_tname))
		fprintf(stderr, "uvdpa: %s: no io_uring and no thread to write call fds; they are "
			"written with write(), and a driver that lets its call fd block stalls "
			"this device and its control operations\n",
			s->vdev.name ? s->vdev.name : "device");
	while (!atomic_load(&s->stop)) {
		bool kicked;
		int n = 0;

		/* Kicks that come while the worker is busy are only counted by
		 * their eventfds; the next sleep drains them. */
		if (sleep)
			n = epoll_wait(s->epfd, ev, 32, -1);
		if (n < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "uvdpa: %s: epoll_wait: %s; worker stops\n",
					s->vdev.name ? s->vdev.name : "vdpasim", strerror(errno));
				break;
			}
			n = 0;
		}
		if (atomic_load(&s->stop))
			break;

		devrt_irq_reap(&s->irq);   /* no syscall unless writes are pending */
		pthread_mutex_lock(&s->mutex);
		kicked = drain_events(s, ev, n);
		handled = sim_pass(s, kicked, &again);
		if (s->running && (s->status & UVDPA_STATUS_DRIVER_OK)) {
			sleep = poll_decide(s, &ps, handled, again);
		} else {
			if (s->kicks_off)
				arm_kicks(s);
			ps.slept_at_ns = 0;
			ps.armed = false;
			ps.linger_ns = ps.linger_from = 0;
			sleep = !again;
		}
		nirq = collect_irqs(s);
		if (nirq)
			pthread_mutex_lock(&s->fence);
		pthread_mutex_unlock(&s->mutex);
		if (nirq) {
			devrt_irq_submit(&s->irq);
			pthread_mutex_unlock(&s->fence);
		}

		/* A busy worker relocks at once; let a queued control op in first. */
		while (atomic_load_explicit(&s->ctl_waiting, memory_order_relaxed))
			sched_yield();
		if (!sleep && !again)
			cpu_relax();
	}
	devrt_irq_ring_down(&s->irq);
	return NULL;
}

static int watch_ext_kick(struct devrt *s, struct devrt_vq *vq, int fd)
{
	/* Edge-triggered and never read: see ext_kick_event. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };

	ev.data.u64 = TAG_EXT | ((uint64_t)(uint32_t)fd << 16) | vq->idx;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Mutex held, the worker gone: releases everything it used. Idempotent. */
static void release_fds(struct devrt *s)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++) {
		atomic_store(&s->vqs[i].kick_fd, -1);
		if (s->kfds[i] >= 0)
			close(s->kfds[i]);
		s->kfds[i] = -1;
	}
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->epfd >= 0)
		close(s->epfd);   /* also forgets the caller's kick fds and the class fd */
	s->ctl_fd = s->epfd = s->class_fd = -1;
	devrt_irq_close(&s->irq);
}

/*
 * Mutex held. The worker's epoll set: control fd, one eventfd per queue,
 * the caller's kick fds, the class' fd. Made with the worker, so a device
 * without a live driver costs no fd at all.
 */
static int open_fds(struct devrt *s)
{
	unsigned i;
	int r;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	s->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->ctl_fd < 0)
		return -errno;
	r = add_fd(s, s->ctl_fd, TAG_CTL);
	for (i = 0; !r && i < s->attr.nvqs; i++) {
		struct devrt_vq *vq = &s->vqs[i];

		s->kfds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->kfds[i] < 0)
			return -errno;
		r = add_fd(s, s->kfds[i], i);
		if (!r && vq->ext_kick_fd >= 0 && watch_ext_kick(s, vq, vq->ext_kick_fd))
			vq->ext_kick_fd = -1;   /* closed by its owner meanwhile */
	}
	if (!r && s->attr.worker_fd) {
		s->class_fd = s->attr.worker_fd(s);
		if (s->class_fd >= 0)
			r = add_fd(s, s->class_fd, TAG_CLASS);
	}
	if (!r)
		r = devrt_irq_open(&s->irq, s->attr.nvqs + 1);
	return r;
}

/* Mutex held: kick_vq may use our eventfds from now on. */
static void publish_kick_fds(struct devrt *s)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++)
		atomic_store(&s->vqs[i].kick_fd, s->kfds[i]);
}

/*
 * Faults are never "the application's signals": a synchronous SIGBUS or
 * SIGSEGV on a thread that blocks it kills the process outright, and the
 * vhost face contains a front end that shrinks guest memory with a SIGBUS
 * handler that must run on whichever thread touched the memory, the worker
 * included. Everything else belongs to the application's threads.
 */
static void worker_sigmask(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
}

/* UVDPA_POLL_CALLER: the device whose pass this thread is running, and
 * whether a callback function it ran kicked meanwhile (the mutex is held:
 * such a kick is only noted, and the pass goes on). */
static __thread struct devrt *caller_in_pass;
static __thread bool caller_kicked;

/*
 * UVDPA_POLL_CALLER, mutex held: the worker's loop body run once in the
 * caller's thread, until the work function has nothing left, with trigger
 * fds written at once (there is no io_uring batch without a worker).
 */
static void caller_pass(struct devrt *s, bool kicked)
{
	struct devrt *outer = caller_in_pass;
	bool outer_kicked = caller_kicked, again;
	unsigned i;

	caller_in_pass = s;
	do {
		caller_kicked = false;
		sim_pass(s, kicked, &again);
		if (s->kicks_off)
			arm_kicks(s);
	} while ((again || caller_kicked) && s->running);
	caller_in_pass = outer;
	caller_kicked = outer_kicked;
	for (i = 0; i < s->irq_ndue; i++) {
		struct devrt_vq *vq = &s->vqs[s->irq_due[i]];

		vq->irq_due = false;
		if (vq->cb.trigger_fd >= 0)
			fd_signal(vq->cb.trigger_fd);
	}
	s->irq_ndue = 0;
	if (s->config_irq_due) {
		s->config_irq_due = false;
		if (s->config_cb.trigger_fd >= 0)
			fd_signal(s->config_cb.trigger_fd);
	}
}

/* life and mutex held. A thread only while a driver is live. */
static void ensure_worker(struct devrt *s)
{
	sigset_t set, old;
	int r;

	if (s->worker_started || s->stopped)
		return;
	if (s->poll == UVDPA_POLL_CALLER) {
		caller_pass(s, true);
		return;
	}
	r = open_fds(s);
	if (r) {
		fprintf(stderr, "uvdpa: %s: cannot set up the worker's fds: %s\n",
			s->vdev.name ? s->vdev.name : s->tname, strerror(-r));
		goto fail;
	}
	atomic_store(&s->stop, false);
	worker_sigmask(&set);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	r = pthread_create(&s->worker, NULL, sim_worker, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		fprintf(stderr, "uvdpa: %s: cannot start the worker: %s\n",
			s->vdev.name ? s->vdev.name : s->tname, strerror(r));
		goto fail;
	}
	publish_kick_fds(s);
	s->worker_started = true;
	return;
fail:
	release_fds(s);
	s->status |= UVDPA_STATUS_NEEDS_RESET;
}

/*
 * life held, mutex not: ends the worker and releases its thread and fds.
 * kick_vq is lock-free, so its eventfd is withdrawn first and closed only
 * once no kick_vq still holds it; later kicks are dropped, harmlessly: the
 * next DRIVER_OK's first pass looks at every queue.
 */
static void stop_worker(struct devrt *s)
{
	bool started;
	unsigned i;

	devrt_lock(s);
	started = s->worker_started;
	s->worker_started = false;
	if (started) {
		for (i = 0; i < s->attr.nvqs; i++)
			atomic_store(&s->vqs[i].kick_fd, -1);
		if (s->kicks_off)
			arm_kicks(s);   /* the next worker starts from kicks */
	}
	devrt_unlock(s);
	if (!started)
		return;
	atomic_store(&s->stop, true);
	fd_signal(s->ctl_fd);   /* closed only below */
	pthread_join(s->worker, NULL);
	while (atomic_load(&s->kickers))
		sched_yield();
	devrt_lock(s);
	release_fds(s);
	devrt_unlock(s);
}

void devrt_stop(struct devrt *s)
{
	pthread_mutex_lock(&s->life);
	devrt_lock(s);
	sim_quiesce(s, -1);
	s->stopped = true;
	devrt_unlock(s);
	stop_worker(s);
	pthread_mutex_unlock(&s->life);
}

/* ------------------------------------------------------------------ */
/* Device ops                                                          */
/* ------------------------------------------------------------------ */

static int sim_set_vq_address(struct uvdpa_device *d, uint16_t idx, uint64_t desc,
			      uint64_t drv, uint64_t dev)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	if (!vq)
		return -EINVAL;
	devrt_lock(s);
	vq->desc_addr = desc;
	vq->driver_addr = drv;
	vq->device_addr = dev;
	devrt_unlock(s);
	return 0;
}

static void sim_set_vq_num(struct uvdpa_device *d, uint16_t idx, uint32_t num)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	if (!vq)
		return;
	devrt_lock(s);
	vq->num = num;
	devrt_unlock(s);
}

static void sim_kick_vq(struct uvdpa_device *d, uint16_t idx)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	int fd;

	/* Lock-free: callbacks running on the worker may kick. Without a
	 * worker there is nothing to wake: DRIVER_OK starts it, and its first
	 * pass looks at every queue. kickers tells stop_worker when no kick
	 * still uses an eventfd it withdrew (seq_cst on both sides). */
	if (!vq)
		return;
	if (__atomic_load_n(&s->poll, __ATOMIC_RELAXED) == UVDPA_POLL_CALLER) {
		/* looked at again under the mutex: set_poll_mode may race */
		if (caller_in_pass == s) {
			caller_kicked = true;   /* from a callback of this pass */
			return;
		}
		devrt_lock(s);
		if (s->poll == UVDPA_POLL_CALLER && !s->stopped)
			caller_pass(s, true);
		devrt_unlock(s);
		return;
	}
	atomic_fetch_add(&s->kickers, 1);
	fd = atomic_load(&vq->kick_fd);
	if (fd >= 0)
		fd_signal(fd);
	atomic_fetch_sub(&s->kickers, 1);
}

static void vq_drop_ext_kick(struct devrt *s, struct devrt_vq *vq)
{
	/* The caller may already have closed it; epoll then forgot it too. */
	if (vq->ext_kick_fd >= 0 && s->epfd >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, vq->ext_kick_fd, NULL);
	vq->ext_kick_fd = -1;
}

static int sim_set_vq_kick_fd(struct uvdpa_device *d, uint16_t idx, int fd)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);
	int ret = 0;

	if (!vq)
		return -EINVAL;
	devrt_lock(s);
	vq_drop_ext_kick(s, vq);
	if (fd >= 0) {
		/* Never read, so its O_NONBLOCK does not matter to us. */
		if (fcntl(fd, F_GETFL) < 0)
			ret = -errno;
		else if (s->epfd >= 0)
			ret = watch_ext_kick(s, vq, fd);   /* else at worker start */
		if (!ret)
			vq->ext_kick_fd = fd;
	}
	devrt_unlock(s);
	return ret;
}

static void sim_set_vq_cb(struct uvdpa_device *d, uint16_t idx, const struct uvdpa_callback *cb)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	if (!vq)
		return;
	devrt_lock(s);
	vq_cb_set(s, vq, cb);
	devrt_unlock(s);
}

static void sim_set_vq_ready(struct uvdpa_device *d, uint16_t idx, bool ready)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	if (!vq)
		return;
	devrt_lock(s);
	if (ready && !vq->ready) {
		vq->ready = true;
		vq->broken = false;
		/* May fail if the map comes later; the worker retries. */
		vq_setup(s, vq);
		if (s->running)
			wake(s);
	} else if (!ready && vq->ready) {
		sim_quiesce(s, idx);
		vq_teardown(vq);
		vq->ready = false;
	} else {
		devrt_unlock(s);
		return;
	}
	if (s->attr.vq_ready)
		s->attr.vq_ready(s, idx, ready);
	devrt_unlock(s);
}

static bool sim_get_vq_ready(struct uvdpa_device *d, uint16_t idx)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);
	bool r;

	if (!vq)
		return false;
	devrt_lock(s);
	r = vq->ready;
	devrt_unlock(s);
	return r;
}

static int sim_set_vq_state(struct uvdpa_device *d, uint16_t idx, const struct uvdpa_vq_state *st)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);
	int ret = 0;

	if (!vq || !st)
		return -EINVAL;
	devrt_lock(s);
	sim_quiesce(s, idx);
	vq->state = *st;
	vq->has_state = true;
	/* A live queue restarts from the new position. */
	if (vq->set_up && vq_setup(s, vq))
		ret = -EINVAL;
	devrt_unlock(s);
	return ret;
}

static int sim_get_vq_state(struct uvdpa_device *d, uint16_t idx, struct uvdpa_vq_state *st)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);

	if (!vq || !st)
		return -EINVAL;
	devrt_lock(s);
	sim_quiesce(s, idx);
	if (vq->set_up)
		uvdpa_vq_dev_get_state(&vq->dev, st);
	else
		vq_saved_state(s, vq, st);
	devrt_unlock(s);
	return 0;
}

static int sim_get_vendor_vq_stats(struct uvdpa_device *d, uint16_t idx,
				   struct uvdpa_vq_stat *stats, unsigned max)
{
	struct devrt *s = vdpa_to_sim(d);
	int r;

	if (!s->attr.get_stats)
		return -EOPNOTSUPP;
	devrt_lock(s);
	r = s->attr.get_stats(s, idx, stats, max);
	devrt_unlock(s);
	return r;
}

static uint32_t sim_get_vq_align(struct uvdpa_device *d)
{
	(void)d;
	return VDPASIM_VQ_ALIGN;
}

static uint32_t sim_get_vq_size(struct uvdpa_device *d, uint16_t idx)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);
	uint32_t n = VDPASIM_VQ_NUM_MAX;

	if (!vq)
		return 0;
	devrt_lock(s);
	if ((s->status & UVDPA_STATUS_DRIVER_OK) && vq->num)
		n = vq->num;
	devrt_unlock(s);
	return n;
}

static uint64_t sim_get_device_features(struct uvdpa_device *d)
{
	return vdpa_to_sim(d)->dev_features;   /* fixed at creation */
}

static int sim_set_driver_features(struct uvdpa_device *d, uint64_t features)
{
	struct devrt *s = vdpa_to_sim(d);

	/* The runtime only works through its memory map (kernel: DMA API),
	 * which a translating face provides whatever the driver negotiated. */
	if (!(features & VDPASIM_F_ACCESS_PLATFORM) && !d->face_translates)
		return -EINVAL;
	devrt_lock(s);
	s->features = features & s->dev_features;
	devrt_unlock(s);
	return 0;
}

static uint64_t sim_get_driver_features(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);
	uint64_t f;

	devrt_lock(s);
	f = s->features;
	devrt_unlock(s);
	return f;
}

static void sim_set_config_cb(struct uvdpa_device *d, const struct uvdpa_callback *cb)
{
	struct devrt *s = vdpa_to_sim(d);

	devrt_lock(s);
	config_cb_set(s, cb);
	devrt_unlock(s);
}

static uint16_t sim_get_vq_num_max(struct uvdpa_device *d)
{
	(void)d;
	return VDPASIM_VQ_NUM_MAX;
}

static uint16_t sim_get_vq_num_min(struct uvdpa_device *d)
{
	(void)d;
	return 1;
}

static uint32_t sim_get_device_id(struct uvdpa_device *d)
{
	return vdpa_to_sim(d)->attr.id;
}

static uint32_t sim_get_vendor_id(struct uvdpa_device *d)
{
	(void)d;
	return VDPASIM_VENDOR_ID;
}

static uint8_t sim_get_status(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);
	uint8_t st;

	devrt_lock(s);
	st = s->status;
	devrt_unlock(s);
	return st;
}

/* Kernel devrt_do_reset; the config space, vq num, the map and the
 * statistics survive. Mutex held. */
static void do_reset(struct devrt *s)
{
	unsigned i;

	sim_quiesce(s, -1);
	for (i = 0; i < s->attr.nvqs; i++) {
		struct devrt_vq *vq = &s->vqs[i];

		vq->ready = false;
		vq->set_up = false;
		vq->broken = false;
		vq->stalled = false;
		vq->has_state = false;
		vq->desc_addr = vq->driver_addr = vq->device_addr = 0;
		vq_cb_set(s, vq, NULL);
		vq->irq_due = false;
		vq_drop_ext_kick(s, vq);
		vq->inflight = NULL;
		vq->inflight_len = 0;
	}
	s->irq_ndue = 0;
	config_cb_set(s, NULL);
	s->features = 0;
	s->status = 0;
	s->running = false;
	s->pending_kick = false;
	s->kicks_off = false;
	s->generation++;
}

static void sim_set_status(struct uvdpa_device *d, uint8_t status)
{
	struct devrt *s = vdpa_to_sim(d);
	bool live;
	uint8_t old;

	pthread_mutex_lock(&s->life);
	devrt_lock(s);
	if (status == 0) {
		do_reset(s);   /* virtio: writing 0 resets the device */
	} else {
		old = s->status;
		if ((old & UVDPA_STATUS_DRIVER_OK) && !(status & UVDPA_STATUS_DRIVER_OK))
			sim_quiesce(s, -1);
		/* NEEDS_RESET is the device's; only a reset clears it. */
		s->status = status | (old & UVDPA_STATUS_NEEDS_RESET);
		s->running = (status & UVDPA_STATUS_DRIVER_OK) != 0;
		/* Buffers added before DRIVER_OK get looked at now. */
		if (s->running && !(old & UVDPA_STATUS_DRIVER_OK)) {
			ensure_worker(s);
			wake(s);
		}
	}
	live = s->status & UVDPA_STATUS_DRIVER_OK;
	devrt_unlock(s);
	if (!live)
		stop_worker(s);   /* no driver, no thread */
	pthread_mutex_unlock(&s->life);
}

static int sim_reset(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);

	pthread_mutex_lock(&s->life);
	devrt_lock(s);
	do_reset(s);
	devrt_unlock(s);
	stop_worker(s);
	pthread_mutex_unlock(&s->life);
	return 0;
}

static int sim_suspend(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);

	devrt_lock(s);
	s->running = false;
	sim_quiesce(s, -1);
	devrt_unlock(s);
	return 0;
}

static int sim_resume(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);

	devrt_lock(s);
	s->running = true;
	if (s->pending_kick) {
		s->pending_kick = false;
		if (s->poll == UVDPA_POLL_CALLER && (s->status & UVDPA_STATUS_DRIVER_OK))
			caller_pass(s, true);
		else
			wake(s);
	}
	devrt_unlock(s);
	return 0;
}

static size_t sim_get_config_size(struct uvdpa_device *d)
{
	return vdpa_to_sim(d)->attr.config_size;
}

static bool config_range_ok(const struct devrt *s, unsigned off, unsigned len)
{
	return off <= s->attr.config_size && len <= s->attr.config_size - off;
}

static void sim_get_config(struct uvdpa_device *d, unsigned off, void *buf, unsigned len)
{
	struct devrt *s = vdpa_to_sim(d);

	/* Out of range: buf is left alone, as the kernel does. */
	if (!buf || !config_range_ok(s, off, len))
		return;
	devrt_lock(s);
	if (s->attr.get_config)
		s->attr.get_config(s, s->config);
	memcpy(buf, s->config + off, len);
	devrt_unlock(s);
}

static void sim_set_config(struct uvdpa_device *d, unsigned off, const void *buf, unsigned len)
{
	struct devrt *s = vdpa_to_sim(d);

	if (!buf || !config_range_ok(s, off, len))
		return;
	devrt_lock(s);
	memcpy(s->config + off, buf, len);
	if (s->attr.set_config)
		s->attr.set_config(s, s->config);
	devrt_unlock(s);
}

static uint32_t sim_get_generation(struct uvdpa_device *d)
{
	struct devrt *s = vdpa_to_sim(d);
	uint32_t g;

	devrt_lock(s);
	g = s->generation;
	devrt_unlock(s);
	return g;
}

static int sim_set_map(struct uvdpa_device *d, const struct uvdpa_memmap *map)
{
	struct devrt *s = vdpa_to_sim(d);
	struct uvdpa_memmap *copy, *old;
	unsigned i;

	copy = map ? uvdpa_memmap_dup(map) : uvdpa_memmap_new();
	if (!copy)
		return -ENOMEM;
	devrt_lock(s);
	sim_quiesce(s, -1);
	old = s->map;
	s->map = copy;
	for (i = 0; i < s->attr.nvqs; i++) {
		struct devrt_vq *vq = &s->vqs[i];

		/* A ring that left the map is retried (and refused) by the worker. */
		if (vq->set_up && uvdpa_vq_dev_remap(&vq->dev, copy))
			vq_teardown(vq);
	}
	if (s->running)
		wake(s);
	devrt_unlock(s);
	/* Passes run under the mutex, so no chain points into the old map. */
	uvdpa_memmap_free(old);
	return 0;
}

static int sim_set_vq_inflight(struct uvdpa_device *d, uint16_t idx, void *area, size_t len)
{
	struct devrt *s = vdpa_to_sim(d);
	struct devrt_vq *vq = sim_vq(s, idx);
	int ret = 0;

	if (!vq || (area && !len))
		return -EINVAL;
	devrt_lock(s);
	if (vq->ready) {
		ret = -EBUSY;
	} else {
		vq->inflight = area;
		vq->inflight_len = area ? len : 0;
	}
	devrt_unlock(s);
	return ret;
}

static int sim_set_poll_mode(struct uvdpa_device *d, enum uvdpa_poll_mode mode)
{
	struct devrt *s = vdpa_to_sim(d);

	if (mode > UVDPA_POLL_CALLER)
		return -EINVAL;
	if (mode == UVDPA_POLL_CALLER && s->attr.worker_fd)
		return -EOPNOTSUPP;
	devrt_lock(s);
	/* A worker cannot be told to go, nor started, behind a live driver. */
	if ((mode == UVDPA_POLL_CALLER) != (s->poll == UVDPA_POLL_CALLER) &&
	    (s->worker_started || (s->poll == UVDPA_POLL_CALLER && s->running))) {
		devrt_unlock(s);
		return -EBUSY;
	}
	__atomic_store_n(&s->poll, mode, __ATOMIC_RELAXED);   /* kick_vq reads it unlocked */
	if (mode == UVDPA_POLL_OFF && s->kicks_off)
		arm_kicks(s);
	wake(s);
	devrt_unlock(s);
	return 0;
}

static void sim_free(struct uvdpa_device *d)
{
	devrt_destroy(vdpa_to_sim(d));
}

static const struct uvdpa_device_ops devrt_ops = {
	.set_vq_address = sim_set_vq_address,
	.set_vq_num = sim_set_vq_num,
	.kick_vq = sim_kick_vq,
	.set_vq_kick_fd = sim_set_vq_kick_fd,
	.set_vq_cb = sim_set_vq_cb,
	.set_vq_ready = sim_set_vq_ready,
	.get_vq_ready = sim_get_vq_ready,
	.set_vq_state = sim_set_vq_state,
	.get_vq_state = sim_get_vq_state,
	.get_vendor_vq_stats = sim_get_vendor_vq_stats,
	.get_vq_align = sim_get_vq_align,
	.get_vq_size = sim_get_vq_size,
	.get_device_features = sim_get_device_features,
	.set_driver_features = sim_set_driver_features,
	.get_driver_features = sim_get_driver_features,
	.set_config_cb = sim_set_config_cb,
	.get_vq_num_max = sim_get_vq_num_max,
	.get_vq_num_min = sim_get_vq_num_min,
	.get_device_id = sim_get_device_id,
	.get_vendor_id = sim_get_vendor_id,
	.get_status = sim_get_status,
	.set_status = sim_set_status,
	.reset = sim_reset,
	.suspend = sim_suspend,
	.resume = sim_resume,
	.get_config_size = sim_get_config_size,
	.get_config = sim_get_config,
	.set_config = sim_set_config,
	.get_generation = sim_get_generation,
	.set_map = sim_set_map,
	.set_poll_mode = sim_set_poll_mode,
	.set_vq_inflight = sim_set_vq_inflight,
	.free = sim_free,
};

/* ------------------------------------------------------------------ */
/* Creation and destruction                                            */
/* ------------------------------------------------------------------ */

void devrt_destroy(struct devrt *s)
{
	unsigned i;

	if (!s)
		return;
	devrt_stop(s);
	if (s->attr.free)
		s->attr.free(s);
	if (s->vqs) {
		for (i = 0; i < s->attr.nvqs; i++)
			free(s->vqs[i].resubmit);
		free(s->vqs);
	}
	free(s->kfds);
	free(s->irq_due);
	uvdpa_memmap_free(s->map);
	free(s->config);
	pthread_mutex_destroy(&s->fence);
	pthread_mutex_destroy(&s->life);
	pthread_mutex_destroy(&s->mutex);
	free(s);
}

static int sim_init(struct devrt *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->attr.nvqs; i++) {
		struct devrt_vq *vq = &s->vqs[i];

		vq->idx = (uint16_t)i;
		vq->num = VDPASIM_VQ_NUM_MAX;
		vq->ext_kick_fd = -1;
		cb_clear(&vq->cb);
	}
	snprintf(s->tname, sizeof(s->tname), "vdev:%s", name ? name : "");
	snprintf(s->irq_tname, sizeof(s->irq_tname), "virq:%s", name ? name : "");
	return 0;
}

/*
 * The datapath reads the config (the MAC filter) for every frame: give it
 * cache lines of its own, so no allocation that other threads write shares
 * them.
 */
static uint8_t *config_alloc(size_t size)
{
	size_t len = (size + 63) & ~(size_t)63;
	uint8_t *p = aligned_alloc(64, len ? len : 64);

	if (p)
		memset(p, 0, len ? len : 64);
	return p;
}

struct devrt *devrt_create(const struct devrt_dev_attr *attr,
			       const struct uvdpa_dev_set_config *cfg, const char *name,
			       int *err)
{
	uint64_t features = attr->supported_features;
	struct devrt *s;
	unsigned i;
	int r;

	if (attr->alloc_size < sizeof(*s) || !attr->work_fn || !attr->nvqs ||
	    attr->nvqs > UINT16_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	if (cfg && (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES))) {
		/* Provisioned features may only take bits away. */
		if (cfg->device_features & ~attr->supported_features) {
			*err = -EINVAL;
			return NULL;
		}
		features = cfg->device_features;
	}
	s = calloc(1, attr->alloc_size);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->attr = *attr;
	s->epfd = s->ctl_fd = s->class_fd = -1;
	pthread_mutex_init(&s->mutex, NULL);
	pthread_mutex_init(&s->life, NULL);
	pthread_mutex_init(&s->fence, NULL);
	s->vqs = calloc(attr->nvqs, sizeof(*s->vqs));
	s->kfds = malloc(attr->nvqs * sizeof(*s->kfds));
	s->irq_due = calloc(attr->nvqs, sizeof(*s->irq_due));
	s->config = config_alloc(attr->config_size);
	s->map = uvdpa_memmap_new();
	if (s->vqs && s->kfds)
		for (i = 0; i < attr->nvqs; i++)
			s->vqs[i].kick_fd = s->kfds[i] = -1;
	/* The class' free hook must not run on a half-built class part. */
	s->attr.free = NULL;
	if (!s->vqs || !s->kfds || !s->irq_due || !s->config || !s->map) {
		r = -ENOMEM;
		goto fail;
	}
	s->vdev.ops = &devrt_ops;
	s->vdev.nvqs = attr->nvqs;
	s->dev_features = features;
	cb_clear(&s->config_cb);
	r = sim_init(s, name);
	if (r)
		goto fail;
	s->attr.free = attr->free;
	return s;
fail:
	devrt_destroy(s);
	*err = r;
	return NULL;
}
