// SPDX-License-Identifier: MIT
/*
 * Type=notify: systemd waits for READY=1 on the datagram socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@'),
 * so "systemctl start uvdpad" returns once clients can connect and the saved
 * devices are back.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/notify.h"

void notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[64];
	size_t len;
	int fd, n;

	if (!path || !path[0])
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		dlog(DLOG_WARN, "NOTIFY_SOCKET \"%s\" is not a socket address", path);
		return;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	/* MAINPID: with -d the process systemd started is gone. */
	n = snprintf(msg, sizeof(msg), "%s\nMAINPID=%ld", state, (long)getpid());
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		dlog(DLOG_WARN, "cannot notify systemd on %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}
