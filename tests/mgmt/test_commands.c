// SPDX-License-Identifier: MIT
/*
 * Every vdpa command's happy path against a real uvdpad: reply cmd, header,
 * attribute order, widths and values as the latest kernel sends them.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tc.h"

static int fd;
static uint16_t fam;
static struct tc_daemon d;

#define A(m, t) tc_attr_find(m, t)

static bool u16_is(const struct nlmsghdr *m, uint16_t t, uint16_t v)
{
	const struct nlattr *a = A(m, t);

	return a && mnl_attr_get_payload_len(a) == 2 && mnl_attr_get_u16(a) == v;
}

static bool u32_is(const struct nlmsghdr *m, uint16_t t, uint32_t v)
{
	const struct nlattr *a = A(m, t);

	return a && mnl_attr_get_payload_len(a) == 4 && mnl_attr_get_u32(a) == v;
}

static bool u64_is(const struct nlmsghdr *m, uint16_t t, uint64_t v)
{
	const struct nlattr *a = A(m, t);

	return a && mnl_attr_get_payload_len(a) == 8 && mnl_attr_get_u64(a) == v;
}

static bool u8_is(const struct nlmsghdr *m, uint16_t t, uint8_t v)
{
	const struct nlattr *a = A(m, t);

	return a && mnl_attr_get_payload_len(a) == 1 && mnl_attr_get_u8(a) == v;
}

/* A NUL-terminated string attribute, NUL included in its length. */
static bool str_is(const struct nlmsghdr *m, uint16_t t, const char *v)
{
	const struct nlattr *a = A(m, t);

	return a && mnl_attr_get_payload_len(a) == strlen(v) + 1 &&
	       memcmp(mnl_attr_get_payload(a), v, strlen(v) + 1) == 0;
}

static bool hdr_is(const struct nlmsghdr *m, uint8_t cmd, uint16_t flags, uint32_t seq)
{
	return m->nlmsg_type == fam && m->nlmsg_flags == flags && m->nlmsg_seq == seq &&
	       tc_genl(m)->cmd == cmd && tc_genl(m)->version == 1 && tc_genl(m)->reserved == 0;
}

static struct nlmsghdr *req(void *buf, uint8_t cmd, bool dump, const char *dev)
{
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK |
				      (dump ? NLM_F_DUMP : 0), cmd);

	if (dev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, dev);
	return nlh;
}

static void mgmtdev_get(void)
{
	static const uint16_t order[] = { UVDPA_ATTR_MGMTDEV_DEV_NAME,
					  UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES,
					  UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS,
					  UVDPA_ATTR_DEV_SUPPORTED_FEATURES };
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_MGMTDEV_GET, true, NULL);
	struct tc_result r;
	const struct nlmsghdr *m;

	CHECK(tc_transact(fd, nlh, &r) && r.done && r.n_msgs >= 2,
	      "MGMTDEV_GET dump: %u mgmtdevs then DONE", r.n_msgs);
	if (r.n_msgs >= 2) {
		m = r.msgs[0];
		CHECK(hdr_is(m, UVDPA_CMD_MGMTDEV_NEW, NLM_F_MULTI, nlh->nlmsg_seq) &&
		      tc_attr_types(m, order, 4), "first: cmd MGMTDEV_NEW, MULTI, attrs 2 3 15 16");
		CHECK(str_is(m, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net") &&
		      u64_is(m, UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES, 0x2) &&
		      u32_is(m, UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS, 129) &&
		      A(m, UVDPA_ATTR_DEV_SUPPORTED_FEATURES) &&
		      (mnl_attr_get_u64(A(m, UVDPA_ATTR_DEV_SUPPORTED_FEATURES)) & 0x308830028ULL) ==
		      0x308830028ULL &&
		      (mnl_attr_get_u64(A(m, UVDPA_ATTR_DEV_SUPPORTED_FEATURES)) & (1ULL << 22)),
		      "vdpasim_net: classes 0x2, max_vqs 129 (max_vqp 64), kernel features and MQ");
		m = r.msgs[1];
		CHECK(str_is(m, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_blk") &&
		      u64_is(m, UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES, 0x4) &&
		      u32_is(m, UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS, 64) &&
		      u64_is(m, UVDPA_ATTR_DEV_SUPPORTED_FEATURES, 0x738007646ULL),
		      "vdpasim_blk: classes 0x4, max_vqs 64, the features its devices offer");
	}
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_MGMTDEV_GET, false, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_blk");
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1 &&
	      hdr_is(r.msgs[0], UVDPA_CMD_MGMTDEV_NEW, 0, nlh->nlmsg_seq) &&
	      str_is(r.msgs[0], UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_blk"),
	      "MGMTDEV_GET do vdpasim_blk: one reply (flags 0) then ACK");
	tc_result_free(&r);
}

static void dev_new(void)
{
	static const uint8_t mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_NEW, false, NULL);
	struct tc_result r;

	/* iproute2's order: mgmtdev, name, mac, mtu. */
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "net0");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, 9000);
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 0 &&
	      r.err_flags == NLM_F_CAPPED && ((struct nlmsghdr *)r.err_msg)->nlmsg_len == 36 &&
	      ((struct nlmsghdr *)r.err_msg)->nlmsg_seq == nlh->nlmsg_seq,
	      "DEV_NEW net0 mac mtu 9000: plain ACK (CAPPED, 36 bytes, seq echoed)");
	tc_result_free(&r);
	CHECK(tc_dev_add(fd, fam, "blk0", "vdpasim_blk", NULL) == 0, "DEV_NEW blk0: ACK");

	nlh = req(buf, UVDPA_CMD_DEV_NEW, false, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_blk");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "blk1");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, 2048);
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, 4);
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0,
	      "DEV_NEW blk1 capacity 2048 num_queues 4 (uvdpa extension): ACK (%d \"%s\")",
	      r.error, r.extack);
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_DEV_NEW, false, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, "net1");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, 4);
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0,
	      "DEV_NEW net1 max_vqp 4: ACK (%d \"%s\")", r.error, r.extack);
	tc_result_free(&r);
}

static void check_dev(const struct nlmsghdr *m, const char *name, const char *mgmt,
		      uint32_t id, uint32_t nvqs, uint16_t flags, uint32_t seq)
{
	static const uint16_t order[] = { UVDPA_ATTR_MGMTDEV_DEV_NAME, UVDPA_ATTR_DEV_NAME,
					  UVDPA_ATTR_DEV_ID, UVDPA_ATTR_DEV_VENDOR_ID,
					  UVDPA_ATTR_DEV_MAX_VQS, UVDPA_ATTR_DEV_MAX_VQ_SIZE,
					  UVDPA_ATTR_DEV_MIN_VQ_SIZE, UVDPA_ATTR_UVDPA_VHOST_SOCKET };
	char sock[512];
	bool has_sock = A(m, UVDPA_ATTR_UVDPA_VHOST_SOCKET) != NULL;

	snprintf(sock, sizeof(sock), "%s/vhost/%s.sock", d.rundir, name);
	CHECK(hdr_is(m, UVDPA_CMD_DEV_NEW, flags, seq) &&
	      tc_attr_types(m, order, has_sock ? 8 : 7),
	      "%s: cmd DEV_NEW, attrs 2 4 5 6 7 8 9%s", name, has_sock ? " 200" : "");
	CHECK(str_is(m, UVDPA_ATTR_MGMTDEV_DEV_NAME, mgmt) && str_is(m, UVDPA_ATTR_DEV_NAME, name) &&
	      u32_is(m, UVDPA_ATTR_DEV_ID, id) && u32_is(m, UVDPA_ATTR_DEV_VENDOR_ID, 0) &&
	      u32_is(m, UVDPA_ATTR_DEV_MAX_VQS, nvqs) &&
	      u16_is(m, UVDPA_ATTR_DEV_MAX_VQ_SIZE, 256) && u16_is(m, UVDPA_ATTR_DEV_MIN_VQ_SIZE, 1),
	      "%s: mgmtdev %s, id %u, vendor 0, max_vqs %u, vq size 256/1", name, mgmt, id, nvqs);
	if (has_sock) {
		struct stat st;

		CHECK(str_is(m, UVDPA_ATTR_UVDPA_VHOST_SOCKET, sock) &&
		      stat(sock, &st) == 0 && S_ISSOCK(st.st_mode),
		      "%s: attr 200 names its vhost-user socket %s, which exists", name, sock);
	}
}

static void dev_get(void)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_GET, false, "net0");
	struct tc_result r;

	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1, "DEV_GET do net0");
	if (r.n_msgs == 1)
		check_dev(r.msgs[0], "net0", "vdpasim_net", 1, 3, 0, nlh->nlmsg_seq);
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_DEV_GET, true, NULL);
	CHECK(tc_transact(fd, nlh, &r) && r.done && r.n_msgs == 4,
	      "DEV_GET dump: 4 devices then DONE (%u)", r.n_msgs);
	if (r.n_msgs == 4) {
		check_dev(r.msgs[0], "net0", "vdpasim_net", 1, 3, NLM_F_MULTI, nlh->nlmsg_seq);
		check_dev(r.msgs[1], "blk0", "vdpasim_blk", 2, 1, NLM_F_MULTI, nlh->nlmsg_seq);
		check_dev(r.msgs[2], "blk1", "vdpasim_blk", 2, 4, NLM_F_MULTI, nlh->nlmsg_seq);
		check_dev(r.msgs[3], "net1", "vdpasim_net", 1, 9, NLM_F_MULTI, nlh->nlmsg_seq);
	}
	tc_result_free(&r);
}

static void check_net_config(const struct nlmsghdr *m, const char *name, const uint8_t *mac,
			     uint16_t mtu)
{
	static const uint16_t order[] = { UVDPA_ATTR_DEV_NAME, UVDPA_ATTR_DEV_ID,
					  UVDPA_ATTR_DEV_FEATURES, UVDPA_ATTR_DEV_NET_CFG_MTU,
					  UVDPA_ATTR_DEV_NET_CFG_MACADDR, UVDPA_ATTR_DEV_NET_STATUS };
	const struct nlattr *amac = A(m, UVDPA_ATTR_DEV_NET_CFG_MACADDR);

	CHECK(tc_genl(m)->cmd == UVDPA_CMD_DEV_CONFIG_GET && tc_attr_types(m, order, 6),
	      "%s config: cmd 6, attrs 4 5 20 13 10 11 (no 14 before negotiation)", name);
	CHECK(str_is(m, UVDPA_ATTR_DEV_NAME, name) && u32_is(m, UVDPA_ATTR_DEV_ID, 1) &&
	      A(m, UVDPA_ATTR_DEV_FEATURES) &&
	      (mnl_attr_get_u64(A(m, UVDPA_ATTR_DEV_FEATURES)) & 0x308830028ULL) == 0x308830028ULL &&
	      u16_is(m, UVDPA_ATTR_DEV_NET_CFG_MTU, mtu) && amac &&
	      mnl_attr_get_payload_len(amac) == 6 && memcmp(mnl_attr_get_payload(amac), mac, 6) == 0 &&
	      u16_is(m, UVDPA_ATTR_DEV_NET_STATUS, 1),
	      "%s config: features, mtu %u, mac, status u16 1 (link up)", name, mtu);
}

static void check_blk_config(const struct nlmsghdr *m, const char *name, uint64_t cap,
			     uint16_t nq)
{
	static const uint16_t order[] = {
		UVDPA_ATTR_DEV_NAME, UVDPA_ATTR_DEV_ID, UVDPA_ATTR_DEV_FEATURES,
		21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36 };

	CHECK(tc_genl(m)->cmd == UVDPA_CMD_DEV_CONFIG_GET && tc_attr_types(m, order, 19),
	      "%s config: attrs 4 5 20 then 21-36 in order", name);
	CHECK(str_is(m, UVDPA_ATTR_DEV_NAME, name) && u32_is(m, UVDPA_ATTR_DEV_ID, 2) &&
	      A(m, UVDPA_ATTR_DEV_FEATURES) &&
	      (mnl_attr_get_u64(A(m, UVDPA_ATTR_DEV_FEATURES)) & 0x308007646ULL) == 0x308007646ULL &&
	      u64_is(m, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, cap) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_SIZE_MAX, 4096) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_BLK_SIZE, 512) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_SEG_MAX, 32) &&
	      u16_is(m, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, nq),
	      "%s config: capacity %llu, size_max 4096, blk_size 512, seg_max 32, num_queues %u",
	      name, (unsigned long long)cap, nq);
	CHECK(u8_is(m, UVDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP, 0) &&
	      u8_is(m, UVDPA_ATTR_DEV_BLK_CFG_ALIGN_OFFSET, 0) &&
	      u16_is(m, UVDPA_ATTR_DEV_BLK_CFG_MIN_IO_SIZE, 1) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_OPT_IO_SIZE, 1) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEC, 0xffffffff) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEG, 1) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_DISCARD_SEC_ALIGN, 512) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEC, 0xffffffff) &&
	      u32_is(m, UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEG, 1) &&
	      u8_is(m, UVDPA_ATTR_DEV_BLK_READ_ONLY, 0) && u8_is(m, UVDPA_ATTR_DEV_BLK_FLUSH, 1),
	      "%s config: topology, discard, write zeroes, read_only 0, flush 1", name);
}

static void config_get(void)
{
	static const uint8_t mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_CONFIG_GET, false, "net0");
	struct tc_result r;

	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1, "CONFIG_GET do net0");
	if (r.n_msgs == 1)
		check_net_config(r.msgs[0], "net0", mac, 9000);
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_DEV_CONFIG_GET, false, "blk0");
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 1, "CONFIG_GET do blk0");
	if (r.n_msgs == 1)
		check_blk_config(r.msgs[0], "blk0", 0x40000, 1);
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_DEV_CONFIG_GET, true, NULL);
	CHECK(tc_transact(fd, nlh, &r) && r.done && r.n_msgs == 4,
	      "CONFIG_GET dump: 4 devices then DONE");
	if (r.n_msgs == 4) {
		const struct nlmsghdr *n1 = r.msgs[3];

		CHECK(r.msgs[0]->nlmsg_flags == NLM_F_MULTI, "dump entries carry NLM_F_MULTI");
		check_blk_config(r.msgs[2], "blk1", 2048, 4);
		CHECK(u16_is(n1, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, 4) &&
		      mnl_attr_get_type(tc_attr_at(n1, tc_attr_count(n1) - 1)) ==
		      UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, "net1 config: MAX_VQP 4 last (MQ offered)");
	}
	tc_result_free(&r);
}

static void attr_set(void)
{
	static const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_ATTR_SET, false, "net0");
	struct tc_result r;

	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 && r.n_msgs == 0, "DEV_ATTR_SET net0 mac: ACK");
	tc_result_free(&r);
	nlh = req(buf, UVDPA_CMD_DEV_CONFIG_GET, false, "net0");
	CHECK(tc_transact(fd, nlh, &r) && r.n_msgs == 1, "CONFIG_GET after ATTR_SET");
	if (r.n_msgs == 1)
		check_net_config(r.msgs[0], "net0", mac, 9000);
	tc_result_free(&r);

	nlh = req(buf, UVDPA_CMD_DEV_ATTR_SET, false, "blk0");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	CHECK(tc_transact(fd, nlh, &r) && r.error == 0 &&
	      r.err_flags == (NLM_F_CAPPED | NLM_F_ACK_TLVS) &&
	      strcmp(r.extack, "vdpa: blk0 device not supported") == 0,
	      "DEV_ATTR_SET blk0: success ACK with warning \"%s\"", r.extack);
	tc_result_free(&r);
}

static void vstats(void)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_VSTATS_GET, false, "net0");
	struct tc_result r;

	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	CHECK(tc_transact(fd, nlh, &r) && r.error == -EAGAIN && r.n_msgs == 0 &&
	      strcmp(r.extack, "vdpa: feature negotiation not complete") == 0,
	      "DEV_VSTATS_GET before negotiation: EAGAIN \"%s\"", r.extack);
	tc_result_free(&r);
}

static void dev_del(void)
{
	const char *names[] = { "net0", "blk0", "blk1", "net1" };
	char sock[512];
	unsigned i;

	for (i = 0; i < 4; i++) {
		CHECK(tc_dev_del(fd, fam, names[i], NULL) == 0, "DEV_DEL %s: ACK", names[i]);
		snprintf(sock, sizeof(sock), "%s/%s.sock", d.rundir, names[i]);
		CHECK(access(sock, F_OK) < 0, "%s: no socket left behind", names[i]);
	}
	CHECK(tc_dev_count(fd, fam) == 0, "DEV_GET dump is empty");
}

int main(int argc, char **argv)
{
	REQUIRE(argc == 2, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);

	mgmtdev_get();
	dev_new();
	dev_get();
	config_get();
	attr_set();
	vstats();
	dev_del();

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	return tc_failures ? 1 : 0;
}
