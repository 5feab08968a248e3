// SPDX-License-Identifier: MIT
/*
 * Every error path of the vdpa family that a real uvdpad can reach, with the
 * kernel's errno and extack message (reference/kernel-vdpa.md §3-4), and
 * proof that a refused request changed nothing.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

static int fd;
static uint16_t fam;
static unsigned char buf[8192];

static struct nlmsghdr *req(uint8_t cmd, uint16_t extra_flags, const char *dev)
{
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK | extra_flags, cmd);

	if (dev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, dev);
	return nlh;
}

static struct nlmsghdr *dev_new(const char *mgmtdev, const char *dev)
{
	struct nlmsghdr *nlh = req(UVDPA_CMD_DEV_NEW, 0, NULL);

	if (mgmtdev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev);
	if (dev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, dev);
	return nlh;
}

/* Sends nlh; the answer must be exactly err with message msg and no reply. */
static void expect(const struct nlmsghdr *nlh, int err, const char *msg, const char *what)
{
	struct tc_result r;
	bool ok = tc_transact(fd, nlh, &r);

	CHECK(ok && r.error == err && (err == 0 || r.n_msgs == 0) && strcmp(r.extack, msg) == 0 &&
	      (r.err_flags & NLM_F_CAPPED) &&
	      !!(r.err_flags & NLM_F_ACK_TLVS) == (msg[0] != '\0'),
	      "%s -> %d \"%s\" (got %d \"%s\")", what, err, msg, r.error, r.extack);
	tc_result_free(&r);
}

/* Like expect, and the error points at the attribute at offset offs. */
static void expect_at(const struct nlmsghdr *nlh, int err, const char *msg, uint32_t offs,
		      bool policy, const char *what)
{
	struct tc_result r;
	bool ok = tc_transact(fd, nlh, &r);

	CHECK(ok && r.error == err && strcmp(r.extack, msg) == 0 && r.has_offs &&
	      r.offs == offs && r.has_policy == policy,
	      "%s -> %d \"%s\" at offset %u%s (got %d \"%s\" at %u)", what, err, msg, offs,
	      policy ? " with policy" : "", r.error, r.extack, r.offs);
	tc_result_free(&r);
}

static void mgmtdev_errors(void)
{
	struct nlmsghdr *nlh;

	expect(req(UVDPA_CMD_MGMTDEV_GET, 0, NULL), -EINVAL,
	       "vdpa: Fail to find the specified mgmt device", "MGMTDEV_GET without handle");
	nlh = req(UVDPA_CMD_MGMTDEV_GET, 0, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "nosuch");
	expect(nlh, -ENODEV, "vdpa: Fail to find the specified mgmt device",
	       "MGMTDEV_GET unknown mgmtdev");
	nlh = req(UVDPA_CMD_MGMTDEV_GET, 0, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, "pci");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	expect(nlh, -ENODEV, "vdpa: Fail to find the specified mgmt device",
	       "MGMTDEV_GET pci/vdpasim_net (bus given for a bus-less parent)");
}

static void dev_new_errors(void)
{
	static const uint8_t mac[6] = { 0, 1, 2, 3, 4, 5 };
	char longname[80];
	struct nlmsghdr *nlh;

	expect(dev_new("vdpasim_net", NULL), -EINVAL, "", "DEV_NEW without name");
	nlh = dev_new("vdpasim_net", "x");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, 0);
	expect(nlh, -EINVAL, "vdpa: At least one pair of VQs is required", "DEV_NEW max_vqp 0");

	nlh = dev_new("vdpasim_net", "x");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, 1ULL << 32);
	expect(nlh, -EINVAL, "vdpa: Missing features 0x20 for provided attributes",
	       "DEV_NEW mac without F_MAC");
	nlh = dev_new("vdpasim_net", "x");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, 1400);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, 2);
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, 1ULL << 32);
	expect(nlh, -EINVAL, "vdpa: Missing features 0x400028 for provided attributes",
	       "DEV_NEW mac mtu max_vqp 2 without MAC MTU MQ");

	expect(dev_new(NULL, "x"), -EINVAL, "vdpa: Fail to find the specified management device",
	       "DEV_NEW without mgmtdev");
	expect(dev_new("nosuch", "x"), -ENODEV, "vdpa: Fail to find the specified management device",
	       "DEV_NEW unknown mgmtdev");

	nlh = dev_new("vdpasim_blk", "x");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	expect(nlh, -EOPNOTSUPP, "vdpa: Some provided attributes are not supported: 0x400",
	       "DEV_NEW blk with mac");
	nlh = dev_new("vdpasim_net", "x");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, 8);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, 2);
	expect(nlh, -EOPNOTSUPP, "vdpa: Some provided attributes are not supported: 0x2200000",
	       "DEV_NEW net with capacity and num_queues");

	expect(dev_new("vdpasim_net", "dup"), 0, "", "DEV_NEW dup (first time)");
	expect(dev_new("vdpasim_blk", "dup"), -EEXIST, "", "DEV_NEW dup again (any mgmtdev)");

	/* The kernel's naming: '/' is stored as '!' (dev_set_name). */
	expect(dev_new("vdpasim_net", "a/b"), 0, "", "DEV_NEW name with '/'");
	expect(dev_new("vdpasim_net", "a!b"), -EEXIST, "", "DEV_NEW a!b after a/b: the same name");
	expect(req(UVDPA_CMD_DEV_DEL, 0, "a!b"), 0, "", "DEV_DEL a!b");
	expect(dev_new("vdpasim_net", ""), -EINVAL, "vdpa: device name is empty",
	       "DEV_NEW empty name");
	memset(longname, 'n', 65);
	longname[65] = '\0';
	expect(dev_new("vdpasim_net", longname), -ERANGE, UVDPA_DEV_NAME_TOO_LONG_MSG,
	       "DEV_NEW 65-byte name");
	expect(req(UVDPA_CMD_DEV_DEL, 0, longname), -ERANGE, UVDPA_DEV_NAME_TOO_LONG_MSG,
	       "DEV_DEL 65-byte name: the same limit");
	longname[64] = '\0';
	expect(dev_new("vdpasim_net", longname), 0, "", "DEV_NEW 64-byte name works");
	expect(req(UVDPA_CMD_DEV_DEL, 0, longname), 0, "", "DEV_DEL 64-byte name");

	nlh = dev_new("vdpasim_net", "x");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, 1ULL << 60);
	{
		struct tc_result r;

		CHECK(tc_transact(fd, nlh, &r) && r.error == -EINVAL,
		      "DEV_NEW features not offered by the parent -> EINVAL (\"%s\")", r.extack);
		tc_result_free(&r);
	}
	nlh = dev_new("vdpasim_blk", "x");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, 0);
	expect(nlh, -EINVAL, "vdpa: At least one queue is required", "DEV_NEW num_queues 0");
	nlh = dev_new("vdpasim_blk", "x");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, 0);
	{
		struct tc_result r;

		CHECK(tc_transact(fd, nlh, &r) && r.error == -EINVAL &&
		      strncmp(r.extack, "vdpa: ", 6) == 0 && strstr(r.extack, "capacity"),
		      "DEV_NEW capacity 0 -> EINVAL with the parent's reason \"%s\"", r.extack);
		tc_result_free(&r);
	}
}

static void policy_errors(void)
{
	static const uint8_t mac5[5] = { 0 };
	const uint32_t first = NLMSG_HDRLEN + GENL_HDRLEN;   /* offset of the first attribute */
	struct nlmsghdr *nlh;

	nlh = dev_new(NULL, NULL);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, 50);
	expect_at(nlh, -ERANGE, "integer out of range", first, true, "DEV_NEW mtu 50");
	nlh = dev_new(NULL, NULL);
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 5, mac5);
	expect_at(nlh, -ERANGE, "binary attribute size out of range", first, true,
		  "DEV_NEW 5-byte mac");
	nlh = dev_new(NULL, NULL);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, 1500);
	expect_at(nlh, -EINVAL, "invalid attribute length", first, true, "DEV_NEW u32 mtu");
	nlh = req(UVDPA_CMD_DEV_GET, 0, NULL);
	mnl_attr_put_u32(nlh, 38, 1);
	expect_at(nlh, -EINVAL, "Unknown attribute type", first, false, "attribute type 38");
	nlh = req(UVDPA_CMD_DEV_GET, 0, NULL);
	mnl_attr_put_u32(nlh, 0, 1);
	expect_at(nlh, -EINVAL, "Unknown attribute type", first, false, "attribute type 0");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "x");
	mnl_attr_put_u32(nlh, 37, 1);
	expect_at(nlh, -EINVAL, "Unsupported attribute", first + 8, false, "attribute type 37");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "x");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_ID, 1);
	expect_at(nlh, -EINVAL, "Unsupported attribute", first + 8, false, "DEV_ID in a request");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "x");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, 1);
	expect_at(nlh, -EINVAL, "Unsupported attribute", first + 8, false,
		  "CAPACITY outside DEV_NEW");
	nlh = req(UVDPA_CMD_DEV_GET, NLM_F_DUMP, NULL);
	mnl_attr_put_u32(nlh, 40, 1);
	expect_at(nlh, -EINVAL, "Unknown attribute type", first, false,
		  "dump requests are validated strictly too");
	nlh = req(UVDPA_CMD_DEV_GET, 0, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME | NLA_F_NESTED, "x");
	expect_at(nlh, -EINVAL, "NLA_F_NESTED not expected", first, true, "NLA_F_NESTED on DEV_NAME");
	nlh = req(UVDPA_CMD_MGMTDEV_GET, 0, NULL);
	mnl_attr_put(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, 3, "pci");
	expect_at(nlh, -EINVAL, "Attribute failed policy validation", first, true,
		  "BUS_NAME without its NUL");
	nlh = req(UVDPA_CMD_DEV_GET, 0, NULL);
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NAME, 0, NULL);
	expect_at(nlh, -ERANGE, "Attribute failed policy validation", first, true, "empty DEV_NAME");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "x");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "y");
	expect_at(nlh, -EINVAL, "Duplicate attribute", first + 8, false, "DEV_NAME twice");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "x");
	nlh->nlmsg_len += 4;    /* a stray half attribute header */
	memset((char *)nlh + nlh->nlmsg_len - 4, 0, 4);
	nlh->nlmsg_len -= 2;
	expect(nlh, -EINVAL, "bytes leftover after parsing attributes", "trailing garbage");
}

static void lookup_errors(void)
{
	struct nlmsghdr *nlh;

	expect(req(UVDPA_CMD_DEV_DEL, 0, NULL), -EINVAL, "", "DEV_DEL without name");
	expect(req(UVDPA_CMD_DEV_DEL, 0, "nosuch"), -ENODEV, "vdpa: device not found",
	       "DEV_DEL unknown");
	expect(req(UVDPA_CMD_DEV_GET, 0, NULL), -EINVAL, "", "DEV_GET do without name");
	expect(req(UVDPA_CMD_DEV_GET, 0, "nosuch"), -ENODEV, "vdpa: device not found",
	       "DEV_GET unknown");
	expect(req(UVDPA_CMD_DEV_CONFIG_GET, 0, NULL), -EINVAL, "", "CONFIG_GET without name");
	expect(req(UVDPA_CMD_DEV_CONFIG_GET, 0, "nosuch"), -ENODEV, "vdpa: device not found",
	       "CONFIG_GET unknown");

	expect(req(UVDPA_CMD_DEV_VSTATS_GET, 0, "dup"), -EINVAL, "", "VSTATS without qidx");
	nlh = req(UVDPA_CMD_DEV_VSTATS_GET, 0, NULL);
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	expect(nlh, -EINVAL, "", "VSTATS without name");
	nlh = req(UVDPA_CMD_DEV_VSTATS_GET, 0, "nosuch");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	expect(nlh, -ENODEV, "vdpa: device not found", "VSTATS unknown");
	nlh = req(UVDPA_CMD_DEV_VSTATS_GET, 0, "dup");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0x8001);
	expect(nlh, -ERANGE, "vdpa: queue index exceeds max value", "VSTATS qidx 0x8001");
	expect(dev_new("vdpasim_blk", "blk0"), 0, "", "DEV_NEW blk0");
	nlh = req(UVDPA_CMD_DEV_VSTATS_GET, 0, "blk0");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	expect(nlh, -EOPNOTSUPP, "", "VSTATS on blk");
}

static void attr_set_errors(void)
{
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	static const uint8_t zero[6] = { 0 };
	struct nlmsghdr *nlh;

	expect(req(UVDPA_CMD_DEV_ATTR_SET, 0, NULL), -EINVAL, "", "ATTR_SET without name");
	expect(req(UVDPA_CMD_DEV_ATTR_SET, 0, "nosuch"), -ENODEV, "vdpa: device not found",
	       "ATTR_SET unknown");
	expect(req(UVDPA_CMD_DEV_ATTR_SET, 0, "dup"), -EOPNOTSUPP,
	       "vdpa: nothing to set: no attribute given (mac)", "ATTR_SET without mac");
	nlh = req(UVDPA_CMD_DEV_ATTR_SET, 0, "dup");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mcast);
	expect(nlh, -EOPNOTSUPP, "vdpa: Invalid MAC address", "ATTR_SET multicast mac");
	nlh = req(UVDPA_CMD_DEV_ATTR_SET, 0, "dup");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, zero);
	expect(nlh, -EOPNOTSUPP, "vdpa: Invalid MAC address", "ATTR_SET zero mac");
}

static void genl_errors(void)
{
	struct nlmsghdr *nlh;

	expect(req(UVDPA_CMD_UNSPEC, 0, NULL), -EOPNOTSUPP, "", "cmd 0");
	expect(req(UVDPA_CMD_MGMTDEV_NEW, 0, NULL), -EOPNOTSUPP, "", "cmd 1 (reply only)");
	expect(req(9, 0, NULL), -EOPNOTSUPP, "", "cmd 9");
	expect(req(UVDPA_CMD_DEV_NEW, NLM_F_DUMP, NULL), -EOPNOTSUPP, "", "DEV_NEW as a dump");
	expect(req(UVDPA_CMD_DEV_VSTATS_GET, NLM_F_DUMP, NULL), -EOPNOTSUPP, "", "VSTATS as a dump");
	nlh = req(UVDPA_CMD_DEV_ATTR_SET, 0, "dup");
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->reserved = 1;
	expect(nlh, -EINVAL, "genlmsghdr.reserved field is not 0", "cmd 8 with reserved set");
	nlh = req(UVDPA_CMD_DEV_ATTR_SET, NLM_F_ROOT, "dup");
	expect(nlh, -EINVAL, "ambiguous or reserved bits set in nlmsg_flags",
	       "cmd 8 with NLM_F_ROOT alone");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "dup");
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->reserved = 1;
	expect(nlh, 0, "", "cmd 5 with reserved set (older command: not checked)");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "dup");
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 0;
	expect(nlh, 0, "", "genl version 0 (iproute2 6.1) is accepted");
	nlh = req(UVDPA_CMD_DEV_GET, 0, "dup");
	nlh->nlmsg_type = 0x30;
	expect(nlh, -ENOENT, "", "unknown family id");
}

int main(int argc, char **argv)
{
	struct tc_daemon d;

	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);

	mgmtdev_errors();
	dev_new_errors();
	policy_errors();
	lookup_errors();
	attr_set_errors();
	genl_errors();
	CHECK(tc_dev_count(fd, fam) == 2, "only the two devices created on purpose exist");

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
