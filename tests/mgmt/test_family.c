// SPDX-License-Identifier: MIT
/* nlctrl CTRL_CMD_GETFAMILY for "vdpa": the reply a kernel would give. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

#define find tc_attr_find

static void check_ops(const struct nlattr *ops)
{
	static const uint32_t want[][2] = {
		{ UVDPA_CMD_MGMTDEV_GET, 0x0e }, { UVDPA_CMD_DEV_NEW, 0x0b },
		{ UVDPA_CMD_DEV_DEL, 0x0b }, { UVDPA_CMD_DEV_GET, 0x0e },
		{ UVDPA_CMD_DEV_CONFIG_GET, 0x0e }, { UVDPA_CMD_DEV_VSTATS_GET, 0x0b },
		{ UVDPA_CMD_DEV_ATTR_SET, 0x0b },
	};
	const struct nlattr *op;
	unsigned i = 0;
	bool ok = true;

	mnl_attr_for_each_nested(op, ops) {
		const struct nlattr *id = mnl_attr_get_payload(op);
		const struct nlattr *fl = (const void *)((const char *)id + MNL_ALIGN(id->nla_len));

		if (i >= 7 || mnl_attr_get_type(op) != i + 1 ||
		    mnl_attr_get_type(id) != CTRL_ATTR_OP_ID ||
		    mnl_attr_get_type(fl) != CTRL_ATTR_OP_FLAGS ||
		    mnl_attr_get_u32(id) != want[i][0] || mnl_attr_get_u32(fl) != want[i][1])
			ok = false;
		i++;
	}
	CHECK(ok && i == 7, "CTRL_ATTR_OPS lists commands 2-8 with their GENL_* flags");
}

static void lookup_by_name(int fd)
{
	static const uint16_t order[] = { CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_FAMILY_ID,
					  CTRL_ATTR_VERSION, CTRL_ATTR_HDRSIZE,
					  CTRL_ATTR_MAXATTR, CTRL_ATTR_OPS };
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
				      CTRL_CMD_GETFAMILY);
	struct tc_result res;
	const struct nlmsghdr *m;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "vdpa");
	CHECK(tc_transact(fd, nlh, &res) && res.error == 0, "GETFAMILY vdpa is acked");
	CHECK(res.n_msgs == 1 && res.n_dgrams == 2, "one reply then the ACK, each its own datagram");
	if (res.n_msgs != 1)
		return;
	m = res.msgs[0];
	CHECK(m->nlmsg_type == GENL_ID_CTRL && m->nlmsg_flags == 0 &&
	      m->nlmsg_seq == nlh->nlmsg_seq, "reply: type nlctrl, flags 0, seq echoed");
	CHECK(tc_genl(m)->cmd == CTRL_CMD_NEWFAMILY && tc_genl(m)->version == 2,
	      "reply: cmd NEWFAMILY, nlctrl version 2");
	CHECK(tc_attr_types(m, order, 6), "attributes NAME ID VERSION HDRSIZE MAXATTR OPS in order");
	CHECK(mnl_attr_get_payload_len(find(m, CTRL_ATTR_FAMILY_NAME)) == 5 &&
	      strcmp(mnl_attr_get_str(find(m, CTRL_ATTR_FAMILY_NAME)), "vdpa") == 0,
	      "FAMILY_NAME \"vdpa\" with its NUL");
	CHECK(mnl_attr_get_u16(find(m, CTRL_ATTR_FAMILY_ID)) == 0x20, "FAMILY_ID 0x20 (u16)");
	CHECK(mnl_attr_get_payload_len(find(m, CTRL_ATTR_VERSION)) == 4 &&
	      mnl_attr_get_u32(find(m, CTRL_ATTR_VERSION)) == 1, "VERSION 1 (u32)");
	CHECK(mnl_attr_get_u32(find(m, CTRL_ATTR_HDRSIZE)) == 0, "HDRSIZE 0");
	CHECK(mnl_attr_get_u32(find(m, CTRL_ATTR_MAXATTR)) == 37, "MAXATTR 37");
	check_ops(find(m, CTRL_ATTR_OPS));
	CHECK(res.err_flags == NLM_F_CAPPED && ((struct nlmsghdr *)res.err_msg)->nlmsg_len == 36,
	      "ACK: NLM_F_CAPPED, no payload echoed (36 bytes)");
	tc_result_free(&res);
}

static void lookup_error(int fd, const char *what, uint16_t attr, const void *data,
			 size_t len, int want, const char *want_msg)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
				      CTRL_CMD_GETFAMILY);
	struct tc_result res;

	if (data)
		mnl_attr_put(nlh, attr, len, data);
	CHECK(tc_transact(fd, nlh, &res) && res.error == want && res.n_msgs == 0 &&
	      strcmp(res.extack, want_msg) == 0,
	      "%s -> %s \"%s\" (got %d \"%s\")", what, strerror(-want), want_msg,
	      res.error, res.extack);
	tc_result_free(&res);
}

static void lookup_by_id(int fd)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY);
	struct tc_result res;

	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x20);
	CHECK(tc_transact(fd, nlh, &res) && res.n_msgs == 1 &&
	      strcmp(mnl_attr_get_str(tc_attr_at(res.msgs[0], 0)), "vdpa") == 0,
	      "GETFAMILY by id 0x20 (no ACK flag) answers vdpa");
	tc_result_free(&res);
}

static void dump(int fd)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP,
				      CTRL_CMD_GETFAMILY);
	struct tc_result res;

	CHECK(tc_transact(fd, nlh, &res) && res.done && res.n_msgs == 1 &&
	      res.msgs[0]->nlmsg_flags == NLM_F_MULTI,
	      "GETFAMILY dump: one NLM_F_MULTI family, then DONE");
	tc_result_free(&res);
}

int main(int argc, char **argv)
{
	static const uint16_t id_other = 0x21;
	struct tc_daemon d;
	int fd;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");

	lookup_by_name(fd);
	lookup_by_id(fd);
	dump(fd);
	lookup_error(fd, "unknown family name", CTRL_ATTR_FAMILY_NAME, "devlink", 8, -ENOENT, "");
	lookup_error(fd, "unknown family id", CTRL_ATTR_FAMILY_ID, &id_other, 2, -ENOENT, "");
	lookup_error(fd, "no name and no id", 0, NULL, 0, -EINVAL, "");
	lookup_error(fd, "name without NUL", CTRL_ATTR_FAMILY_NAME, "vdpa", 4, -EINVAL,
		     "Attribute failed policy validation");
	lookup_error(fd, "name longer than GENL_NAMSIZ", CTRL_ATTR_FAMILY_NAME,
		     "a-very-long-family-name", 24, -EINVAL, "Attribute failed policy validation");

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
