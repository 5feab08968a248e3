/* SPDX-License-Identifier: MIT */
/*
 * Containing SIGBUS on memory a front end can shrink.
 *
 * A front end that ftruncates the file behind a mapped region makes the next
 * access to the lost pages raise SIGBUS, which would kill the daemon with
 * every device in it. Regions that cannot shrink (F_SEAL_SHRINK) need
 * nothing; every other peer mapping is registered here. The SIGBUS handler
 * replaces a faulting region with anonymous memory, so the access (and every
 * later one) completes harmlessly, marks the region's owner faulted and
 * wakes it through its eventfd; the owner then drops its front end.
 */
#ifndef UVDPA_VHOST_FAULT_H
#define UVDPA_VHOST_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* One per connection: what a fault marks and wakes. */
struct vhost_fault_owner {
	atomic_int faulted;
	int wake_fd;            /* an eventfd the owner watches; -1: none */
};

/* Installs the process's SIGBUS handler (once; later calls do nothing). */
void vhost_fault_install(void);

/*
 * Registers [start, start+len) for owner. Returns a slot id >= 0, or
 * -ENOSPC when the registry is full. Call before the mapping is shared with
 * a device; unregister before munmap.
 */
int vhost_fault_register(void *start, size_t len, struct vhost_fault_owner *owner);
void vhost_fault_unregister(int slot);

#endif
