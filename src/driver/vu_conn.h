/* SPDX-License-Identifier: MIT */
/*
 * One vhost-user connection seen from the front end: messages out, checked
 * replies in, every wait bounded by a timeout. The first failure (closed
 * socket, timeout, malformed reply) is remembered and ends the connection:
 * after it the framing cannot be trusted, so every later call fails at
 * once with the same error instead of waiting again.
 */
#ifndef UVDPA_DRIVER_VU_CONN_H
#define UVDPA_DRIVER_VU_CONN_H

#include <stdint.h>

#include "driver/vu_proto.h"

struct vu_conn {
	int fd;
	int timeout_ms;         /* per reply */
	int err;                /* 0, or why the connection is dead */
	bool reply_ack;         /* REPLY_ACK negotiated */
};

/* Connects to a listening vhost-user socket: 0 or a negative errno. */
int vu_conn_open(struct vu_conn *c, const char *path, int timeout_ms);
/* Takes fd, a connected stream socket (tests, fuzzing). */
void vu_conn_adopt(struct vu_conn *c, int fd, int timeout_ms);
void vu_conn_close(struct vu_conn *c);

/*
 * Sends a request that has no reply of its own. With REPLY_ACK it asks for
 * the back end's verdict: -EIO if it refused. Otherwise 0, or the
 * connection's error.
 */
int vu_conn_request(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		    const int *fds, unsigned nfds);

/* Sends a request that always has a reply and receives it, checked by vu_check_hdr. */
int vu_conn_get(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		struct vu_msg *reply);

/*
 * vu_conn_get for a reply that brings one fd (GET_INFLIGHT_FD): *fd is the
 * caller's once the exchange succeeds, -1 if none came; closed on failure.
 */
int vu_conn_get_fd(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
		   struct vu_msg *reply, int *fd);

/* GET_* that answers a u64 (features, queue count, status). */
int vu_conn_get_u64(struct vu_conn *c, uint32_t req, uint64_t *out);

/* Marks the connection dead with err (a protocol error found by a caller). */
int vu_conn_fail(struct vu_conn *c, int err);

#endif
