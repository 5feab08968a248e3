// SPDX-License-Identifier: MIT
/*
 * The uvdpa command-line grammar without a daemon: help texts, iproute2's
 * prefix matching and tie order, its messages, uvdpa's stricter checks
 * (trailing tokens, numbers, MACs, long names) and the request bytes.
 */
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <uvdpa/vdpa_abi.h>

#include "cli/cmd.h"
#include "check.h"

struct res {
	enum cli_parse_result rc;
	struct cli_req req;
	char err[4096];
};

/* Parses a space-separated command line (OBJECT COMMAND ...). */
static struct res *parse(const char *line)
{
	static struct res r;
	char *copy = strdup(line), *argv[64], *tok, *save = NULL;
	char *buf = NULL;
	size_t len = 0;
	int argc = 0;
	FILE *err = open_memstream(&buf, &len);

	for (tok = strtok_r(copy, " ", &save); tok && argc < 63; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	memset(&r, 0, sizeof(r));
	r.rc = cli_parse(argc, argv, &r.req, err);
	fclose(err);
	snprintf(r.err, sizeof(r.err), "%s", buf);
	free(buf);
	/* names point into argv: keep a private copy for the checks */
	if (r.req.opts.name) {
		static char name[256];
		snprintf(name, sizeof(name), "%s", r.req.opts.name);
		r.req.opts.name = name;
	}
	free(copy);
	return &r;
}

static void expect_err(const char *line, const char *msg)
{
	struct res *r = parse(line);

	CHECK(r->rc == CLI_PARSE_ERROR, "'%s' is an error", line);
	CHECK_STR(r->err, msg, "'%s' says: %.*s", line, (int)strcspn(msg, "\n"), msg);
}

static void expect_help(const char *line, const char *first)
{
	struct res *r = parse(line);

	CHECK(r->rc == CLI_PARSE_DONE, "'%s' prints help and exits 0", line);
	CHECK(strncmp(r->err, first, strlen(first)) == 0, "'%s' help starts '%.*s'", line,
	      (int)strcspn(first, "\n"), first);
}

static void expect_req(const char *line, uint8_t cmd, bool dump, enum cli_show show)
{
	struct res *r = parse(line);

	CHECK(r->rc == CLI_PARSE_SEND && r->req.cmd == cmd && r->req.dump == dump &&
	      r->req.show == show, "'%s' -> cmd %u%s", line, cmd, dump ? " dump" : "");
	if (r->rc != CLI_PARSE_SEND)
		printf("     (stderr: %s)\n", r->err);
}

static void test_help(void)
{
	static const char usage[] =
		"Usage: uvdpa [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"where  OBJECT := { mgmtdev | dev }\n"
		"       OPTIONS := { -V[ersion] | -n[o-nice-names] | -j[son] | -p[retty] }\n";

	CHECK_STR(parse("")->err, usage, "no object: global usage");
	CHECK(parse("")->rc == CLI_PARSE_DONE, "no object exits 0");
	CHECK_STR(parse("help")->err, usage, "help: global usage");
	CHECK_STR(parse("h")->err, usage, "'h' is help");
	expect_help("mgmtdev", "Usage: uvdpa mgmtdev show [ DEV ]\n");
	expect_help("m help", "Usage: uvdpa mgmtdev show [ DEV ]\n");
	expect_help("dev help", "Usage: uvdpa dev show [ DEV ]\n");
	expect_help("d h", "Usage: uvdpa dev show [ DEV ]\n");
	expect_help("dev config help", "Usage: uvdpa dev config show [ DEV ]\n");
	expect_help("dev vstats help", "Usage: uvdpa dev vstats show DEV [qidx QUEUE_INDEX]\n");
	/* vstats without a command: help, but exit 1 (iproute2) */
	expect_err("dev vstats", "Usage: uvdpa dev vstats show DEV [qidx QUEUE_INDEX]\n");
	expect_err("dev vstats show", "Usage: uvdpa dev vstats show DEV [qidx QUEUE_INDEX]\n");
	expect_err("dev vstats show a qidx", "Usage: uvdpa dev vstats show DEV [qidx QUEUE_INDEX]\n");
	/* "help" after add is not a command: the missing handle is reported */
	expect_err("dev add help", "management device handle not set.\n");
}

static void test_keywords(void)
{
	expect_req("mgmtdev show", UVDPA_CMD_MGMTDEV_GET, true, CLI_SHOW_MGMTDEV);
	expect_req("m s", UVDPA_CMD_MGMTDEV_GET, true, CLI_SHOW_MGMTDEV);
	expect_req("mgmt list vdpasim_net", UVDPA_CMD_MGMTDEV_GET, false, CLI_SHOW_MGMTDEV);
	expect_req("dev", UVDPA_CMD_DEV_GET, true, CLI_SHOW_DEV);
	expect_req("d l", UVDPA_CMD_DEV_GET, true, CLI_SHOW_DEV);
	expect_req("dev show vdpa0", UVDPA_CMD_DEV_GET, false, CLI_SHOW_DEV);
	expect_req("dev a n foo m vdpasim_net", UVDPA_CMD_DEV_NEW, false, CLI_SHOW_NONE);
	expect_req("dev del foo", UVDPA_CMD_DEV_DEL, false, CLI_SHOW_NONE);
	expect_req("dev d foo", UVDPA_CMD_DEV_DEL, false, CLI_SHOW_NONE);
	expect_req("dev config", UVDPA_CMD_DEV_CONFIG_GET, true, CLI_SHOW_CONFIG);
	expect_req("dev c s foo", UVDPA_CMD_DEV_CONFIG_GET, false, CLI_SHOW_CONFIG);
	expect_req("dev vstats show foo qidx 1", UVDPA_CMD_DEV_VSTATS_GET, false, CLI_SHOW_VSTATS);
	expect_req("dev vstats show foo", UVDPA_CMD_DEV_VSTATS_GET, false, CLI_SHOW_VSTATS);
	expect_req("dev set name foo mac 00:11:22:33:44:55", UVDPA_CMD_DEV_ATTR_SET, false,
		   CLI_SHOW_NONE);
	/* "ma" is max_vqp (mgmtdev and mac are checked first but "ma" is no
	 * prefix of mgmtdev and mac must be exact) */
	CHECK(parse("dev add name x mgmtdev y ma 4")->req.opts.max_vqp == 4 &&
	      (parse("dev add name x mgmtdev y ma 4")->req.opts.present & CLI_OPT_MAX_VQP),
	      "'ma' = max_vqp");
	CHECK(parse("dev add n x m y")->rc == CLI_PARSE_SEND, "'n' = name, 'm' = mgmtdev");
	/* exact spelling where iproute2 wants it */
	expect_err("dev vs show x", "Command \"vs\" not found\n");
	expect_err("dev se name x mac 00:11:22:33:44:55", "Command \"se\" not found\n");
	expect_err("dev vstats s x", "Command \"s\" not found\n");
	expect_err("dev add name x mgmtdev y mt 1500", "Unknown option \"mt\"\n");
	expect_err("dev add name x mgmtdev y device_feat 0x1", "Unknown option \"device_feat\"\n");
	expect_err("foo", "Object \"foo\" not found\n");
	expect_err("mgmtdev foo", "Command \"foo\" not found\n");
	expect_err("dev foo", "Command \"foo\" not found\n");
	expect_err("dev config foo", "Command \"foo\" not found\n");
	/* options the command does not take */
	expect_err("dev show x mac 00:11:22:33:44:55", "Unknown option \"mac\"\n");
	expect_err("dev set name x mtu 1500", "Unknown option \"mtu\"\n");
	expect_err("dev vstats show x mtu 1", "Unknown option \"mtu\"\n");
}

static void test_required(void)
{
	expect_err("dev add name x", "management device handle not set.\n");
	expect_err("dev add mgmtdev vdpasim_net", "device name is not set.\n");
	expect_err("dev add", "management device handle not set.\n");
	expect_err("dev set mac 00:11:22:33:44:55", "device name is not set.\n");
	expect_err("dev del", "String parameter expected\n");
	expect_err("mgmtdev show a/b/c",
		   "Wrong vdpa mgmtdev identification string format\n"
		   "Expected \"mgmtdev_bus_name/mgmtdev_name\"\n"
		   "Expected \"mgmtdev_name\"\n");
	expect_err("dev add name x mgmtdev a/b/c",
		   "Wrong vdpa mgmtdev identification string format\n"
		   "Expected \"mgmtdev_bus_name/mgmtdev_name\"\n"
		   "Expected \"mgmtdev_name\"\n");
}

/* iproute2 ignores a lone trailing token; uvdpa reports it. */
static void test_trailing(void)
{
	expect_err("dev show a b", "Unknown option \"b\"\n");
	expect_err("mgmtdev show vdpasim_net extra", "Unknown option \"extra\"\n");
	expect_err("dev add name x mgmtdev y mac", "Missing value for option \"mac\".\n");
	expect_err("dev add name x mgmtdev y mtu", "Missing value for option \"mtu\".\n");
	expect_err("dev add name x mgmtdev y bogus", "Unknown option \"bogus\"\n");
	expect_err("dev add name x mgmtdev y a b", "Unknown option \"a\"\n");
	expect_err("dev del x y", "Unknown option \"y\"\n");
}

static void test_numbers(void)
{
	struct res *r;

	expect_err("dev add name x mgmtdev y mtu abc",
		   "Invalid mtu \"abc\": not a decimal number.\n");
	expect_err("dev add name x mgmtdev y mtu 65536",
		   "Invalid mtu \"65536\": out of range (0-65535).\n");
	expect_err("dev add name x mgmtdev y mtu -1",
		   "Invalid mtu \"-1\": not a decimal number.\n");
	expect_err("dev add name x mgmtdev y mtu 0x10",
		   "Invalid mtu \"0x10\": not a decimal number.\n");
	expect_err("dev add name x mgmtdev y max 70000",
		   "Invalid max_vqp \"70000\": out of range (0-65535).\n");
	expect_err("dev vstats show x qidx 4294967296",
		   "Invalid qidx \"4294967296\": out of range (0-4294967295).\n");
	expect_err("dev add name x mgmtdev y device_features 0xfoo",
		   "Invalid device_features \"0xfoo\": not a hexadecimal number.\n");
	expect_err("dev add name x mgmtdev y device_features 0x",
		   "Invalid device_features \"0x\": not a hexadecimal number.\n");
	expect_err("dev add name x mgmtdev y device_features 0x10000000000000000",
		   "Invalid device_features \"0x10000000000000000\": out of range (more than 64 bits).\n");
	expect_err("dev add name x mgmtdev y capacity 18446744073709551616",
		   "Invalid capacity \"18446744073709551616\": out of range (0-18446744073709551615).\n");
	expect_err("dev add name x mgmtdev y num_queues 65536",
		   "Invalid num_queues \"65536\": out of range (0-65535).\n");

	r = parse("dev add name x mgmtdev y mtu 0");
	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.mtu == 0, "mtu 0 is left to the daemon");
	r = parse("dev add name x mgmtdev y mtu 65535 max_vqp 0");
	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.mtu == 65535 && r->req.opts.max_vqp == 0,
	      "mtu 65535, max_vqp 0 parse");
	r = parse("dev add name x mgmtdev y device_features 300020000");
	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.features == 0x300020000ULL,
	      "device_features without 0x is hex");
	r = parse("dev add name x mgmtdev y device_features 0XFFFFFFFFFFFFFFFF");
	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.features == UINT64_MAX,
	      "device_features 0XFFFFFFFFFFFFFFFF");
	r = parse("dev add name x mgmtdev y capacity 18446744073709551615 num_queues 4");
	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.capacity == UINT64_MAX &&
	      r->req.opts.num_queues == 4, "capacity u64 max, num_queues 4");
}

static void test_mac(void)
{
	struct res *r;

	r = parse("dev add name x mgmtdev y mac 02:AA:bb:cC:0d:e0");
	CHECK(r->rc == CLI_PARSE_SEND &&
	      memcmp(r->req.opts.mac, "\x02\xaa\xbb\xcc\x0d\xe0", 6) == 0, "mixed-case MAC");
	r = parse("dev add name x mgmtdev y mac 0:1:2:3:4:5");
	CHECK(r->rc == CLI_PARSE_SEND && memcmp(r->req.opts.mac, "\0\1\2\3\4\5", 6) == 0,
	      "one-digit bytes");
	expect_err("dev add name x mgmtdev y mac 11:22",
		   "Invalid mac \"11:22\": expected 6 bytes (xx:xx:xx:xx:xx:xx).\n");
	expect_err("dev add name x mgmtdev y mac 11:22:33:44:55:66:77",
		   "Invalid mac \"11:22:33:44:55:66:77\": expected 6 bytes (xx:xx:xx:xx:xx:xx).\n");
	expect_err("dev add name x mgmtdev y mac 1.2.3.4",
		   "\"1.2.3.4\" is invalid lladdr.\n");
	expect_err("dev add name x mgmtdev y mac 11:zz:33:44:55:66", "\"zz\" is invalid lladdr.\n");
	expect_err("dev add name x mgmtdev y mac 11:1g:33:44:55:66", "\"1g\" is invalid lladdr.\n");
	expect_err("dev add name x mgmtdev y mac 11::33:44:55:66", "\"\" is invalid lladdr.\n");
	expect_err("dev add name x mgmtdev y mac 123:22:33:44:55:66",
		   "\"123\" is invalid lladdr.\n");
}

static void test_names(void)
{
	char line[512], name65[66], name64[65], name63[64];
	const char *msg = "Error: " UVDPA_DEV_NAME_TOO_LONG_MSG ".\n";
	struct res *r;

	memset(name65, 'a', 65);
	name65[65] = '\0';
	memcpy(name64, name65, 64);
	name64[64] = '\0';
	memcpy(name63, name65, 63);
	name63[63] = '\0';

	/* Device names: uvdpad's limit (64), and its words for one byte more. */
	snprintf(line, sizeof(line), "dev add name %s mgmtdev vdpasim_net", name64);
	r = parse(line);
	CHECK(r->rc == CLI_PARSE_SEND && strcmp(r->req.opts.name, name64) == 0,
	      "64-character name accepted");
	snprintf(line, sizeof(line), "dev del %s", name64);
	CHECK(parse(line)->rc == CLI_PARSE_SEND, "dev del of a 64-character name accepted");
	snprintf(line, sizeof(line), "dev config show %s", name64);
	CHECK(parse(line)->rc == CLI_PARSE_SEND, "dev config show of a 64-character name accepted");
	snprintf(line, sizeof(line), "dev add name %s mgmtdev vdpasim_net", name65);
	expect_err(line, msg);
	snprintf(line, sizeof(line), "dev show %s", name65);
	expect_err(line, msg);
	snprintf(line, sizeof(line), "dev del %s", name65);
	expect_err(line, msg);
	snprintf(line, sizeof(line), "dev config show %s", name65);
	expect_err(line, msg);
	snprintf(line, sizeof(line), "dev vstats show %s qidx 0", name65);
	expect_err(line, msg);
	snprintf(line, sizeof(line), "dev add name a/b mgmtdev vdpasim_net");
	CHECK(parse(line)->rc == CLI_PARSE_SEND, "a name with '/' is sent (the kernel takes it)");
	/* Management device handles: iproute2's 64-byte buffer. */
	snprintf(line, sizeof(line), "mgmtdev show %s", name64);
	expect_err(line, "management device handle is too long (64 characters, at most 63).\n");
	snprintf(line, sizeof(line), "mgmtdev show pci/%s", name63);
	expect_err(line, "management device handle is too long (67 characters, at most 63).\n");
	snprintf(line, sizeof(line), "mgmtdev show %s", name63);
	CHECK(parse(line)->rc == CLI_PARSE_SEND, "63-character handle accepted");
}

static void test_bus_handle(void)
{
	struct res *r = parse("mgmtdev show pci/0000:08:00.2");

	CHECK(r->rc == CLI_PARSE_SEND && r->req.opts.has_bus &&
	      strcmp(r->req.opts.bus, "pci") == 0 &&
	      strcmp(r->req.opts.mgmtdev, "0000:08:00.2") == 0, "pci/0000:08:00.2 split");
	r = parse("mgmtdev show vdpasim_net");
	CHECK(r->rc == CLI_PARSE_SEND && !r->req.opts.has_bus &&
	      strcmp(r->req.opts.mgmtdev, "vdpasim_net") == 0, "bus-less handle");
}

/* The bytes of a request: kernel-vdpa.md §9.2, genl version 1. */
static void expect_msg(const char *line, uint16_t flags, const uint8_t *attrs, size_t alen)
{
	struct res *r = parse(line);
	uint8_t buf[CLI_REQ_BUF];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *g = (const void *)(buf + NLMSG_HDRLEN);
	size_t len;

	if (r->rc != CLI_PARSE_SEND) {
		CHECK(0, "'%s' parses", line);
		return;
	}
	len = cli_req_build(&r->req, buf, 0x20, 1234);
	CHECK(len == NLMSG_HDRLEN + GENL_HDRLEN + alen && nlh->nlmsg_len == len &&
	      nlh->nlmsg_type == 0x20 && nlh->nlmsg_flags == flags && nlh->nlmsg_seq == 1234 &&
	      g->cmd == r->req.cmd && g->version == 1 && g->reserved == 0 &&
	      memcmp(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen) == 0,
	      "'%s': flags 0x%x, %zu attribute bytes", line, flags, alen);
	if (len != NLMSG_HDRLEN + GENL_HDRLEN + alen ||
	    memcmp(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen)) {
		printf("     got:");
		for (size_t i = NLMSG_HDRLEN + GENL_HDRLEN; i < len; i++)
			printf(" %u", buf[i]);
		printf("\n");
	}
}

static void test_messages(void)
{
	static const uint8_t add[] = {
		16, 0, 2, 0, 'v', 'd', 'p', 'a', 's', 'i', 'm', '_', 'n', 'e', 't', 0,
		8, 0, 4, 0, 'f', 'o', 'o', 0,
		10, 0, 10, 0, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0,
		6, 0, 13, 0, 0x28, 0x23, 0, 0,
		6, 0, 12, 0, 4, 0, 0, 0,
	};
	static const uint8_t add_bus[] = {
		8, 0, 1, 0, 'p', 'c', 'i', 0,
		17, 0, 2, 0, '0', '0', '0', '0', ':', '0', '8', ':', '0', '0', '.', '2', 0, 0, 0, 0,
		8, 0, 4, 0, 'f', 'o', 'o', 0,
	};
	static const uint8_t vstats[] = {
		10, 0, 4, 0, 'v', 'd', 'p', 'a', '0', 0, 0, 0,
		8, 0, 17, 0, 1, 0, 0, 0,
	};
	static const uint8_t blk[] = {
		16, 0, 2, 0, 'v', 'd', 'p', 'a', 's', 'i', 'm', '_', 'b', 'l', 'k', 0,
		6, 0, 4, 0, 'b', 0, 0, 0,
		12, 0, 20, 0, 0, 0, 0, 0, 1, 0, 0, 0,
		12, 0, 21, 0, 0, 0, 4, 0, 0, 0, 0, 0,
		6, 0, 25, 0, 2, 0, 0, 0,
	};
	static const uint8_t set[] = {
		6, 0, 4, 0, 'x', 0, 0, 0,
		10, 0, 10, 0, 0x02, 0, 0, 0, 0, 1, 0, 0,
	};

	expect_msg("dev add name foo mgmtdev vdpasim_net mac 00:11:22:33:44:55 mtu 9000 max_vqp 4",
		   0x5, add, sizeof(add));
	/* options in any order, sent in iproute2's order */
	expect_msg("dev add max_vqp 4 mtu 9000 mac 00:11:22:33:44:55 mgmtdev vdpasim_net name foo",
		   0x5, add, sizeof(add));
	expect_msg("dev add mgmtdev pci/0000:08:00.2 name foo", 0x5, add_bus, sizeof(add_bus));
	expect_msg("dev vstats show vdpa0 qidx 1", 0x5, vstats, sizeof(vstats));
	expect_msg("dev add name b mgmtdev vdpasim_blk capacity 262144 num_queues 2 "
		   "device_features 0x100000000", 0x5, blk, sizeof(blk));
	expect_msg("dev set name x mac 02:00:00:00:00:01", 0x5, set, sizeof(set));
	expect_msg("dev show", 0x305, vstats, 0);
	expect_msg("mgmtdev show", 0x305, vstats, 0);
	expect_msg("dev config show", 0x305, vstats, 0);
	expect_msg("dev show vdpa0", 0x5, vstats, 12);
}

int main(void)
{
	test_help();
	test_keywords();
	test_required();
	test_trailing();
	test_numbers();
	test_mac();
	test_names();
	test_bus_handle();
	test_messages();
	printf("%s: %d failure(s)\n", check_failures ? "FAIL" : "PASS", check_failures);
	return check_failures ? 1 : 0;
}
