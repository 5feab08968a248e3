// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <uvdpa/vdpa_abi.h>

#include "cli/conn.h"

/* Large enough for any kernel dump skb (32 KiB) and any uvdpad datagram. */
#define RECV_BUF 65536
/* uvdpad answers at once; a daemon stuck for this long is reported. */
#define UNIX_TIMEOUT_S 60

char *cli_socket_path(const char *opt, FILE *err)
{
	const char *env = getenv("UVDPA_SOCK");
	const char *dir = getenv("UVDPA_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *path = NULL;
	int rc;

	if (opt)
		return strdup(opt);
	if (env && *env)
		return strdup(env);
	if (dir && *dir)
		rc = asprintf(&path, "%s/uvdpa.sock", dir);
	else if (geteuid() == 0)
		rc = asprintf(&path, "/run/uvdpa/uvdpa.sock");
	else if (xdg && *xdg)
		rc = asprintf(&path, "%s/uvdpa/uvdpa.sock", xdg);
	else {
		fprintf(err, "uvdpa: cannot locate uvdpad's socket: set UVDPA_RUNDIR or "
			"XDG_RUNTIME_DIR, or use -s PATH\n");
		return NULL;
	}
	return rc < 0 ? NULL : path;
}

static int conn_init(struct cli_conn *c, const char *what)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->what = what;
	c->seq = (uint32_t)time(NULL);
	c->buf = malloc(RECV_BUF);
	return c->buf ? 0 : -1;
}

int cli_conn_open_unix(struct cli_conn *c, const char *path, FILE *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = UNIX_TIMEOUT_S };

	if (conn_init(c, "uvdpad")) {
		fprintf(err, "uvdpa: %s\n", strerror(ENOMEM));
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(err, "uvdpa: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(err, "uvdpa: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	fprintf(err, "uvdpa: cannot reach uvdpad at %s: %s\n", path, strerror(errno));
	if (errno == ENOENT || errno == ECONNREFUSED)
		fprintf(err, "Start it with: uvdpad (or use --kernel for the kernel's vdpa devices)\n");
	return -1;
}

int cli_conn_open_kernel(struct cli_conn *c, FILE *err)
{
	int one = 1;

	if (conn_init(c, "the kernel")) {
		fprintf(err, "uvdpa: %s\n", strerror(ENOMEM));
		return -1;
	}
	c->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!c->nl)
		goto fail;
	/* Errors then carry extack messages but not our request back. */
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	c->fd = mnl_socket_get_fd(c->nl);
	return 0;
fail:
	fprintf(err, "Failed to connect to vdpa Netlink\n");
	return -1;
}

static int conn_send(struct cli_conn *c, const void *msg, size_t len, FILE *err)
{
	ssize_t n;

	if (c->nl)
		n = mnl_socket_sendto(c->nl, msg, len);
	else
		n = send(c->fd, msg, len, MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return 0;
	fprintf(err, "uvdpa: cannot send to %s: %s\n", c->what,
		n < 0 ? strerror(errno) : "short write");
	return -1;
}

static ssize_t conn_recv(struct cli_conn *c, FILE *err)
{
	struct iovec iov = { .iov_base = c->buf, .iov_len = RECV_BUF };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(c->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			fprintf(err, "uvdpa: no reply from %s in %d s\n", c->what, UNIX_TIMEOUT_S);
		else
			fprintf(err, "uvdpa: cannot receive from %s: %s\n", c->what,
				strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(err, "uvdpa: %s closed the connection\n", c->what);
		return -1;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		fprintf(err, "uvdpa: reply from %s larger than %d bytes\n", c->what, RECV_BUF);
		return -1;
	}
	return n;
}

int cli_conn_request(struct cli_conn *c, const void *msg, size_t len, struct cli_reply *r)
{
	int rc;

	if (conn_send(c, msg, len, r->err))
		return -1;
	do {
		ssize_t n = conn_recv(c, r->err);

		if (n < 0)
			return -1;
		rc = cli_reply_feed(r, c->buf, (size_t)n);
	} while (rc == CLI_REPLY_MORE);
	return rc == CLI_REPLY_DONE ? 0 : -1;
}

int cli_conn_resolve(struct cli_conn *c, FILE *err)
{
	char buf[256] = { 0 };          /* zeroed: attribute padding is sent */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	struct cli_reply r;
	int rc;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++c->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, UVDPA_GENL_NAME);

	cli_reply_init(&r, NULL, err, CLI_SHOW_FAMILY, nlh->nlmsg_seq);
	r.quiet = true;
	rc = cli_conn_request(c, buf, nlh->nlmsg_len, &r);
	if (rc == 0 && r.family) {
		c->family = r.family;
		return 0;
	}
	/* Transport failures were reported; a refused lookup is iproute2's line. */
	if (rc == 0 || r.error)
		fprintf(err, "Failed to connect to vdpa Netlink\n");
	return -1;
}

void cli_conn_close(struct cli_conn *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	else if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->nl = NULL;
	c->fd = -1;
	c->buf = NULL;
}
