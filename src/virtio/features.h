/* SPDX-License-Identifier: MIT */
/*
 * Feature-bit names as iproute2's `vdpa` prints them (kernel-vdpa.md §9.4).
 */
#ifndef UVDPA_VIRTIO_FEATURES_H
#define UVDPA_VIRTIO_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* Transport feature range of the latest kernel's virtio_config.h. */
#define UVDPA_TRANSPORT_F_START 28
#define UVDPA_TRANSPORT_F_END   42

/*
 * Name of feature bit for a device of virtio_device_id (1 = net), or NULL
 * when iproute2 has none (it prints bit_<N>). Transport bits 28..41 use the
 * transport table (iproute2's bundled header ends the range at 41); other
 * bits use the net table for net devices and have no name otherwise.
 */
const char *uvdpa_feature_name(uint32_t virtio_device_id, unsigned bit);

/* Bits 28..42: transport features, not device-class ones. */
bool uvdpa_feature_is_transport(unsigned bit);

#endif
