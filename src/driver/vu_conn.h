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
	/*
	 * While a reply is awaited, side_fd (-1: none) is watched too, and
	 * side(side_arg) runs when it is readable: the back end's own channel,
	 * whose requests it may wait on before it answers ours (libvhost-user
	 * does, with REPLY_ACK). Set after vu_conn_open/adopt, which clear it.
	 */
	int side_fd;
	void (*side)(void *arg);
	void *side_arg;
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

/*
 * The back end's channel (SET_BACKEND_REQ_FD), where the roles swap: takes
 * one request if one is pending, without waiting for it to start (-EAGAIN:
 * none), but at most timeout_ms for the rest of it. Fds it brings are
 * closed. 0, -EAGAIN, or the connection's error (-ECONNRESET when the back
 * end closed the channel, -EPROTO for a malformed header).
 */
int vu_conn_recv_request(struct vu_conn *c, struct vu_msg *m);
/* Answers request req (it asked with NEED_REPLY) with a u64 verdict. */
int vu_conn_answer(struct vu_conn *c, const struct vu_hdr *req, uint64_t verdict);

/* Marks the connection dead with err (a protocol error found by a caller). */
int vu_conn_fail(struct vu_conn *c, int err);

#endif
