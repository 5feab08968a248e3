// SPDX-License-Identifier: MIT
/*
 * The SIGBUS guard for peer memory (see vhost_fault.h).
 *
 * This is uvdpad's one piece of process-wide mutable state, and it has to
 * be: signal dispositions belong to the process, not to a face or a device,
 * and a handler can only find what it needs through a global. The registry
 * is a fixed array of slots claimed with compare-and-swap, so the handler
 * reads it without locks and registration never allocates.
 *
 * Why unmapping cannot race a fault: the device worker touches guest memory
 * only under the device mutex, and set_map / queue changes happen under it,
 * so a region is out of the device's map before it is unregistered and
 * unmapped. The face touches inflight areas only through device ops (under
 * the same mutex), never directly.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "vhost_fault.h"

#define FAULT_SLOTS 32768      /* unsealed regions mapped at once, all devices */

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE };

struct fault_slot {
	atomic_int state;
	_Atomic uintptr_t start;
	_Atomic size_t len;
	struct vhost_fault_owner *_Atomic owner;
};

static struct fault_slot slots[FAULT_SLOTS];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static struct fault_slot *slot_of(uintptr_t addr)
{
	for (unsigned i = 0; i < FAULT_SLOTS; i++) {
		struct fault_slot *s = &slots[i];
		uintptr_t start;

		if (atomic_load(&s->state) != SLOT_LIVE)
			continue;
		start = atomic_load(&s->start);
		if (addr >= start && addr - start < atomic_load(&s->len))
			return s;
	}
	return NULL;
}

/* Only async-signal-safe calls here: mmap, write, sigaction. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct fault_slot *s = slot_of((uintptr_t)si->si_addr);
	struct vhost_fault_owner *o;
	struct sigaction dfl;
	uint64_t one = 1;
	int saved = errno;

	(void)uc;
	if (!s) {
		/* Not peer memory: a real crash stays a crash. Returning
		 * re-executes the access, which faults again, now fatally. */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(sig, &dfl, NULL);
		return;
	}
	/* Whole region: the device reads on until its owner drops it. Not
	 * accounted (NORESERVE): a region larger than RAM and swap would be
	 * refused otherwise, and the access would fault again for ever. */
	mmap((void *)atomic_load(&s->start), atomic_load(&s->len), PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	o = atomic_load(&s->owner);
	if (o) {
		atomic_store(&o->faulted, 1);
		if (o->wake_fd >= 0 && write(o->wake_fd, &one, sizeof(one)) < 0) {
			/* the owner is already woken (counter full); nothing to do */
		}
	}
	errno = saved;
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void vhost_fault_install(void)
{
	pthread_once(&install_once, install);
}

int vhost_fault_register(void *start, size_t len, struct vhost_fault_owner *owner)
{
	for (unsigned i = 0; i < FAULT_SLOTS; i++) {
		struct fault_slot *s = &slots[i];
		int want = SLOT_FREE;

		if (!atomic_compare_exchange_strong(&s->state, &want, SLOT_CLAIMED))
			continue;
		atomic_store(&s->start, (uintptr_t)start);
		atomic_store(&s->len, len);
		atomic_store(&s->owner, owner);
		atomic_store(&s->state, SLOT_LIVE);
		return (int)i;
	}
	return -ENOSPC;
}

void vhost_fault_unregister(int slot)
{
	struct fault_slot *s;

	if (slot < 0 || slot >= FAULT_SLOTS)
		return;
	s = &slots[slot];
	atomic_store(&s->state, SLOT_CLAIMED);
	atomic_store(&s->owner, NULL);
	atomic_store(&s->state, SLOT_FREE);
}
