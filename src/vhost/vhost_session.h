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
 * Kick relay for devices without set_vq_kick_fd: an fd (epoll, -1 while no
 * ring needs relaying) that is readable when kicks are pending, and the
 * forwarding of those kicks to the device. Never blocks. The fd may change
 * after any message.
 */
int vhost_session_kick_fd(const struct vhost_session *s);
void vhost_session_relay_kicks(struct vhost_session *s);

/*
 * Memory faults: the eventfd the SIGBUS guard writes when memory the front
 * end shared shrinks under the device (-1: none), and whether that
 * happened since the last reset. A faulted session must be dropped.
 */
/* A front end comes (fd >= 0) or goes (-1, after vhost_session_reset). */
void vhost_session_set_wake_fd(struct vhost_session *s, int fd);
/* Readable when the device raised a config interrupt (a stopped queue, a
 * new MAC); -1 while no front end is connected. */
int vhost_session_config_fd(const struct vhost_session *s);
/* Consumes a config interrupt: true if the device now needs a reset, which
 * a vhost-user front end cannot be told, so it must be dropped. */
bool vhost_session_needs_reset(struct vhost_session *s);
/*
 * After a config interrupt that needs no reset: tells the front end on its
 * channel (BACKEND_CONFIG_CHANGE_MSG) if it gave one. Never blocks. 0, or
 * -EAGAIN when the front end leaves its channel full: drop it.
 */
int vhost_session_notify_config(struct vhost_session *s);
bool vhost_session_faulted(const struct vhost_session *s);

#endif
