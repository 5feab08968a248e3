// SPDX-License-Identifier: MIT
/*
 * GENL_ADMIN_PERM: an unprivileged peer (nobody) gets EPERM for DEV_NEW,
 * DEV_DEL, DEV_VSTATS_GET and DEV_ATTR_SET, and can still read; the same
 * user holding CAP_NET_ADMIN may write. The capability counts when a request
 * is sent, not when the connection was made: dropping it loses the right at
 * once, and a socket handed to a process without the capability is of no
 * use to it, whether the process that opened it lives on or not.
 */
#include <errno.h>
#include <signal.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tc.h"

#define NOBODY 65534

static unsigned char buf[4096];

static struct nlmsghdr *req(uint16_t fam, uint8_t cmd, uint16_t flags, const char *dev)
{
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK | flags, cmd);

	if (dev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, dev);
	return nlh;
}

static void expect_eperm(int fd, struct nlmsghdr *nlh, const char *what)
{
	struct tc_result r;

	CHECK(tc_transact(fd, nlh, &r) && r.error == -EPERM && r.extack[0] == '\0' &&
	      r.n_msgs == 0, "%s -> EPERM, no message (got %d \"%s\")", what, r.error, r.extack);
	tc_result_free(&r);
}

static void unprivileged(const char *sock)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct nlmsghdr *nlh;
	struct tc_result r;
	uint16_t fam;
	int fd = tc_connect(sock);

	REQUIRE(fd >= 0, "nobody cannot connect: %s", strerror(errno));
	fam = tc_family(fd);
	CHECK(fam == 0x20, "nobody: family lookup works");
	nlh = req(fam, UVDPA_CMD_MGMTDEV_GET, NLM_F_DUMP, NULL);
	CHECK(tc_transact(fd, nlh, &r) && r.done && r.n_msgs == 4, "nobody: MGMTDEV_GET dump works");
	tc_result_free(&r);
	CHECK(tc_dev_count(fd, fam) == 1, "nobody: DEV_GET dump works");
	nlh = req(fam, UVDPA_CMD_DEV_CONFIG_GET, 0, "net0");
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1,
	      "nobody: CONFIG_GET net0 works");
	tc_result_free(&r);

	nlh = req(fam, UVDPA_CMD_DEV_NEW, 0, "evil");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	expect_eperm(fd, nlh, "nobody: DEV_NEW");
	nlh = req(fam, UVDPA_CMD_DEV_NEW, 0, NULL);
	mnl_attr_put_u32(nlh, 99, 0);
	expect_eperm(fd, nlh, "nobody: DEV_NEW with a bad attribute (permission checked first)");
	expect_eperm(fd, req(fam, UVDPA_CMD_DEV_DEL, 0, "net0"), "nobody: DEV_DEL");
	nlh = req(fam, UVDPA_CMD_DEV_VSTATS_GET, 0, "net0");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	expect_eperm(fd, nlh, "nobody: DEV_VSTATS_GET");
	nlh = req(fam, UVDPA_CMD_DEV_ATTR_SET, 0, "net0");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	expect_eperm(fd, nlh, "nobody: DEV_ATTR_SET");
	close(fd);
}

/* nobody, keeping only CAP_NET_ADMIN. */
static bool become_nobody_with_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		return false;
	data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;
	return syscall(SYS_capset, &h, data) == 0;
}

/* CAP_NET_ADMIN effective or not (it stays permitted, to be raised again). */
static bool set_net_admin(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].permitted = 1u << CAP_NET_ADMIN;
	data[0].effective = on ? 1u << CAP_NET_ADMIN : 0;
	return syscall(SYS_capset, &h, data) == 0;
}

static int dev_new_err(int fd, uint16_t fam, const char *name)
{
	struct nlmsghdr *nlh = req(fam, UVDPA_CMD_DEV_NEW, 0, name);
	struct tc_result r;
	int err;

	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	err = tc_transact(fd, nlh, &r) ? r.error : 1;
	tc_result_free(&r);
	return err;
}

/* The process that connected exits; its child, without the capability,
 * keeps the socket and tries to write. */
static void orphaned_socket(const char *sock)
{
	int fd = tc_connect(sock), st = 0;
	uint16_t fam;
	pid_t pid;

	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		REQUIRE(set_net_admin(false), "capset");
		/* Wait until the opener (our parent) is gone. */
		while (getppid() != 1 && kill(getppid(), 0) == 0 && st++ < 1000)
			usleep(5000);
		usleep(50000);
		CHECK(dev_new_err(fd, fam, "orphan") == -EPERM,
		      "socket kept by a process without CAP_NET_ADMIN after its opener exited -> EPERM");
		fflush(stdout);
		_exit(tc_failures ? 1 : 0);
	}
	close(fd);
	/* The grandchild reports through the log; its status goes nowhere, so
	 * the parent of this process checks the device list instead. */
}

/* A child that dropped CAP_NET_ADMIN writes on our socket while we live. */
static void shared_socket(int fd, uint16_t fam)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		REQUIRE(set_net_admin(false), "capset");
		CHECK(dev_new_err(fd, fam, "shared") == -EPERM,
		      "socket shared with a process without CAP_NET_ADMIN, opener alive -> EPERM");
		fflush(stdout);
		_exit(tc_failures ? 1 : 0);
	}
	CHECK(tc_wait_exit(pid, 10000) == 0, "the sharing child's checks passed");
}

static void with_cap(const char *sock)
{
	uint16_t fam;
	int fd = tc_connect(sock);

	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	CHECK(tc_dev_add(fd, fam, "capnet", "vdpasim_net", NULL) == 0,
	      "nobody + CAP_NET_ADMIN: DEV_NEW works");
	CHECK(tc_dev_del(fd, fam, "capnet", NULL) == 0, "nobody + CAP_NET_ADMIN: DEV_DEL works");
	REQUIRE(set_net_admin(false), "capset: drop CAP_NET_ADMIN");
	CHECK(dev_new_err(fd, fam, "dropped") == -EPERM,
	      "CAP_NET_ADMIN dropped after connecting -> EPERM on the same connection");
	REQUIRE(set_net_admin(true), "capset: raise CAP_NET_ADMIN");
	CHECK(dev_new_err(fd, fam, "raised") == 0 && tc_dev_del(fd, fam, "raised", NULL) == 0,
	      "CAP_NET_ADMIN raised again -> DEV_NEW works");
	close(fd);
	/* A request right after connect (before uvdpad accepted, so without
	 * SCM_CREDENTIALS) is the opener's. */
	fd = tc_connect(sock);
	REQUIRE(fd >= 0, "connect");
	CHECK(dev_new_err(fd, fam, "early") == 0 && tc_dev_del(fd, fam, "early", NULL) == 0,
	      "DEV_NEW sent at once after connecting works");
	close(fd);
	/* A child without the capability sends on its live parent's socket:
	 * the sender counts, as in the kernel. */
	fd = tc_connect(sock);
	REQUIRE(fd >= 0 && tc_family(fd) == fam, "connect");
	shared_socket(fd, fam);
	close(fd);
	/* Without the capability when connecting: raising it later is not
	 * enough (the kernel checks the socket opener's credentials too). */
	REQUIRE(set_net_admin(false), "capset: drop CAP_NET_ADMIN");
	fd = tc_connect(sock);
	REQUIRE(fd >= 0 && tc_family(fd) == fam, "connect (a round trip: uvdpad has accepted)");
	REQUIRE(set_net_admin(true), "capset: raise CAP_NET_ADMIN");
	CHECK(dev_new_err(fd, fam, "late") == -EPERM,
	      "CAP_NET_ADMIN raised only after connecting -> EPERM");
	close(fd);
	orphaned_socket(sock);
}

static int run_child(const char *sock, bool cap)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		if (cap) {
			REQUIRE(become_nobody_with_net_admin(), "capset: %s", strerror(errno));
			with_cap(sock);
		} else {
			REQUIRE(setgid(NOBODY) == 0 && setuid(NOBODY) == 0, "setuid nobody");
			unprivileged(sock);
		}
		fflush(stdout);
		_exit(tc_failures ? 1 : 0);
	}
	return tc_wait_exit(pid, 30000);
}

int main(int argc, char **argv)
{
	struct tc_daemon d;
	uint16_t fam;
	int fd;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	REQUIRE(geteuid() == 0, "this test needs root (to become nobody)");
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	REQUIRE(tc_dev_add(fd, fam, "net0", "vdpasim_net", NULL) == 0, "DEV_NEW net0");

	/* Access to the socket is the administrator's choice (mode, group). */
	CHECK(chmod(d.rundir, 0755) == 0 && chmod(d.sock, 0666) == 0, "socket opened to everyone");
	CHECK(run_child(d.sock, false) == 0, "unprivileged client checks passed");
	CHECK(tc_dev_count(fd, fam) == 1, "still exactly one device (net0)");
	CHECK(run_child(d.sock, true) == 0, "CAP_NET_ADMIN client checks passed");
	/* The orphaned socket's owner has no one to report to: look for its device. */
	usleep(500000);
	CHECK(tc_dev_count(fd, fam) == 1, "the orphaned socket created no device");

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
