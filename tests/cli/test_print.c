// SPDX-License-Identifier: MIT
/*
 * Reply datagrams -> uvdpa output, compared with iproute2 vdpa's bytes
 * (kernel-vdpa.md §9.6, verified against the 6.1 binary) in plain text,
 * -j and -jp; error and warning reporting; malformed replies.
 */
#include <errno.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <uvdpa/vdpa_abi.h>

#include "cli/reply.h"
#include "check.h"

#define SEQ 77
#define FAM 0x20

static uint8_t dgram[16384];
static size_t dlen;

static struct nlmsghdr *msg(uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram + dlen);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void end(struct nlmsghdr *nlh)
{
	dlen += nlh->nlmsg_len;
}

static void put_done(int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram + dlen);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	*e = error;
	dlen += nlh->nlmsg_len;
}

/* An ACK or error like the kernel's with NETLINK_CAP_ACK/EXT_ACK. */
static void put_error(int error, const char *extack, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram + dlen);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	if (capped) {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		/* the request follows: a header plus 8 bytes of payload */
		e->msg.nlmsg_len += 8;
		memset(mnl_nlmsg_put_extra_header(nlh, 8), 0xab, 8);
	}
	if (extack) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	}
	dlen += nlh->nlmsg_len;
}

struct out {
	int rc;
	int error;
	char out[8192];
	char err[2048];
};

static void feed(struct out *o, enum cli_show show, bool json, bool pretty, bool section,
		 const char *name)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
	struct cli_reply r;
	struct pr p;

	pr_init(&p, out, json, pretty);
	if (section)
		pr_section_start(&p, name);
	cli_reply_init(&r, &p, err, show, SEQ);
	o->rc = cli_reply_feed(&r, dgram, dlen);
	o->error = r.error;
	if (section)
		pr_section_end(&p);
	pr_finish(&p);
	fclose(out);
	fclose(err);
	snprintf(o->out, sizeof(o->out), "%s", obuf);
	snprintf(o->err, sizeof(o->err), "%s", ebuf);
	free(obuf);
	free(ebuf);
}

/* Runs the current datagram in the three output modes. */
static void expect3(enum cli_show show, const char *section, const char *text,
		    const char *json, const char *pretty)
{
	struct out o;

	feed(&o, show, false, false, true, section);
	CHECK(o.rc == CLI_REPLY_DONE && !o.err[0], "%s: dump completes", section);
	CHECK_STR(o.out, text, "%s: plain text", section);
	if (json) {
		feed(&o, show, true, false, true, section);
		CHECK_STR(o.out, json, "%s: -j", section);
	}
	if (pretty) {
		feed(&o, show, true, true, true, section);
		CHECK_STR(o.out, pretty, "%s: -jp", section);
	}
}

#define F(b) (1ULL << (b))

static void put_mgmtdev(const char *bus, const char *name, uint64_t classes, uint32_t vqs,
			uint64_t features)
{
	struct nlmsghdr *nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_MGMTDEV_NEW);

	if (bus)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, bus);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, name);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES, classes);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS, vqs);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_SUPPORTED_FEATURES, features);
	end(nlh);
}

static void test_mgmtdev(void)
{
	dlen = 0;
	put_mgmtdev(NULL, "vdpasim_net", F(1), 3, 0x308830028ULL);
	put_mgmtdev(NULL, "vdpasim_blk", F(2), 0, 0);
	put_mgmtdev("pci", "0000:08:00.2", F(1), 65,
		    F(0) | F(1) | F(3) | F(5) | F(16) | F(17) | F(22) | F(23) | F(27) | F(32) |
		    F(33) | F(34) | F(40));
	put_done(0);
	expect3(CLI_SHOW_MGMTDEV, "mgmtdev",
		"vdpasim_net: \n"
		"  supported_classes net\n"
		"  max_supported_vqs 3\n"
		"  dev_features MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR ANY_LAYOUT VERSION_1 ACCESS_PLATFORM\n"
		"vdpasim_blk: \n"
		"  supported_classes block\n"
		"  max_supported_vqs 0\n"
		"  dev_features\n"
		"pci/0000:08:00.2: \n"
		"  supported_classes net\n"
		"  max_supported_vqs 65\n"
		"  dev_features CSUM GUEST_CSUM MTU MAC STATUS CTRL_VQ MQ CTRL_MAC_ADDR ANY_LAYOUT VERSION_1 ACCESS_PLATFORM RING_PACKED bit_40\n",
		"{\"mgmtdev\":{\"vdpasim_net\":{\"supported_classes\":[\"net\"],\"max_supported_vqs\":3,"
		"\"dev_features\":[\"MTU\",\"MAC\",\"STATUS\",\"CTRL_VQ\",\"CTRL_MAC_ADDR\",\"ANY_LAYOUT\","
		"\"VERSION_1\",\"ACCESS_PLATFORM\"]},\"vdpasim_blk\":{\"supported_classes\":[\"block\"],"
		"\"max_supported_vqs\":0,\"dev_features\":[]},\"pci/0000:08:00.2\":{\"supported_classes\":"
		"[\"net\"],\"max_supported_vqs\":65,\"dev_features\":[\"CSUM\",\"GUEST_CSUM\",\"MTU\",\"MAC\","
		"\"STATUS\",\"CTRL_VQ\",\"MQ\",\"CTRL_MAC_ADDR\",\"ANY_LAYOUT\",\"VERSION_1\","
		"\"ACCESS_PLATFORM\",\"RING_PACKED\",40]}}}\n",
		NULL);

	dlen = 0;
	put_mgmtdev(NULL, "vdpasim_net", F(1), 3, 0x308830028ULL);
	put_mgmtdev(NULL, "vdpasim_blk", F(2), 0, 0);
	put_done(0);
	expect3(CLI_SHOW_MGMTDEV, "mgmtdev",
		"vdpasim_net: \n"
		"  supported_classes net\n"
		"  max_supported_vqs 3\n"
		"  dev_features MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR ANY_LAYOUT VERSION_1 ACCESS_PLATFORM\n"
		"vdpasim_blk: \n"
		"  supported_classes block\n"
		"  max_supported_vqs 0\n"
		"  dev_features\n",
		NULL,
		"{\n"
		"    \"mgmtdev\": {\n"
		"        \"vdpasim_net\": {\n"
		"            \"supported_classes\": [ \"net\" ],\n"
		"            \"max_supported_vqs\": 3,\n"
		"            \"dev_features\": [ \"MTU\",\"MAC\",\"STATUS\",\"CTRL_VQ\",\"CTRL_MAC_ADDR\",\"ANY_LAYOUT\",\"VERSION_1\",\"ACCESS_PLATFORM\" ]\n"
		"        },\n"
		"        \"vdpasim_blk\": {\n"
		"            \"supported_classes\": [ \"block\" ],\n"
		"            \"max_supported_vqs\": 0,\n"
		"            \"dev_features\": [ ]\n"
		"        }\n"
		"    }\n"
		"}\n");
}

static void put_dev(const char *bus, const char *mgmt, const char *name, uint32_t id,
		    uint32_t vendor, uint32_t vqs, const char *sock)
{
	struct nlmsghdr *nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_NEW);

	if (bus)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, bus);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, mgmt);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, name);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, id);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_VENDOR_ID, vendor);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_MAX_VQS, vqs);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_MAX_VQ_SIZE, 256);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_MIN_VQ_SIZE, 1);
	if (sock)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_UVDPA_VHOST_SOCKET, sock);
	end(nlh);
}

static void test_dev(void)
{
	dlen = 0;
	put_dev(NULL, "vdpasim_net", "vdpa0", 1, 0, 3, NULL);
	put_dev(NULL, "vdpasim_blk", "blk0", 2, 0, 1, NULL);
	put_dev("pci", "0000:08:00.2", "vdpa1", 1, 5555, 17, NULL);
	put_dev(NULL, "x", "odd", 9, 0, 1, NULL);
	put_done(0);
	expect3(CLI_SHOW_DEV, "dev",
		"vdpa0: type network mgmtdev vdpasim_net vendor_id 0 max_vqs 3 max_vq_size 256\n"
		"blk0: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256\n"
		"vdpa1: type network mgmtdev pci/0000:08:00.2 vendor_id 5555 max_vqs 17 max_vq_size 256\n"
		"odd: type <unknown type> mgmtdev x vendor_id 0 max_vqs 1 max_vq_size 256\n",
		NULL, NULL);

	dlen = 0;
	put_dev("pci", "0000:08:00.2", "vdpa1", 1, 5555, 17, NULL);
	put_error(0, NULL, true);
	expect3(CLI_SHOW_DEV, "dev",
		"vdpa1: type network mgmtdev pci/0000:08:00.2 vendor_id 5555 max_vqs 17 max_vq_size 256\n",
		"{\"dev\":{\"vdpa1\":{\"type\":\"network\",\"mgmtdev\":\"pci/0000:08:00.2\","
		"\"vendor_id\":5555,\"max_vqs\":17,\"max_vq_size\":256}}}\n",
		"{\n"
		"    \"dev\": {\n"
		"        \"vdpa1\": {\n"
		"            \"type\": \"network\",\n"
		"            \"mgmtdev\": \"pci/0000:08:00.2\",\n"
		"            \"vendor_id\": 5555,\n"
		"            \"max_vqs\": 17,\n"
		"            \"max_vq_size\": 256\n"
		"        }\n"
		"    }\n"
		"}\n");

	/* uvdpad's vhost-user socket, an extra key after iproute2's fields */
	dlen = 0;
	put_dev(NULL, "vdpasim_net", "n1", 1, 0, 3, "/run/uvdpa/n1.sock");
	put_done(0);
	expect3(CLI_SHOW_DEV, "dev",
		"n1: type network mgmtdev vdpasim_net vendor_id 0 max_vqs 3 max_vq_size 256 vhost_socket /run/uvdpa/n1.sock\n",
		"{\"dev\":{\"n1\":{\"type\":\"network\",\"mgmtdev\":\"vdpasim_net\",\"vendor_id\":0,"
		"\"max_vqs\":3,\"max_vq_size\":256,\"vhost_socket\":\"/run/uvdpa/n1.sock\"}}}\n", NULL);

	/* empty dumps */
	dlen = 0;
	put_done(0);
	expect3(CLI_SHOW_DEV, "dev", "", "{\"dev\":{}}\n", "{\n    \"dev\": {}\n}\n");
}

static void put_net_config(const char *name, uint16_t mtu, uint16_t vqp, uint64_t neg)
{
	struct nlmsghdr *nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_CONFIG_GET);

	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, name);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 1);
	if (neg)
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_NEGOTIATED_FEATURES, neg);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, 0x308830028ULL);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, mtu);
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, "\x00\x11\x22\x33\x44\x55");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_STATUS, 1);
	if (vqp)
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, vqp);
	end(nlh);
}

static void put_blk_config(const char *name, bool full)
{
	struct nlmsghdr *nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_CONFIG_GET);

	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, name);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 2);
	if (full) {
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, 0x308007646ULL);
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, 1ULL << 33);
		mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_BLK_CFG_BLK_SIZE, 4096);
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, 4);
		mnl_attr_put_u8(nlh, UVDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP, 3);
		mnl_attr_put_u8(nlh, UVDPA_ATTR_DEV_BLK_READ_ONLY, 1);
		mnl_attr_put_u8(nlh, UVDPA_ATTR_DEV_BLK_FLUSH, 0);
	}
	end(nlh);
}

static void test_config(void)
{
	uint64_t neg = F(3) | F(5) | F(16) | F(17) | F(23) | F(32) | F(33);

	dlen = 0;
	put_net_config("vdpa0", 1500, 0, neg);
	put_blk_config("blk0", false);
	put_net_config("vdpa1", 1500, 8, neg | F(22) | F(40));
	put_done(0);
	expect3(CLI_SHOW_CONFIG, "config",
		"vdpa0: mac 00:11:22:33:44:55 link up link_announce false mtu 1500 \n"
		"  negotiated_features MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR VERSION_1 ACCESS_PLATFORM\n"
		"blk0: \n"
		"vdpa1: mac 00:11:22:33:44:55 link up link_announce false max_vq_pairs 8 mtu 1500 \n"
		"  negotiated_features MTU MAC STATUS CTRL_VQ MQ CTRL_MAC_ADDR VERSION_1 ACCESS_PLATFORM bit_40\n",
		NULL, NULL);

	dlen = 0;
	put_net_config("vdpa0", 1500, 0, neg);
	put_blk_config("blk0", false);
	put_done(0);
	expect3(CLI_SHOW_CONFIG, "config",
		"vdpa0: mac 00:11:22:33:44:55 link up link_announce false mtu 1500 \n"
		"  negotiated_features MTU MAC STATUS CTRL_VQ CTRL_MAC_ADDR VERSION_1 ACCESS_PLATFORM\n"
		"blk0: \n",
		"{\"config\":{\"vdpa0\":{\"mac\":\"00:11:22:33:44:55\",\"link \":\"up\",\"link_announce \":false,"
		"\"mtu\":1500,\"negotiated_features\":[\"MTU\",\"MAC\",\"STATUS\",\"CTRL_VQ\",\"CTRL_MAC_ADDR\","
		"\"VERSION_1\",\"ACCESS_PLATFORM\"]},\"blk0\":{}}}\n",
		"{\n"
		"    \"config\": {\n"
		"        \"vdpa0\": {\n"
		"            \"mac\": \"00:11:22:33:44:55\",\n"
		"            \"link \": \"up\",\n"
		"            \"link_announce \": false,\n"
		"            \"mtu\": 1500,\n"
		"            \"negotiated_features\": [ \"MTU\",\"MAC\",\"STATUS\",\"CTRL_VQ\",\"CTRL_MAC_ADDR\",\"VERSION_1\",\"ACCESS_PLATFORM\" ]\n"
		"        },\n"
		"        \"blk0\": {}\n"
		"    }\n"
		"}\n");

	/* uvdpa prints the blk config iproute2 ignores */
	dlen = 0;
	put_blk_config("b", true);
	put_error(0, NULL, true);
	expect3(CLI_SHOW_CONFIG, "config",
		"b: capacity 8589934592 blk_size 4096 num_queues 4 physical_block_exp 3 read_only true flush false \n",
		"{\"config\":{\"b\":{\"capacity\":8589934592,\"blk_size\":4096,\"num_queues\":4,"
		"\"physical_block_exp\":3,\"read_only\":true,\"flush\":false}}}\n", NULL);
}

static void put_vstats(uint32_t q, uint64_t neg, int vqp, const char *const *names)
{
	struct nlmsghdr *nlh = msg(FAM, 0, UVDPA_CMD_DEV_VSTATS_GET);

	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "vdpa0");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 1);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_NEGOTIATED_FEATURES, neg);
	if (vqp >= 0)
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, (uint16_t)vqp);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, q);
	for (int i = 0; names && names[i]; i++) {
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_VENDOR_ATTR_NAME, names[i]);
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE, 1001 + 1000 * (uint64_t)i + q);
	}
	end(nlh);
	put_error(0, NULL, true);
}

static void expect_qtype(uint32_t q, uint64_t neg, int vqp, const char *want)
{
	char line[128];
	struct out o;

	dlen = 0;
	put_vstats(q, neg, vqp, NULL);
	feed(&o, CLI_SHOW_VSTATS, false, false, false, NULL);
	snprintf(line, sizeof(line), "vdpa0: queue_type %s \n", want);
	CHECK_STR(o.out, line, "qidx %u (max_vqp %d) is %s", q, vqp, want);
}

static void test_vstats(void)
{
	static const char *const tx[] = { "tx packets", "tx bytes", "tx errors", "tx drops", NULL };
	static const char *const cvq[] = { "cvq requests", "cvq successes", "cvq errors", NULL };
	uint64_t neg = F(3) | F(5) | F(16) | F(17) | F(23) | F(32) | F(33);

	/* §9.6's example: qidx 1, values 1001, 2001, ... */
	dlen = 0;
	{
		struct nlmsghdr *nlh = msg(FAM, 0, UVDPA_CMD_DEV_VSTATS_GET);

		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "vdpa0");
		mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 1);
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_NEGOTIATED_FEATURES, neg);
		mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 1);
		for (int i = 0; tx[i]; i++) {
			mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_VENDOR_ATTR_NAME, tx[i]);
			mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE, 1001 + 1000 * (uint64_t)i);
		}
		end(nlh);
		put_error(0, NULL, true);
	}
	expect3(CLI_SHOW_VSTATS, "vstats",
		"vdpa0: queue_type tx tx packets 1001 tx bytes 2001 tx errors 3001 tx drops 4001 \n",
		"{\"vstats\":{\"vdpa0\":{\"queue_type\":\"tx\",\"tx packets\":1001,\"tx bytes\":2001,"
		"\"tx errors\":3001,\"tx drops\":4001}}}\n", NULL);

	dlen = 0;
	put_vstats(2, neg, -1, cvq);
	expect3(CLI_SHOW_VSTATS, "vstats",
		"vdpa0: queue_type control_vq cvq requests 1003 cvq successes 2003 cvq errors 3003 \n",
		NULL,
		"{\n"
		"    \"vstats\": {\n"
		"        \"vdpa0\": {\n"
		"            \"queue_type\": \"control_vq\",\n"
		"            \"cvq requests\": 1003,\n"
		"            \"cvq successes\": 2003,\n"
		"            \"cvq errors\": 3003\n"
		"        }\n"
		"    }\n"
		"}\n");

	/* iproute2 calls these control_vq / rx: without MQ there is one pair */
	expect_qtype(0, neg, -1, "rx");
	expect_qtype(1, neg, -1, "tx");
	expect_qtype(2, neg, -1, "control_vq");
	expect_qtype(0, neg, 0, "rx");          /* v6.1 kernels send max_vqp 0 */
	expect_qtype(2, neg, 0, "control_vq");
	expect_qtype(16, neg | F(22), 8, "control_vq");
	expect_qtype(15, neg | F(22), 8, "tx");
	expect_qtype(2, neg | F(22), 8, "rx");
	expect_qtype(2, F(32), -1, "rx");       /* no control queue negotiated */
}

static void expect_error(const char *what, enum cli_show show, int rc, int error,
			 const char *err)
{
	struct out o;

	feed(&o, show, false, false, false, NULL);
	CHECK(o.rc == rc && o.error == error, "%s: result %d, errno %d (got %d, %d)", what, rc,
	      error, o.rc, o.error);
	CHECK_STR(o.err, err, "%s: message", what);
}

static void test_errors(void)
{
	dlen = 0;
	put_error(-ENODEV, "vdpa: device not found", true);
	expect_error("capped error with extack", CLI_SHOW_DEV, CLI_REPLY_FAIL, ENODEV,
		     "Error: vdpa: device not found.\nkernel answers: No such device\n");
	dlen = 0;
	put_error(-ENODEV, "vdpa: device not found", false);
	expect_error("uncapped error with extack", CLI_SHOW_DEV, CLI_REPLY_FAIL, ENODEV,
		     "Error: vdpa: device not found.\nkernel answers: No such device\n");
	dlen = 0;
	put_error(-EOPNOTSUPP, NULL, true);
	expect_error("error without extack", CLI_SHOW_NONE, CLI_REPLY_FAIL, EOPNOTSUPP,
		     "kernel answers: Operation not supported\n");
	dlen = 0;
	put_error(-EOPNOTSUPP, "vdpa: Operation not supported by the device.", true);
	expect_error("message ending with a dot", CLI_SHOW_NONE, CLI_REPLY_FAIL, EOPNOTSUPP,
		     "Error: vdpa: Operation not supported by the device.\n"
		     "kernel answers: Operation not supported\n");
	dlen = 0;
	put_error(EEXIST, NULL, true);
	expect_error("positive errno", CLI_SHOW_NONE, CLI_REPLY_FAIL, EEXIST,
		     "kernel answers: File exists\n");
	dlen = 0;
	put_error(0, "vdpa: blk0 device not supported", true);
	expect_error("ACK with a warning", CLI_SHOW_NONE, CLI_REPLY_DONE, 0,
		     "Warning: vdpa: blk0 device not supported.\n");
	dlen = 0;
	put_error(0, "", true);
	expect_error("empty extack", CLI_SHOW_NONE, CLI_REPLY_DONE, 0, "");
	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	{
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(dgram + dlen);
		int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
		nlh->nlmsg_seq = SEQ;
		*e = -EINVAL;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "vdpa: dump failed");
		dlen += nlh->nlmsg_len;
	}
	expect_error("NLMSG_DONE with an error", CLI_SHOW_DEV, CLI_REPLY_FAIL, EINVAL,
		     "Error: vdpa: dump failed.\nkernel answers: Invalid argument\n");
	dlen = 0;
	put_error(INT32_MIN, NULL, true);
	expect_error("INT_MIN errno", CLI_SHOW_NONE, CLI_REPLY_FAIL, EPROTO,
		     "kernel answers: Protocol error\n");
}

static void test_malformed(void)
{
	struct nlmsghdr *nlh;
	struct out o;

	dlen = 0;
	nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_NEW);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "d");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_ID, 1);    /* u32 expected */
	end(nlh);
	put_done(0);
	expect_error("wrong attribute length", CLI_SHOW_DEV, CLI_REPLY_FAIL, EBADMSG,
		     "uvdpa: malformed reply: attribute 5 is malformed\n");

	dlen = 0;
	nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_NEW);
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NAME, 3, "abc");       /* no NUL */
	end(nlh);
	expect_error("unterminated string", CLI_SHOW_DEV, CLI_REPLY_FAIL, EBADMSG,
		     "uvdpa: malformed reply: attribute 4 is malformed\n");

	dlen = 0;
	nlh = msg(FAM, NLM_F_MULTI, UVDPA_CMD_DEV_CONFIG_GET);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 1);
	end(nlh);
	expect_error("config without a name", CLI_SHOW_CONFIG, CLI_REPLY_FAIL, EBADMSG,
		     "uvdpa: malformed reply: device without attribute 4\n");

	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	((struct nlmsghdr *)dgram)->nlmsg_seq = SEQ + 1;
	expect_error("foreign sequence number", CLI_SHOW_DEV, CLI_REPLY_FAIL, EBADMSG,
		     "uvdpa: malformed reply: sequence number does not match the request\n");

	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	((struct nlmsghdr *)dgram)->nlmsg_len = (uint32_t)dlen + 4;
	feed(&o, CLI_SHOW_DEV, false, false, false, NULL);
	CHECK(o.rc == CLI_REPLY_MORE && !o.out[0], "message longer than the datagram is not read");

	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	((struct nlmsghdr *)dgram)->nlmsg_len = (uint32_t)--dlen;
	expect_error("unaligned end of datagram", CLI_SHOW_DEV, CLI_REPLY_FAIL, EBADMSG,
		     "uvdpa: malformed reply: truncated message\n");

	/* libmnl's mnl_nlmsg_ok takes these for valid and walks forever */
	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	((struct nlmsghdr *)dgram)->nlmsg_len = 0xffffffff;
	feed(&o, CLI_SHOW_DEV, false, false, false, NULL);
	CHECK(o.rc == CLI_REPLY_MORE && !o.out[0], "nlmsg_len 0xffffffff ends the walk");
	((struct nlmsghdr *)dgram)->nlmsg_len = 0x80000000;
	feed(&o, CLI_SHOW_DEV, false, false, false, NULL);
	CHECK(o.rc == CLI_REPLY_MORE && !o.out[0], "nlmsg_len 0x80000000 ends the walk");

	dlen = 0;
	put_dev(NULL, "m", "d", 1, 0, 1, NULL);
	feed(&o, CLI_SHOW_DEV, false, false, false, NULL);
	CHECK(o.rc == CLI_REPLY_MORE && strcmp(o.out, "d: type network mgmtdev m vendor_id 0 max_vqs 1 max_vq_size 256\n") == 0,
	      "a dump without NLMSG_DONE asks for more");
}

static void test_names(void)
{
	char longname[301];
	char want[1024];
	struct out o;

	/* iproute2 crashes on names of 64+ characters; uvdpa has no limit here */
	memset(longname, 'n', 300);
	longname[300] = '\0';
	dlen = 0;
	put_dev("bus", longname, longname, 1, 0, 3, NULL);
	put_done(0);
	feed(&o, CLI_SHOW_DEV, false, false, false, NULL);
	snprintf(want, sizeof(want),
		 "%s: type network mgmtdev bus/%s vendor_id 0 max_vqs 3 max_vq_size 256\n",
		 longname, longname);
	CHECK(o.rc == CLI_REPLY_DONE, "300-character names");
	CHECK_STR(o.out, want, "300-character names printed in full");

	dlen = 0;
	put_dev(NULL, "m", "a\"b\\c\n\x01", 1, 0, 3, NULL);
	put_done(0);
	feed(&o, CLI_SHOW_DEV, true, false, true, "dev");
	CHECK_STR(o.out, "{\"dev\":{\"a\\\"b\\\\c\\n\\u0001\":{\"type\":\"network\",\"mgmtdev\":\"m\","
		  "\"vendor_id\":0,\"max_vqs\":3,\"max_vq_size\":256}}}\n", "JSON escapes");
}

static void test_family(void)
{
	struct cli_reply r;
	struct nlmsghdr *nlh;

	dlen = 0;
	nlh = msg(GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "vdpa");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1b);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MAXATTR, 37);
	end(nlh);
	cli_reply_init(&r, NULL, stderr, CLI_SHOW_FAMILY, SEQ);
	CHECK(cli_reply_feed(&r, dgram, dlen) == CLI_REPLY_MORE && r.family == 0x1b,
	      "family reply: id 0x1b, waiting for the ACK");
	dlen = 0;
	put_error(0, NULL, true);
	CHECK(cli_reply_feed(&r, dgram, dlen) == CLI_REPLY_DONE && r.family == 0x1b,
	      "family ACK ends the lookup");
	dlen = 0;
	put_error(-ENOENT, NULL, true);
	cli_reply_init(&r, NULL, stderr, CLI_SHOW_FAMILY, SEQ);
	r.quiet = true;
	CHECK(cli_reply_feed(&r, dgram, dlen) == CLI_REPLY_FAIL && r.error == ENOENT,
	      "unknown family: ENOENT, quietly");
}

int main(void)
{
	test_mgmtdev();
	test_dev();
	test_config();
	test_vstats();
	test_errors();
	test_malformed();
	test_names();
	test_family();
	printf("%s: %d failure(s)\n", check_failures ? "FAIL" : "PASS", check_failures);
	return check_failures ? 1 : 0;
}
