/* SPDX-License-Identifier: MIT */
/* libuvdpa: everything a program needs to run vDPA devices in-process. */
#ifndef UVDPA_H
#define UVDPA_H
#include <uvdpa/device.h>
#include <uvdpa/bus.h>
#include <uvdpa/virtio.h>
#include <uvdpa/net.h>
#include <uvdpa/blk.h>
#endif
