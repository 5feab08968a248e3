// SPDX-License-Identifier: MIT
/*
 * The daemon's life: a second uvdpad on the same run directory refuses, a
 * stale socket from a crashed one is replaced, SIGTERM/SIGINT delete every
 * device and remove every socket and exit 0; options and run directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc.h"

static const char *uvdpad;

static bool log_has(const char *log, const char *needle)
{
	char text[16384];
	ssize_t n;
	int fd = open(log, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return strstr(text, needle) != NULL;
}

static void second_daemon(struct tc_daemon *d)
{
	char log[400];
	pid_t pid;

	snprintf(log, sizeof(log), "%s.second", d->log);
	pid = tc_daemon_spawn(uvdpad, d->rundir, log);
	CHECK(tc_wait_exit(pid, 10000) == 1, "a second uvdpad on the same run directory exits 1");
	CHECK(log_has(log, "another uvdpad (pid ") && log_has(log, "is already running on"),
	      "and says another uvdpad is running");
	unlink(log);
	CHECK(tc_daemon_alive(d), "the first one keeps running");
}

static void sigterm_cleans_up(struct tc_daemon *d, int sig)
{
	char sock[400];
	struct stat st;
	uint16_t fam;
	int fd = tc_connect(d->sock);

	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	CHECK(tc_dev_add(fd, fam, "net0", "vdpasim_net", NULL) == 0 &&
	      tc_dev_add(fd, fam, "blk0", "vdpasim_blk", NULL) == 0, "two devices created");
	snprintf(sock, sizeof(sock), "%s/net0.sock", d->rundir);
	CHECK(stat(d->sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660,
	      "uvdpa.sock is a socket with mode 0660");
	close(fd);
	kill(d->pid, sig);
	CHECK(tc_wait_exit(d->pid, 30000) == 0, "%s: exit 0", strsignal(sig));
	d->pid = 0;
	CHECK(access(d->sock, F_OK) < 0, "uvdpa.sock removed");
	CHECK(access(sock, F_OK) < 0, "device sockets removed");
	CHECK(log_has(d->log, "device net0 removed") && log_has(d->log, "device blk0 removed"),
	      "every device deleted on the way out");
}

static void stale_socket(struct tc_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	/* What a crash leaves: a bound socket file nobody listens on. */
	REQUIRE(strlen(d->sock) < sizeof(sa.sun_path), "socket path too long");
	memcpy(sa.sun_path, d->sock, strlen(d->sock) + 1);
	REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind stale");
	close(fd);
	CHECK(tc_connect(d->sock) < 0 && errno == ECONNREFUSED, "stale socket refuses connections");
	d->pid = tc_daemon_spawn(uvdpad, d->rundir, d->log);
	CHECK(tc_daemon_wait_ready(d->sock, d->pid), "uvdpad starts over the stale socket");
	CHECK(log_has(d->log, "replacing stale socket"), "and says it replaced it");
}

static void options(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "%s -V | grep -q '^uvdpad '", uvdpad);
	CHECK(system(cmd) == 0, "-V prints the version");
	snprintf(cmd, sizeof(cmd), "%s -h | grep -q '^Usage: uvdpad'", uvdpad);
	CHECK(system(cmd) == 0, "-h prints the usage and exits 0");
	snprintf(cmd, sizeof(cmd), "%s -l loud 2>/dev/null", uvdpad);
	CHECK(WEXITSTATUS(system(cmd)) == 1, "an unknown log level exits 1");
	snprintf(cmd, sizeof(cmd), "%s extra 2>/dev/null", uvdpad);
	CHECK(WEXITSTATUS(system(cmd)) == 1, "a stray argument exits 1");
}

/* $UVDPA_RUNDIR is used when -r is not given; -d returns once it listens. */
static void env_rundir_and_daemonize(void)
{
	struct tc_daemon d;
	char cmd[800];
	char pidtxt[32] = "";
	int fd;

	d.pid = 0;
	snprintf(d.rundir, sizeof(d.rundir), "/tmp/uvdpa-mgmt-env.XXXXXX");
	REQUIRE(mkdtemp(d.rundir), "mkdtemp");
	snprintf(d.sock, sizeof(d.sock), "%s/uvdpa.sock", d.rundir);
	snprintf(d.log, sizeof(d.log), "%s.log", d.rundir);
	snprintf(cmd, sizeof(cmd), "UVDPA_RUNDIR=%s/sub %s -d 2>>%s", d.rundir, uvdpad, d.log);
	CHECK(system(cmd) == 0, "uvdpad -d returns 0");
	snprintf(d.sock, sizeof(d.sock), "%s/sub/uvdpa.sock", d.rundir);
	CHECK(tc_daemon_wait_ready(d.sock, 0), "and serves $UVDPA_RUNDIR/sub/uvdpa.sock");
	snprintf(cmd, sizeof(cmd), "%s/sub/uvdpad.lock", d.rundir);
	/* The child writes its pid right after the fork; give it time. */
	for (int i = 0; i < 1000 && d.pid <= 0; i++) {
		fd = open(cmd, O_RDONLY);
		if (fd >= 0 && read(fd, pidtxt, sizeof(pidtxt) - 1) > 0)
			d.pid = (pid_t)atoi(pidtxt);
		if (fd >= 0)
			close(fd);
		if (d.pid <= 0)
			usleep(10000);
	}
	CHECK(d.pid > 0 && kill(d.pid, SIGTERM) == 0, "lock file holds the daemon's pid %d", d.pid);
	for (int i = 0; i < 3000 && access(d.sock, F_OK) == 0; i++)
		usleep(10000);
	CHECK(access(d.sock, F_OK) < 0, "daemonized uvdpad cleans up on SIGTERM");
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d.rundir, d.log);
	CHECK(system(cmd) == 0, "cleanup");
}

int main(int argc, char **argv)
{
	struct tc_daemon d;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	uvdpad = argv[1];
	options();
	tc_daemon_start(&d, uvdpad);
	second_daemon(&d);
	sigterm_cleans_up(&d, SIGTERM);
	stale_socket(&d);
	sigterm_cleans_up(&d, SIGINT);
	tc_daemon_cleanup(&d);
	env_rundir_and_daemonize();
	return tc_failures ? 1 : 0;
}
