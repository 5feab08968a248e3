/* SPDX-License-Identifier: MIT */
/* vhost-user message framing on a stream socket, with SCM_RIGHTS fds. */
#ifndef UVDPA_VHOST_CONN_H
#define UVDPA_VHOST_CONN_H

#include <poll.h>
#include "vhost_user.h"

/*
 * Waits until fd has events ev, or stop_fd (if >= 0) is readable:
 * 0, -ECANCELED (stop), or -errno.
 */
int vhost_conn_wait(int fd, short ev, int stop_fd);

/*
 * Reads one message from a non-blocking socket. fds must hold
 * VHOST_USER_MAX_FDS + 1 entries: when a message carries more than
 * VHOST_USER_MAX_FDS fds they are all closed and *nfds is set to
 * VHOST_USER_MAX_FDS + 1 (entries -1) so the handler refuses it.
 * Returns 0, -ECONNRESET at end of stream, -ECANCELED when stop_fd fired,
 * -EPROTO for an oversized payload or a message cut short, or -errno.
 * *why says what was wrong with the stream for -EPROTO ("" otherwise).
 */
int vhost_conn_recv(int fd, int stop_fd, struct vhost_user_msg *m, int *fds, unsigned *nfds,
		    const char **why);

/* Sends header + payload (m->hdr.size bytes) and optional fds. */
int vhost_conn_send(int fd, int stop_fd, const struct vhost_user_msg *m,
		    const int *fds, unsigned nfds);

#endif
