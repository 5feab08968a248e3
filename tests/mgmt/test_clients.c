// SPDX-License-Identifier: MIT
/*
 * Several clients at once: concurrent writers in separate processes, many
 * connections interleaved in one, and a client that never reads its dump
 * does not stall anyone else.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc.h"

#define WRITERS 6
#define PER_WRITER 40

static int writer(const char *sock, int id)
{
	char name[32];
	uint16_t fam;
	int fd = tc_connect(sock), i, bad = 0;

	if (fd < 0)
		return 1;
	fam = tc_family(fd);
	for (i = 0; i < PER_WRITER; i++) {
		snprintf(name, sizeof(name), "w%d_%d", id, i);
		if (tc_dev_add(fd, fam, name, i & 1 ? "vdpasim_blk" : "vdpasim_net", NULL))
			bad++;
		if (i % 8 == 0 && tc_dev_count(fd, fam) < 0)
			bad++;
	}
	for (i = 0; i < PER_WRITER; i += 2) {
		snprintf(name, sizeof(name), "w%d_%d", id, i);
		if (tc_dev_del(fd, fam, name, NULL))
			bad++;
	}
	close(fd);
	return bad ? 1 : 0;
}

static void concurrent_writers(const char *sock, int fd, uint16_t fam)
{
	pid_t pids[WRITERS];
	int i, ok = 0;

	fflush(stdout);
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		REQUIRE(pids[i] >= 0, "fork");
		if (pids[i] == 0)
			_exit(writer(sock, i));
	}
	for (i = 0; i < WRITERS; i++)
		if (tc_wait_exit(pids[i], 60000) == 0)
			ok++;
	CHECK(ok == WRITERS, "%d writer processes each added %d and deleted %d devices",
	      WRITERS, PER_WRITER, PER_WRITER / 2);
	CHECK(tc_dev_count(fd, fam) == WRITERS * PER_WRITER / 2, "%d devices remain",
	      WRITERS * PER_WRITER / 2);
}

static void interleaved(const char *sock, uint16_t fam)
{
	int fds[16], i, ok = 0;
	char name[32];

	for (i = 0; i < 16; i++)
		fds[i] = tc_connect(sock);
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "i%d", i);
		if (fds[i] >= 0 && tc_dev_add(fds[i], fam, name, "vdpasim_net", NULL) == 0 &&
		    tc_dev_del(fds[(i + 7) % 16], fam, name, NULL) == 0)
			ok++;
	}
	for (i = 0; i < 16; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK(ok == 16, "16 open connections, each device added on one and deleted on another");
}

static void stalled_reader(const char *sock, int fd, uint16_t fam)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	int slow = tc_connect(sock), i;

	REQUIRE(slow >= 0, "connect");
	/* Ask for big dumps and never read them. */
	for (i = 0; i < 20; i++) {
		nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_DUMP, UVDPA_CMD_DEV_CONFIG_GET);
		send(slow, nlh, nlh->nlmsg_len, MSG_DONTWAIT);
	}
	CHECK(tc_dev_add(fd, fam, "after_stall", "vdpasim_net", NULL) == 0 &&
	      tc_dev_count(fd, fam) == WRITERS * PER_WRITER / 2 + 1,
	      "another client is served while one does not read its dumps");
	close(slow);
	CHECK(tc_dev_del(fd, fam, "after_stall", NULL) == 0, "and after it hangs up");
}

int main(int argc, char **argv)
{
	struct tc_daemon d;
	uint16_t fam;
	int fd;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);

	concurrent_writers(d.sock, fd, fam);
	interleaved(d.sock, fam);
	stalled_reader(d.sock, fd, fam);

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM with %d devices",
	      WRITERS * PER_WRITER / 2);
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
