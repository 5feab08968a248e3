/* SPDX-License-Identifier: MIT */
/*
 * One vhost-user session: the state a front end builds over its connection
 * (features, memory table, rings) and the mapping of each message onto the
 * device ops. No sockets here: the face reads messages and feeds them in,
 * and so does the fuzzer.
 */
#ifndef UVDPA_VHOST_SESSION_H
#define UVDPA_VHOST_SESSION_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <uvdpa/device.h>
#include "vhost_user.h"

struct vhost_session;

typedef void (*vhost_log_fn)(void *opaque, const char *line);

/* log may be NULL (silent). */
struct vhost_session *vhost_session_new(struct uvdpa_device *dev, vhost_log_fn log,
					void *log_opaque);
/* Resets the device and releases everything (as vhost_session_reset). */
void vhost_session_free(struct vhost_session *s);

/*
 * The front end went away or was dropped: the device is reset (status 0, no
 * ring ready, empty map), every mapping is unmapped and every fd closed; the
 * session is as new for the next front end.
 */
void vhost_session_reset(struct vhost_session *s);

/*
 * Handles one message. The session takes ownership of all nfds fds (keeps or
 * closes them). *reply is filled and *has_reply set when the front end
 * expects an answer. Returns 0, or a negative errno when the connection must
 * be dropped (framing violation, or a failure the front end cannot be told
 * about because it did not ask for REPLY_ACK).
 */
int vhost_session_handle(struct vhost_session *s, const struct vhost_user_msg *msg,
			 int *fds, unsigned nfds, struct vhost_user_msg *reply,
			 bool *has_reply);

/*
 * The fd that travels with the last reply (GET_INFLIGHT_FD), or -1. It
 * stays the session's: send it before the next message is handled.
 */
int vhost_session_reply_fd(const struct vhost_session *s);

/*
 * Kick relay for devices without set_vq_kick_fd: the kick fds of live rings
 * to poll (returns how many were written, at most max), and the forwarding
 * of a readable one.
 */
unsigned vhost_session_kick_fds(struct vhost_session *s, struct pollfd *pfd,
				unsigned max, uint16_t *ring);
void vhost_session_relay_kick(struct vhost_session *s, uint16_t ring);

#endif
