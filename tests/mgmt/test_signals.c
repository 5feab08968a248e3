// SPDX-License-Identifier: MIT
/*
 * SIGTERM, SIGINT and SIGHUP each end uvdpad with exit status 0 within 2 s
 * (times UVDPA_TIMEOUT_MULT under sanitizers), whatever its peers do, and
 * leave nothing in the run directory: no management socket, no device
 * socket, no vhost/ directory, no lock file. The peers are wedged at the
 * protocol level: a vhost-user front end that sent half a message header and
 * stopped, one that floods requests and never reads a reply, a management
 * client that floods dumps and never reads, and one connected and silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tc.h"

#define VHOST_USER_GET_FEATURES 1
#define VHOST_USER_VERSION 0x1

static unsigned char buf[4096];

static int connect_stream(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	REQUIRE(fd >= 0 && strlen(path) < sizeof(sa.sun_path), "socket");
	strcpy(sa.sun_path, path);
	REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %s", path,
		strerror(errno));
	return fd;
}

/* 6 of the 12 header bytes of GET_FEATURES, then nothing. */
static int half_message(const char *path)
{
	uint32_t hdr[3] = { VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 0 };
	int fd = connect_stream(path);

	REQUIRE(send(fd, hdr, 6, MSG_NOSIGNAL) == 6, "send half a header");
	return fd;
}

/* GET_FEATURES until our socket is full: uvdpad's replies pile up unread. */
static int never_reads(const char *path)
{
	uint32_t hdr[3] = { VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 0 };
	int fd = connect_stream(path), i;

	for (i = 0; i < 200000; i++)
		if (send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
	REQUIRE(i > 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
		"flooding the vhost socket stopped with %s after %d requests", strerror(errno), i);
	return fd;
}

/* DEV_GET dumps without reading, until the management socket is full. */
static int mgmt_never_reads(const char *sock, uint16_t fam)
{
	int fd = tc_connect(sock), i;

	REQUIRE(fd >= 0, "connect");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 100000; i++) {
		struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
					      UVDPA_CMD_DEV_GET);

		if (send(fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) < 0)
			break;
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool rundir_empty(const char *dir, char *what, size_t size)
{
	static const char *const files[] = { "uvdpa.sock", "uvdpad.lock", "vhost",
					     "vhost/w0.sock", "vhost/w1.sock" };
	char path[600];
	struct stat st;
	unsigned i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (lstat(path, &st) == 0) {
			snprintf(what, size, "%s is left", files[i]);
			return false;
		}
	}
	snprintf(what, size, "nothing left");
	return true;
}

static void one_signal(const char *uvdpad, int sig, double limit)
{
	int fds[4], st, i;
	char path[600], what[64];
	struct tc_daemon d;
	uint16_t fam;
	double t0, dt;
	int fd;

	tc_daemon_start(&d, uvdpad);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	REQUIRE(tc_dev_add(fd, fam, "w0", "vdpasim_net", NULL) == 0, "add w0");
	REQUIRE(tc_dev_add(fd, fam, "w1", "vdpasim_blk", NULL) == 0, "add w1");
	snprintf(path, sizeof(path), "%s/vhost/w0.sock", d.rundir);
	fds[0] = half_message(path);
	snprintf(path, sizeof(path), "%s/vhost/w1.sock", d.rundir);
	fds[1] = never_reads(path);
	fds[2] = mgmt_never_reads(d.sock, fam);
	fds[3] = fd;            /* connected, silent */
	usleep(200000);         /* let uvdpad get stuck on them */

	t0 = now();
	kill(d.pid, sig);
	st = tc_wait_exit(d.pid, (int)(limit * 1000) + 2000);
	dt = now() - t0;
	if (st < 0) {
		kill(d.pid, SIGKILL);
		tc_wait_exit(d.pid, 5000);
	}
	d.pid = 0;
	CHECK(st == 0, "%s with wedged peers: exit status 0 (got %d)", strsignal(sig), st);
	CHECK(st >= 0 && dt <= limit, "%s: exited in %.2f s (at most %.1f s)", strsignal(sig), dt,
	      limit);
	CHECK(rundir_empty(d.rundir, what, sizeof(what)), "%s: run directory: %s",
	      strsignal(sig), what);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	tc_daemon_cleanup(&d);
}

int main(int argc, char **argv)
{
	const char *mult = getenv("UVDPA_TIMEOUT_MULT");
	double limit = 2.0 * (mult && atof(mult) > 1 ? atof(mult) : 1);

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	signal(SIGPIPE, SIG_IGN);
	one_signal(argv[1], SIGTERM, limit);
	one_signal(argv[1], SIGINT, limit);
	one_signal(argv[1], SIGHUP, limit);
	return tc_failures ? 1 : 0;
}
