/* SPDX-License-Identifier: MIT */
/*
 * The virtio device status byte (virtio 1.2 §2.1), shared by both sides of
 * uvdpa as <linux/virtio_config.h> is in the kernel: applications read it
 * with uvdpa_virtio_status, parent drivers implement it in their ops.
 */
#ifndef UVDPA_VIRTIO_CONFIG_H
#define UVDPA_VIRTIO_CONFIG_H

#define UVDPA_STATUS_ACKNOWLEDGE   0x01
#define UVDPA_STATUS_DRIVER        0x02
#define UVDPA_STATUS_DRIVER_OK     0x04
#define UVDPA_STATUS_FEATURES_OK   0x08
#define UVDPA_STATUS_NEEDS_RESET   0x40
#define UVDPA_STATUS_FAILED        0x80

#endif
