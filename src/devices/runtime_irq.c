// SPDX-License-Identifier: MIT
/*
 * The worker's interrupt signaller: writes trigger fds (a driver's call
 * eventfds) through a small io_uring the worker owns, so that a trigger fd
 * that cannot take the write never blocks the worker.
 *
 * Why io_uring and not write(): the fd's file description is shared with
 * the driver (a vhost-user front end), which may clear O_NONBLOCK at any
 * moment and leave the counter at 0xfffffffffffffffe; write() then sleeps
 * until the driver reads. An eventfd cannot be reopened with flags of our
 * own (/proc/self/fd: ENXIO) and takes no RWF_NOWAIT (EOPNOTSUPP). io_uring
 * tries the write at once when the fd is non-blocking and has room, and
 * otherwise arms a poll for it (or hands it to an io-wq kernel worker): the
 * submission returns either way, and the write completes when the driver
 * drains its counter. Measured here (one eventfd, tight loop): write()
 * 1.2-1.4 us, an inline io_uring write 1.5-1.9 us, and forcing every write
 * to io-wq (IOSQE_ASYNC) 8.6-17.5 us, so writes are tried inline; a pass
 * sends all its interrupts with one submission.
 *
 * At most one write per target is outstanding. An interrupt raised while
 * one is cannot simply be dropped: the pending write may already have
 * landed (its completion not yet reaped) and the driver gone back to sleep
 * before the new used entries. So it is owed, and sent when the pending
 * write completes. The worker learns of completions that happen later by
 * an eventfd the ring signals for io-wq completions (register_eventfd_async)
 * and, for poll-armed writes, by the task work that wakes it from epoll. A
 * target whose fd was replaced gets its old write cancelled. The ring never
 * holds more writes than it has entries.
 *
 * A driver can still trap the worker inside the submission: the kernel's
 * inline attempt checks O_NONBLOCK, then eventfd_write() checks it again
 * and sleeps on a saturated counter, so a driver that clears the flag
 * between the two holds the worker (in io_uring_enter, with the fence)
 * until it reads. That sleep is interruptible, and io_uring's own task work
 * interrupts it: the ring keeps a multishot poll on the worker's wake fd,
 * whose wakeup queues task work on the worker with TWA_SIGNAL. Whoever
 * waits for the worker (a control op at the fence, stop) signals that fd
 * first; the trapped write ends with -EINTR (the counter was full: the
 * driver has its interrupt) and the worker moves on.
 *
 * Without io_uring (seccomp, kernel.io_uring_disabled) a helper thread per
 * worker writes the fds instead, each through a copy of its own (dup'd
 * while the worker holds the device mutex, so the number is the driver's
 * current fd; once the helper has taken a copy, only the helper closes
 * it, after its last write to it).
 * The worker just marks the targets and signals; a driver that makes a
 * write sleep holds the helper, so that device's interrupts wait until the
 * driver reads, and nothing else does: no control op waits for the helper,
 * and stopping the worker cancels a write in progress (pthread_cancel
 * interrupts the sleep; write is the only point where the helper can be
 * cancelled).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <liburing.h>

#include "devices/runtime.h"

/* user_data: bit 63 marks a cancel; bits 32..62 the target's seq; 0..31 the target. */
#define UD_CANCEL (1ULL << 63)
/* The wake fd's poll: no write or cancel has it (no target is UINT32_MAX). */
#define UD_WAKE UINT64_MAX

/* Read by the kernel whenever a write is (re)issued, so it lives as long as
 * any ring: read-only, not state. */
static const uint64_t irq_one = 1;

static uint64_t ud_make(uint32_t t, uint32_t seq)
{
	return ((uint64_t)(seq & 0x7fffffffu) << 32) | t;
}

/* Control side, with the worker's other resources: the per-target state. */
int devrt_irq_open(struct devrt_irq *q, unsigned ntargets)
{
	memset(q, 0, sizeof(*q));
	q->ntargets = ntargets;
	q->direct = true;   /* until the worker has its ring */
	q->efd = -1;
	q->busy = calloc(ntargets, sizeof(*q->busy));
	q->batch = calloc(ntargets, sizeof(*q->batch));
	q->resend = calloc(ntargets, sizeof(*q->resend));
	if (!q->busy || !q->batch || !q->resend) {
		devrt_irq_close(q);
		return -ENOMEM;
	}
	return 0;
}

/*
 * On the worker, first thing: the ring is the worker's own, made and torn
 * down by the task that submits to it, so no other thread (the daemon's
 * main thread) ever gets io_uring state in the kernel on its behalf. (Made
 * on the control thread instead, every device cycle also left ASan-visible
 * mappings behind.) Returns -errno if there is no io_uring here (seccomp,
 * kernel.io_uring_disabled): trigger fds are then written with write().
 */
/* Queues the multishot poll on the wake fd; submitted with the next batch
 * or reap. A full SQ leaves it for the next reap. */
static void arm_wake(struct devrt_irq *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, q->wake_fd, POLLIN);
	sqe->user_data = UD_WAKE;
	q->wake_armed = true;
}

int devrt_irq_ring_up(struct devrt_irq *q, int wake_fd)
{
	unsigned entries = 8;
	int r;

	/* One write per target plus a cancel for each replaced one. */
	while (entries < 2 * q->ntargets && entries < 4096)
		entries *= 2;
	/* No COOP_TASKRUN: a held-back write whose fd got room must be retried
	 * even while the worker sleeps in epoll (the kernel then wakes it). */
	r = io_uring_queue_init(entries, &q->ring, 0);
	if (r)
		return r;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0 || io_uring_register_eventfd_async(&q->ring, q->efd)) {
		r = q->efd < 0 ? -errno : -EIO;
		devrt_irq_ring_down(q);
		return r;
	}
	q->wake_fd = wake_fd;
	arm_wake(q);
	if (io_uring_submit(&q->ring) != 1) {
		devrt_irq_ring_down(q);
		return -EIO;
	}
	q->direct = false;
	q->ring_up = true;
	q->cap = entries;
	return 0;
}

/* Helper thread: writes the targets marked pending through its copies. */
static void *irq_helper(void *arg)
{
	struct devrt_irq *q = arg;
	unsigned t = 0, i;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&q->hlock);
	while (!q->hstop) {
		struct devrt_irq_dup *d;
		int fd;

		/* round robin: one slow target does not starve the others' turn */
		for (i = 0; i < q->ntargets && !q->dups[t].pending; i++)
			t = (t + 1) % q->ntargets;
		if (i == q->ntargets) {
			pthread_cond_wait(&q->hwake, &q->hlock);
			continue;
		}
		d = &q->dups[t];
		d->pending = false;
		if (d->next >= 0) {
			if (d->cur >= 0)
				close(d->cur);
			d->cur = d->next;
			d->next = -1;
		}
		fd = d->cur;
		t = (t + 1) % q->ntargets;
		pthread_mutex_unlock(&q->hlock);
		if (fd >= 0) {
			ssize_t r;

			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
			r = write(fd, &irq_one, sizeof(irq_one));   /* EAGAIN: counter full, enough */
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
			(void)r;
		}
		pthread_mutex_lock(&q->hlock);
	}
	pthread_mutex_unlock(&q->hlock);
	return NULL;
}

/* On the worker, when there is no io_uring: starts the helper thread.
 * 0, or -errno (then fds are written with write() by the worker). */
int devrt_irq_helper_up(struct devrt_irq *q, const char *name)
{
	unsigned i;
	int r;

	q->dups = calloc(q->ntargets, sizeof(*q->dups));
	if (!q->dups)
		return -ENOMEM;
	for (i = 0; i < q->ntargets; i++)
		q->dups[i].cur = q->dups[i].next = -1;
	pthread_mutex_init(&q->hlock, NULL);
	pthread_cond_init(&q->hwake, NULL);
	q->hstop = false;
	r = pthread_create(&q->helper, NULL, irq_helper, q);
	if (r) {
		pthread_cond_destroy(&q->hwake);
		pthread_mutex_destroy(&q->hlock);
		free(q->dups);
		q->dups = NULL;
		return -r;
	}
	pthread_setname_np(q->helper, name);
	q->helper_up = true;
	return 0;
}

/* Stops the helper, also out of a write a driver holds, and closes its copies. */
static void helper_down(struct devrt_irq *q)
{
	unsigned i;

	if (!q->helper_up)
		return;
	pthread_mutex_lock(&q->hlock);
	q->hstop = true;
	pthread_cond_signal(&q->hwake);
	pthread_mutex_unlock(&q->hlock);
	pthread_cancel(q->helper);   /* acts only inside its write */
	pthread_join(q->helper, NULL);
	for (i = 0; i < q->ntargets; i++) {
		if (q->dups[i].cur >= 0)
			close(q->dups[i].cur);
		if (q->dups[i].next >= 0)
			close(q->dups[i].next);
	}
	pthread_cond_destroy(&q->hwake);
	pthread_mutex_destroy(&q->hlock);
	free(q->dups);
	q->dups = NULL;
	q->helper_up = false;
}

/* On the worker, last thing. The kernel cancels what is still outstanding;
 * irq_one stays valid whatever it still reads. */
void devrt_irq_ring_down(struct devrt_irq *q)
{
	helper_down(q);
	if (q->ring_up)
		io_uring_queue_exit(&q->ring);
	if (q->efd >= 0)
		close(q->efd);   /* epoll forgets it */
	q->efd = -1;
	q->ring_up = false;
	q->wake_armed = false;
	q->direct = true;
	q->inflight = 0;
}

void devrt_irq_close(struct devrt_irq *q)
{
	devrt_irq_ring_down(q);
	free(q->busy);
	free(q->batch);
	free(q->resend);
	q->busy = NULL;
	q->batch = NULL;
	q->resend = NULL;
}

/* Takes completions without waiting (no syscall unless the completion
 * queue overflowed); a target whose write landed may be signalled again. */
void devrt_irq_reap(struct devrt_irq *q)
{
	struct io_uring_cqe *cqe;

	if (q->direct)
		return;
	while (io_uring_peek_cqe(&q->ring, &cqe) == 0) {
		uint64_t ud = cqe->user_data;
		uint32_t t = (uint32_t)ud;

		if (ud == UD_WAKE) {
			/* Ended (an overflow, an error): armed again below. */
			if (!(cqe->flags & IORING_CQE_F_MORE))
				q->wake_armed = false;
			io_uring_cqe_seen(&q->ring, cqe);
			continue;
		}
		if (!(ud & UD_CANCEL) && t < q->ntargets && q->busy[t].on &&
		    q->busy[t].seq == ((ud >> 32) & 0x7fffffffu)) {
			q->busy[t].on = false;
			if (q->busy[t].owed) {
				q->busy[t].owed = false;
				q->resend[q->nresend++] = t;
			}
		}
		io_uring_cqe_seen(&q->ring, cqe);
		if (q->inflight)
			q->inflight--;
	}
	if (!q->wake_armed) {
		arm_wake(q);
		io_uring_submit(&q->ring);
	}
}

/* Worker, mutex held: whether target t (current seq) may be signalled now;
 * if not, it is owed once the pending write completes. */
bool devrt_irq_wanted(struct devrt_irq *q, uint32_t t, uint32_t seq)
{
	struct devrt_irq_busy *b = &q->busy[t];

	if (b->queued)
		return false;   /* already in this batch */
	if (b->on && b->seq == (seq & 0x7fffffffu)) {
		b->owed = true;
		return false;
	}
	return true;
}

/* Mutex held, helper up: the helper gets a copy of target t's fd for seq. */
static void helper_copy(struct devrt_irq *q, uint32_t t, uint32_t seq, int fd)
{
	struct devrt_irq_dup *d = &q->dups[t];
	int copy;

	if (d->copied && d->seq == seq)
		return;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return;   /* out of fds: the helper writes the copy it has, if any */
	pthread_mutex_lock(&q->hlock);
	if (d->next >= 0)
		close(d->next);   /* never taken: ours to close */
	d->next = copy;
	d->seq = seq;
	d->copied = true;
	pthread_mutex_unlock(&q->hlock);
}

void devrt_irq_add(struct devrt_irq *q, uint32_t t, uint32_t seq, int fd)
{
	if (q->helper_up)
		helper_copy(q, t, seq, fd);
	q->batch[q->nbatch++] = (struct devrt_irq_req){ .t = t, .seq = seq, .fd = fd };
	q->busy[t].queued = true;
}

static void direct_write(int fd)
{
	ssize_t r = write(fd, &irq_one, sizeof(irq_one));

	(void)r;   /* EAGAIN: the counter is non-zero already, which is enough */
}

/* Prepares one write (and the cancel of a replaced target's old write). */
static bool prep_one(struct devrt_irq *q, const struct devrt_irq_req *rq)
{
	struct devrt_irq_busy *b = &q->busy[rq->t];
	struct io_uring_sqe *sqe;
	unsigned need = b->on ? 2 : 1;

	if (q->inflight + need > q->cap)
		return false;   /* ring full of stuck writes: this one is dropped */
	if (b->on) {
		sqe = io_uring_get_sqe(&q->ring);
		if (!sqe)
			return false;
		io_uring_prep_cancel64(sqe, ud_make(rq->t, b->seq), 0);
		sqe->user_data = UD_CANCEL | rq->t;
		q->inflight++;
	}
	sqe = io_uring_get_sqe(&q->ring);
	if (!sqe)
		return false;
	io_uring_prep_write(sqe, rq->fd, &irq_one, sizeof(irq_one), 0);
	sqe->user_data = ud_make(rq->t, rq->seq);
	q->inflight++;
	b->on = true;
	b->seq = rq->seq & 0x7fffffffu;
	return true;
}

/*
 * Worker, mutex released, fence held: sends the batch with one syscall.
 * Writes that can proceed complete inside it; the others stay queued in the
 * kernel and complete (or are cancelled) later.
 */
void devrt_irq_submit(struct devrt_irq *q)
{
	unsigned i;

	if (q->helper_up) {
		pthread_mutex_lock(&q->hlock);
		for (i = 0; i < q->nbatch; i++) {
			q->busy[q->batch[i].t].queued = false;
			q->dups[q->batch[i].t].pending = true;
		}
		pthread_cond_signal(&q->hwake);
		pthread_mutex_unlock(&q->hlock);
		q->nbatch = 0;
		return;
	}
	for (i = 0; i < q->nbatch; i++) {
		q->busy[q->batch[i].t].queued = false;
		if (q->direct)
			direct_write(q->batch[i].fd);
		else
			prep_one(q, &q->batch[i]);
	}
	q->nbatch = 0;
	if (q->direct)
		return;
	io_uring_submit(&q->ring);
	devrt_irq_reap(q);
}
