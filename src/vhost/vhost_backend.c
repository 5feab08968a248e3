// SPDX-License-Identifier: MIT
/*
 * The back end's channel to the front end (SET_BACKEND_REQ_FD,
 * BACKEND_REQ): uvdpad uses it to announce config changes
 * (BACKEND_CONFIG_CHANGE_MSG) when the device raises a config interrupt, as
 * a virtio transport would.
 *
 * The daemon never waits on it: messages go out with MSG_DONTWAIT and
 * without NEED_REPLY, and whatever the front end writes back is read and
 * dropped. A front end that does not read its channel until the socket
 * buffer is full cannot be told about changes any more: that costs it its
 * connection, never a stuck connection thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_fdcheck.h"
#include "vhost_session_priv.h"

int vhost_h_set_backend_req_fd(struct vhost_session *s, int *fds, unsigned nfds)
{
	const char *why;
	int fl;

	if (!vhost_has_proto(s, VHOST_USER_PROTOCOL_F_BACKEND_REQ)) {
		vhost_logf(s, "SET_BACKEND_REQ_FD without the BACKEND_REQ protocol feature");
		return -EINVAL;
	}
	if (nfds != 1 || fds[0] < 0) {
		vhost_logf(s, "SET_BACKEND_REQ_FD without an fd");
		return -EINVAL;
	}
	if (vhost_fd_check_unix_socket(fds[0], &why)) {
		vhost_logf(s, "SET_BACKEND_REQ_FD refused: %s", why);
		return -EINVAL;
	}
	fl = fcntl(fds[0], F_GETFL);
	if (fl < 0 || fcntl(fds[0], F_SETFL, fl | O_NONBLOCK) < 0) {
		vhost_logf(s, "SET_BACKEND_REQ_FD: %s", strerror(errno));
		return -EINVAL;
	}
	vhost_backend_close(s);
	s->backend_fd = fds[0];
	fds[0] = -1;
	return 0;
}

void vhost_backend_close(struct vhost_session *s)
{
	if (s->backend_fd >= 0)
		close(s->backend_fd);
	s->backend_fd = -1;
}

/* Answers to earlier messages (we never ask for any) and anything else the
 * front end writes: read and dropped so its writes never block it. */
static void drain(struct vhost_session *s)
{
	char buf[256];

	while (recv(s->backend_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int vhost_session_notify_config(struct vhost_session *s)
{
	struct vhost_user_hdr h = {
		.request = VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
		.flags = VHOST_USER_VERSION,
		.size = 0,
	};
	ssize_t n;

	if (s->backend_fd < 0 || !vhost_has_proto(s, VHOST_USER_PROTOCOL_F_CONFIG))
		return 0;
	drain(s);
	n = send(s->backend_fd, &h, sizeof(h), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(h))
		return 0;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		/* The front end closed its end: it no longer wants to hear. */
		vhost_logf(s, "back-end channel: %s; no more config change messages",
			   strerror(errno));
		vhost_backend_close(s);
		return 0;
	}
	vhost_logf(s, "back-end channel full: the front end does not read it");
	return -EAGAIN;
}
