// SPDX-License-Identifier: MIT
/*
 * GENL_ADMIN_PERM: an unprivileged peer (nobody) gets EPERM for DEV_NEW,
 * DEV_DEL, DEV_VSTATS_GET and DEV_ATTR_SET, and can still read; the same
 * user holding CAP_NET_ADMIN may write.
 */
#include <errno.h>
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
	CHECK(tc_transact(fd, nlh, &r) && r.done && r.n_msgs == 3, "nobody: MGMTDEV_GET dump works");
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

static void with_cap(const char *sock)
{
	uint16_t fam;
	int fd = tc_connect(sock);

	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	CHECK(tc_dev_add(fd, fam, "capnet", "vdpasim_net", NULL) == 0,
	      "nobody + CAP_NET_ADMIN: DEV_NEW works");
	CHECK(tc_dev_del(fd, fam, "capnet", NULL) == 0, "nobody + CAP_NET_ADMIN: DEV_DEL works");
	close(fd);
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

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
