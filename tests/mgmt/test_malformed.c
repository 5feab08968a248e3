// SPDX-License-Identifier: MIT
/*
 * Malformed datagrams: each gets an error reply where a header can be read,
 * nothing is executed or changed, and the daemon keeps serving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tc.h"

static int fd;
static uint16_t fam;

static void expect_raw(const void *data, size_t len, int err, const char *msg, const char *what)
{
	struct tc_result r;
	bool ok = tc_transact_raw(fd, data, len, &r);

	CHECK(ok && r.error == err && strcmp(r.extack, msg) == 0,
	      "%s -> %d \"%s\" (got %d \"%s\")", what, err, msg, r.error, r.extack);
	tc_result_free(&r);
}

/* A DEV_NEW for "evil" that must never be executed. */
static struct nlmsghdr *evil(void *buf)
{
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_NEW);

	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "evil");
	return nlh;
}

static void headers(void)
{
	static unsigned char big[70000];
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	size_t len;

	nlh = evil(buf);
	expect_raw(buf, 10, -EINVAL, "truncated netlink message header", "10-byte datagram");
	len = nlh->nlmsg_len;
	nlh->nlmsg_len = 8;
	expect_raw(buf, len, -EINVAL, "invalid netlink message length", "nlmsg_len 8");
	nlh->nlmsg_len = (uint32_t)len + 100;
	expect_raw(buf, len, -EINVAL, "invalid netlink message length",
		   "nlmsg_len past the datagram");
	nlh->nlmsg_len = 18;
	expect_raw(buf, 18, -EINVAL, "", "genl header cut short (18 bytes)");
	nlh->nlmsg_len = (uint32_t)len;
	expect_raw(buf, len - 3, -EINVAL, "invalid netlink message length",
		   "datagram shorter than nlmsg_len");

	evil(big);
	expect_raw(big, sizeof(big), -EMSGSIZE, "message too long", "70000-byte datagram");

	nlh = evil(buf);
	nlh->nlmsg_flags = NLM_F_ACK;
	expect_raw(buf, nlh->nlmsg_len, 0, "", "not a request: only acked");
	nlh = evil(buf);
	nlh->nlmsg_type = NLMSG_NOOP;
	expect_raw(buf, nlh->nlmsg_len, 0, "", "NLMSG_NOOP: only acked");
}

static void wrong_types(void)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh;

	nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_NEW);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, 7);
	mnl_attr_put_u8(nlh, UVDPA_ATTR_DEV_NAME, 'x');
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, 1500);
	expect_raw(buf, nlh->nlmsg_len, -EINVAL, "invalid attribute length",
		   "u64 where the policy says u16");
	nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_NEW);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "evil");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, "00:11:22:33:44:55");
	expect_raw(buf, nlh->nlmsg_len, -ERANGE, "binary attribute size out of range",
		   "MAC as a string");
	nlh = evil(buf);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "evil2");
	expect_raw(buf, nlh->nlmsg_len, -EINVAL, "Duplicate attribute", "duplicate DEV_NAME");
	nlh = evil(buf);
	mnl_attr_put_u32(nlh, 1000, 0);
	expect_raw(buf, nlh->nlmsg_len, -EINVAL, "Unknown attribute type", "unknown attribute 1000");
	nlh = evil(buf);
	/* An attribute whose length runs past the message. */
	((struct nlattr *)((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len = 200;
	expect_raw(buf, nlh->nlmsg_len, -EINVAL, "bytes leftover after parsing attributes",
		   "attribute length past the end");
}

/* Two requests in one datagram: both answered, in order. */
static void batched(void)
{
	unsigned char buf[8192];
	struct nlmsghdr *a = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_GET);
	struct nlmsghdr *b;
	unsigned char rbuf[4096];
	int ok = 0;

	mnl_attr_put_strz(a, UVDPA_ATTR_DEV_NAME, "nosuch1");
	b = tc_req(buf + a->nlmsg_len, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_GET);
	mnl_attr_put_strz(b, UVDPA_ATTR_DEV_NAME, "nosuch2");
	REQUIRE(send(fd, buf, a->nlmsg_len + b->nlmsg_len, 0) > 0, "send");
	for (int i = 0; i < 2; i++) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		const struct nlmsghdr *r = (const void *)rbuf;

		if (n > 0 && r->nlmsg_type == NLMSG_ERROR &&
		    r->nlmsg_seq == (i == 0 ? a->nlmsg_seq : b->nlmsg_seq) &&
		    ((const struct nlmsgerr *)mnl_nlmsg_get_payload(r))->error == -ENODEV)
			ok++;
	}
	CHECK(ok == 2, "two messages in one datagram: two answers in order");
}

/*
 * Random bytes, and random mutations of a valid request. Each is followed by
 * a marker request; its answer shows the daemon has dealt with the garbage.
 */
static void garbage(void)
{
	unsigned char buf[4096], mark[256], rbuf[65536];
	unsigned i, answered = 0;
	struct timeval tv = { .tv_sec = 5 };

	/* A marker that is never answered fails the check instead of hanging. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	srand(42);
	for (i = 0; i < 2000; i++) {
		struct nlmsghdr *m = tc_req(mark, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY);
		size_t len = 1 + (size_t)rand() % 200, j;
		bool seen = false;

		mnl_attr_put_strz(m, CTRL_ATTR_FAMILY_NAME, "vdpa");
		m->nlmsg_seq = 0x7fff0000u + i;
		if (i & 1) {
			struct nlmsghdr *nlh = evil(buf);

			len = nlh->nlmsg_len;
			for (j = 0; j < 3; j++)
				buf[(size_t)rand() % len] = (unsigned char)rand();
			/* Keep it a request for another name, should it survive. */
			memcpy(buf + len - 8, "xx\0\0", 4);
		} else {
			for (j = 0; j < len; j++)
				buf[j] = (unsigned char)rand();
		}
		if (send(fd, buf, len, 0) < 0 || send(fd, m, m->nlmsg_len, 0) < 0)
			break;
		while (!seen) {
			ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
			const struct nlmsghdr *r = (const void *)rbuf;
			int left = (int)n;

			if (n <= 0)
				break;
			for (; mnl_nlmsg_ok(r, left); r = mnl_nlmsg_next(r, &left))
				if (r->nlmsg_seq == m->nlmsg_seq && r->nlmsg_type == GENL_ID_CTRL)
					seen = true;
		}
		answered += seen;
	}
	CHECK(answered == 2000, "2000 random and mutated datagrams, each followed by a request "
	      "that was answered (%u)", answered);
}

int main(int argc, char **argv)
{
	struct tc_daemon d;
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	struct tc_result r;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);
	REQUIRE(tc_dev_add(fd, fam, "keep", "vdpasim_net", NULL) == 0, "DEV_NEW keep");

	headers();
	wrong_types();
	batched();
	CHECK(tc_dev_count(fd, fam) == 1, "nothing was created: only \"keep\" exists");
	garbage();
	close(fd);

	CHECK(tc_daemon_alive(&d), "uvdpad is still running");
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "reconnect");
	nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_GET);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "keep");
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1,
	      "a fresh client is served, \"keep\" is intact");
	tc_result_free(&r);
	CHECK(tc_dev_count(fd, fam) >= 1, "device list still readable");
	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
