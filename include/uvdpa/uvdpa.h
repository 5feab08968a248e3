/* SPDX-License-Identifier: MIT */
/*
 * libuvdpa for applications: virtio-net and virtio-blk drivers over a
 * vhost-user back end (uvdpad, qemu-storage-daemon, DPDK, SPDK ...).
 *
 *   cc app.c $(pkg-config --cflags --libs uvdpa)
 *
 * Devices living in the application's own process (the built-in
 * simulators) are reached through uvdpa/local.h. Parent drivers, which
 * implement devices, use uvdpa/device.h and uvdpa/bus.h.
 */
#ifndef UVDPA_H
#define UVDPA_H
#include <uvdpa/virtio.h>
#include <uvdpa/net.h>
#include <uvdpa/blk.h>

/*
 * Until the split into application and parent-driver headers, this header
 * also declared the bus and device model. Code inside the uvdpa tree still
 * written that way keeps compiling (the build defines UVDPA_IN_TREE);
 * new code includes uvdpa/local.h itself.
 */
#ifdef UVDPA_IN_TREE
#include <uvdpa/local.h>
#endif
#endif
