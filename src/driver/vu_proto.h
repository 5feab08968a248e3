/* SPDX-License-Identifier: MIT */
/*
 * The front end's half of the vhost-user wire format (QEMU
 * docs/interop/vhost-user.rst): what libuvdpa sends and how it checks what a
 * back end answers. Kept apart from the daemon's src/vhost/vhost_user.h on
 * purpose: the library links none of the daemon's code, and a front end
 * trusts replies as little as a back end trusts requests.
 *
 * All fields are native-endian, as on the wire.
 */
#ifndef UVDPA_DRIVER_VU_PROTO_H
#define UVDPA_DRIVER_VU_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SET_BACKEND_REQ_FD = 21,
	VU_GET_CONFIG = 24,
	VU_GET_INFLIGHT_FD = 31,
	VU_SET_INFLIGHT_FD = 32,
	VU_RESET_DEVICE = 34,
	VU_SET_STATUS = 39,
	VU_GET_STATUS = 40,
};

#define VU_VERSION      0x1u
#define VU_VERSION_MASK 0x3u
#define VU_F_REPLY      (1u << 2)
#define VU_F_NEED_REPLY (1u << 3)

#define VU_F_PROTOCOL_FEATURES 30       /* virtio feature bit reused by vhost-user */

#define VU_PROTO_MQ           0
#define VU_PROTO_REPLY_ACK    3
#define VU_PROTO_BACKEND_REQ  5
#define VU_PROTO_CONFIG       9
#define VU_PROTO_INFLIGHT_SHMFD 12
#define VU_PROTO_RESET_DEVICE 13
#define VU_PROTO_STATUS       16

/* Requests a back end sends on the channel SET_BACKEND_REQ_FD gave it. */
#define VU_BACKEND_CONFIG_CHANGE_MSG 2

#define VU_MAX_REGIONS   8
#define VU_CONFIG_HDR    12u
#define VU_CONFIG_MAX    256u   /* QEMU's VHOST_USER_MAX_CONFIG_SIZE */

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vu_state {
	uint32_t index;
	uint32_t num;
};

/* Same layout as the kernel's struct vhost_vring_addr. */
struct vu_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;          /* front-end virtual addresses */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vu_mem {
	uint32_t nregions;
	uint32_t padding;
	struct vu_region regions[VU_MAX_REGIONS];
};

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VU_CONFIG_MAX];
};

/* GET/SET_INFLIGHT_FD (QEMU's VhostUserInflight, padding included: 24 bytes). */
struct vu_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
};

union vu_payload {
	uint64_t u64;
	struct vu_state state;
	struct vu_addr addr;
	struct vu_mem mem;
	struct vu_config config;
	struct vu_inflight inflight;
};

#define VU_PAYLOAD_MAX ((uint32_t)sizeof(union vu_payload))

struct vu_msg {
	struct vu_hdr hdr;
	union vu_payload p;
};

/* Name of a request for messages ("GET_CONFIG"), "request N" style if unknown. */
const char *vu_request_name(uint32_t request);

/*
 * Checks a reply header against the request it answers: version 1, the
 * REPLY flag, the same request code, a payload that fits. 0 or -EPROTO.
 */
int vu_check_hdr(const struct vu_hdr *h, uint32_t request);

/*
 * Typed checks of a received reply (header already checked). Each returns 0
 * or -EPROTO when the payload does not have exactly the size the request
 * calls for or a field echoes the wrong thing.
 */
int vu_parse_u64(const struct vu_msg *m, uint64_t *out);
/* GET_VRING_BASE: a vring state for ring index. */
int vu_parse_state(const struct vu_msg *m, uint32_t index, uint32_t *num);
/*
 * GET_CONFIG asked for size bytes at offset 0: the reply must echo offset
 * and size and carry exactly size bytes. A reply of size 0 is the back
 * end's way to refuse: -EIO.
 */
int vu_parse_config(const struct vu_msg *m, uint32_t size, const uint8_t **data);

/*
 * GET_INFLIGHT_FD answering for num_queues queues of queue_size entries:
 * echoes both; mmap_size 0 means the back end has no area for us (-EIO).
 */
int vu_parse_inflight(const struct vu_msg *m, uint16_t num_queues, uint16_t queue_size,
		      struct vu_inflight *out);

/*
 * Checks the header of a request the back end sent on its channel: version
 * 1, no REPLY flag, a payload that fits. 0 or -EPROTO.
 */
int vu_check_backend_hdr(const struct vu_hdr *h);

/*
 * What the front end does with a back-end request whose header is checked:
 * BACKEND_CONFIG_CHANGE_MSG (no payload) sets *config_changed and is
 * handled (0); any other request is refused (1: the answer to give when the
 * back end asks for one), as this front end negotiates none of the features
 * that bring them. -EPROTO for a CONFIG_CHANGE_MSG with a payload.
 */
int vu_backend_verdict(const struct vu_msg *m, bool *config_changed);

/*
 * Parses one whole back-end request of len bytes into out (as the channel
 * does with bytes off its socket) and judges it (vu_backend_verdict): the
 * verdict, or -EPROTO. For the fuzz harness and the tests.
 */
int vu_parse_backend_msg(const void *buf, size_t len, struct vu_msg *out,
			 bool *config_changed);

/*
 * Parses one whole reply datagram of len bytes (header and payload) into out,
 * as the transport does with bytes off the socket: 0 or -EPROTO. For the
 * fuzz harness and the tests.
 */
int vu_parse_reply(const void *buf, size_t len, uint32_t request, struct vu_msg *out);

#endif
