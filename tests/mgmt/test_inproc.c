// SPDX-License-Identifier: MIT
/*
 * The management face in process (mgmt_handle_datagram / mgmt_client_*),
 * for what a socket client cannot set up: a driver that negotiated features
 * (vstats, negotiated features in config), parents with a bus, several
 * classes or no dev_set_attr, unmanaged devices, and a dump still running
 * when the next one is asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include <uvdpa/bus.h>
#include "mgmt/mgmt.h"
#include "tc.h"

#define FAM MGMT_VDPA_FAMILY_ID

static struct mgmt_server *srv;
static struct uvdpa_bus *bus;
static const struct mgmt_peer root = { .pid = 1, .uid = 0, .admin = true };

/* Collected replies of one call. */
struct sink {
	unsigned n;
	unsigned char *m[8];
	size_t len[8];
};

static void sink_fn(void *opaque, const void *buf, size_t len)
{
	struct sink *s = opaque;

	if (s->n < 8) {
		s->m[s->n] = malloc(len);
		memcpy(s->m[s->n], buf, len);
		s->len[s->n] = len;
		s->n++;
	}
}

static void sink_free(struct sink *s)
{
	while (s->n)
		free(s->m[--s->n]);
}

static int call(struct nlmsghdr *nlh, struct sink *s, char *msg, size_t msgsize)
{
	const struct nlmsghdr *last;
	const struct nlmsgerr *e;
	const struct nlattr *a;

	memset(s, 0, sizeof(*s));
	mgmt_handle_datagram(srv, nlh, nlh->nlmsg_len, &root, sink_fn, s);
	if (!s->n)
		return 1;
	last = (const void *)s->m[s->n - 1];
	if (last->nlmsg_type != NLMSG_ERROR)
		return 0;
	e = mnl_nlmsg_get_payload(last);
	if (msg) {
		msg[0] = '\0';
		mnl_attr_for_each(a, last, sizeof(*e))
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
				snprintf(msg, msgsize, "%s", mnl_attr_get_str(a));
	}
	return e->error;
}

static struct nlmsghdr *req(void *buf, uint8_t cmd, const char *dev)
{
	struct nlmsghdr *nlh = tc_req(buf, FAM, NLM_F_REQUEST | NLM_F_ACK, cmd);

	if (dev)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, dev);
	return nlh;
}

static void expect(struct nlmsghdr *nlh, int err, const char *msg, const char *what)
{
	struct sink s;
	char got[256] = "";
	int r = call(nlh, &s, got, sizeof(got));

	CHECK(r == err && strcmp(got, msg) == 0, "%s -> %d \"%s\" (got %d \"%s\")", what, err,
	      msg, r, got);
	sink_free(&s);
}

/* Plays the driver: ACKNOWLEDGE, DRIVER, features, FEATURES_OK. */
static void negotiate(const char *name, uint64_t features)
{
	struct uvdpa_device *d = uvdpa_bus_find_dev(bus, name);

	d->ops->set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	REQUIRE(uvdpa_device_set_features(d, features) == 0, "set features");
	d->ops->set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			   VIRTIO_CONFIG_S_FEATURES_OK);
}

static void check_vstats(const char *dev, uint32_t qidx, const char *const *names,
			 unsigned n, bool mq)
{
	unsigned char buf[4096];
	uint16_t want[32] = { UVDPA_ATTR_DEV_NAME, UVDPA_ATTR_DEV_ID,
			      UVDPA_ATTR_DEV_NEGOTIATED_FEATURES };
	unsigned k = 3, i;
	struct nlmsghdr *nlh = req(buf, UVDPA_CMD_DEV_VSTATS_GET, dev);
	const struct nlmsghdr *m;
	bool names_ok = true;
	struct sink s;

	if (mq)
		want[k++] = UVDPA_ATTR_DEV_NET_CFG_MAX_VQP;
	want[k++] = UVDPA_ATTR_DEV_QUEUE_INDEX;
	for (i = 0; i < n; i++) {
		want[k++] = UVDPA_ATTR_DEV_VENDOR_ATTR_NAME;
		want[k++] = UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE;
	}
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, qidx);
	CHECK(call(nlh, &s, NULL, 0) == 0 && s.n == 2, "VSTATS %s qidx %u: reply + ACK", dev, qidx);
	if (s.n != 2)
		goto out;
	m = (const void *)s.m[0];
	CHECK(tc_genl(m)->cmd == UVDPA_CMD_DEV_VSTATS_GET && tc_attr_types(m, want, k),
	      "VSTATS %s qidx %u: cmd 7, attrs 4 5 14%s 17 then %u name/value pairs", dev, qidx,
	      mq ? " 12" : "", n);
	for (i = 0; i < n; i++) {
		const struct nlattr *a = tc_attr_at(m, k - 2 * n + 2 * i);

		if (!a || strcmp(mnl_attr_get_str(a), names[i]) != 0)
			names_ok = false;
	}
	CHECK(names_ok && mnl_attr_get_u32(tc_attr_find(m, UVDPA_ATTR_DEV_QUEUE_INDEX)) == qidx,
	      "VSTATS %s qidx %u: the kernel's stat names in order", dev, qidx);
out:
	sink_free(&s);
}

static void vstats(void)
{
	static const char *const rx[] = { "rx packets", "rx bytes", "rx errors", "rx overruns",
					  "rx drops" };
	static const char *const tx[] = { "tx packets", "tx bytes", "tx errors", "tx drops" };
	static const char *const cvq[] = { "cvq requests", "cvq successes", "cvq errors" };
	const uint64_t f = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			   (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_CTRL_VQ);
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	struct sink s;

	nlh = req(buf, UVDPA_CMD_DEV_NEW, "net0");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	REQUIRE(call(nlh, &s, NULL, 0) == 0, "DEV_NEW net0");
	sink_free(&s);
	nlh = req(buf, UVDPA_CMD_DEV_NEW, "mq0");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "vdpasim_net");
	mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, 2);
	REQUIRE(call(nlh, &s, NULL, 0) == 0, "DEV_NEW mq0");
	sink_free(&s);

	negotiate("net0", f);
	check_vstats("net0", 0, rx, 5, false);
	check_vstats("net0", 1, tx, 4, false);
	check_vstats("net0", 2, cvq, 3, false);
	nlh = req(buf, UVDPA_CMD_DEV_VSTATS_GET, "net0");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 3);
	expect(nlh, -EINVAL, "vdpa: queue index 3 out of range (the device has 3 queues)",
	       "VSTATS net0 qidx 3 (no such queue)");

	nlh = req(buf, UVDPA_CMD_DEV_CONFIG_GET, "net0");
	CHECK(call(nlh, &s, NULL, 0) == 0 && s.n == 2 &&
	      mnl_attr_get_type(tc_attr_at((void *)s.m[0], 2)) == UVDPA_ATTR_DEV_NEGOTIATED_FEATURES &&
	      mnl_attr_get_u64(tc_attr_at((void *)s.m[0], 2)) == f,
	      "CONFIG_GET after FEATURES_OK: NEGOTIATED_FEATURES third, = what the driver set");
	sink_free(&s);

	negotiate("mq0", f | (1ULL << VIRTIO_NET_F_MQ));
	check_vstats("mq0", 0, rx, 5, true);
}

static int fail_add(struct uvdpa_mgmtdev *m, const char *name,
		    const struct uvdpa_dev_set_config *cfg, struct uvdpa_device **out,
		    const char **msg)
{
	return -EIO;
}

static struct uvdpa_mgmtdev_ops net_no_set_ops, fail_ops;
static struct uvdpa_mgmtdev pci_multi, blk_with_mac, no_set;

static void custom_parents(void)
{
	const struct uvdpa_mgmtdev *net = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net");
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	struct sink s;

	net_no_set_ops = *net->ops;
	net_no_set_ops.dev_set_attr = NULL;
	fail_ops = *net->ops;
	fail_ops.dev_add = fail_add;
	pci_multi = (struct uvdpa_mgmtdev){
		.bus_name = "pci", .dev_name = "0000:08:00.2", .ops = &fail_ops,
		.id_classes = (1ULL << VIRTIO_ID_NET) | (1ULL << VIRTIO_ID_BLOCK),
		.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
				    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) };
	blk_with_mac = (struct uvdpa_mgmtdev){
		.dev_name = "blkmac", .ops = &fail_ops, .id_classes = 1ULL << VIRTIO_ID_BLOCK,
		.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) };
	no_set = (struct uvdpa_mgmtdev){
		.dev_name = "noset", .ops = &net_no_set_ops, .id_classes = 1ULL << VIRTIO_ID_NET };
	REQUIRE(uvdpa_bus_register_mgmtdev(bus, &pci_multi) == 0 &&
		uvdpa_bus_register_mgmtdev(bus, &blk_with_mac) == 0 &&
		uvdpa_bus_register_mgmtdev(bus, &no_set) == 0, "register custom mgmtdevs");

	nlh = req(buf, UVDPA_CMD_MGMTDEV_GET, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, "pci");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "0000:08:00.2");
	CHECK(call(nlh, &s, NULL, 0) == 0 && s.n == 2 &&
	      mnl_attr_get_type(tc_attr_at((void *)s.m[0], 0)) == UVDPA_ATTR_MGMTDEV_BUS_NAME &&
	      strcmp(mnl_attr_get_str(tc_attr_at((void *)s.m[0], 0)), "pci") == 0 &&
	      mnl_attr_get_u64(tc_attr_at((void *)s.m[0], 2)) == 0x6,
	      "MGMTDEV_GET pci/0000:08:00.2: BUS_NAME first, classes 0x6");
	sink_free(&s);
	nlh = req(buf, UVDPA_CMD_MGMTDEV_GET, NULL);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "0000:08:00.2");
	expect(nlh, -ENODEV, "vdpa: Fail to find the specified mgmt device",
	       "MGMTDEV_GET 0000:08:00.2 without its bus");

	nlh = req(buf, UVDPA_CMD_DEV_NEW, "x");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "blkmac");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	expect(nlh, -EINVAL, "vdpa: Network class attributes provided on unsupported management device",
	       "DEV_NEW mac on a blk-only parent that accepts the attribute");
	nlh = req(buf, UVDPA_CMD_DEV_NEW, "x");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, "pci");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "0000:08:00.2");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, (1ULL << 32) | (1ULL << 5));
	expect(nlh, -EINVAL, "vdpa: Management device supports multi-class while device features "
	       "specified are ambiguous", "DEV_NEW device feature bits on a multi-class parent");
	nlh = req(buf, UVDPA_CMD_DEV_NEW, "x");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, "pci");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "0000:08:00.2");
	mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, (1ULL << 32) | (1ULL << 42));
	expect(nlh, -EIO, "", "DEV_NEW transport bits only: reaches the parent, its errno passes through");

	nlh = req(buf, UVDPA_CMD_DEV_NEW, "ns0");
	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, "noset");
	expect(nlh, 0, "", "DEV_NEW ns0 on a parent without dev_set_attr");
	nlh = req(buf, UVDPA_CMD_DEV_ATTR_SET, "ns0");
	mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, 6, mac);
	expect(nlh, -EOPNOTSUPP, "vdpa: Operation not supported by the device.",
	       "ATTR_SET where the parent cannot");
	expect(req(buf, UVDPA_CMD_DEV_DEL, "ns0"), 0, "", "DEV_DEL ns0");
}

static void unmanaged(void)
{
	struct uvdpa_device *d = uvdpa_bus_find_dev(bus, "net0");
	struct uvdpa_mgmtdev *m = d->mdev;
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	struct sink s;

	d->mdev = NULL;     /* as a device registered without a mgmtdev */
	expect(req(buf, UVDPA_CMD_DEV_DEL, "net0"), -EINVAL,
	       "vdpa: Only user created device can be deleted by user", "DEV_DEL unmanaged");
	expect(req(buf, UVDPA_CMD_DEV_GET, "net0"), -EINVAL, "", "DEV_GET unmanaged");
	expect(req(buf, UVDPA_CMD_DEV_CONFIG_GET, "net0"), -EINVAL, "vdpa: unmanaged vdpa device",
	       "CONFIG_GET unmanaged");
	nlh = req(buf, UVDPA_CMD_DEV_VSTATS_GET, "net0");
	mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, 0);
	expect(nlh, -EINVAL, "vdpa: unmanaged vdpa device", "VSTATS unmanaged");
	expect(req(buf, UVDPA_CMD_DEV_ATTR_SET, "net0"), -EINVAL, "vdpa: unmanaged vdpa device",
	       "ATTR_SET unmanaged");
	nlh = tc_req(buf, FAM, NLM_F_REQUEST | NLM_F_DUMP, UVDPA_CMD_DEV_GET);
	CHECK(call(nlh, &s, NULL, 0) == 0 && s.n == 2 &&
	      mnl_nlmsg_size(0) < s.len[0] &&
	      strcmp(mnl_attr_get_str(tc_attr_find((void *)s.m[0], UVDPA_ATTR_DEV_NAME)), "mq0") == 0,
	      "DEV_GET dump skips the unmanaged device");
	sink_free(&s);
	d->mdev = m;
}

/* A dump asked for while one is still being read: EBUSY, as netlink_dump_start. */
static void busy_dump(void)
{
	struct mgmt_client *c = mgmt_client_new(srv, &root);
	unsigned char buf[4096];
	struct nlmsghdr *nlh;
	const struct nlmsghdr *r;
	const void *p;
	size_t len;
	unsigned i, batches = 0;
	bool busy = false;
	char name[16];

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "b%u", i);
		uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk"), name,
				  NULL, NULL, NULL);
	}
	nlh = tc_req(buf, FAM, NLM_F_REQUEST | NLM_F_DUMP, UVDPA_CMD_DEV_GET);
	mgmt_client_input(c, nlh, nlh->nlmsg_len, nlh->nlmsg_len);
	p = mgmt_client_peek(c, &len);
	CHECK(p && len <= MGMT_DGRAM_MAX && mgmt_client_busy(c), "first dump batch ready (%zu bytes)", len);
	mgmt_client_pop(c);
	nlh = tc_req(buf, FAM, NLM_F_REQUEST | NLM_F_DUMP, UVDPA_CMD_MGMTDEV_GET);
	mgmt_client_input(c, nlh, nlh->nlmsg_len, nlh->nlmsg_len);
	while ((p = mgmt_client_peek(c, &len))) {
		r = p;
		if (r->nlmsg_type == NLMSG_ERROR &&
		    ((const struct nlmsgerr *)mnl_nlmsg_get_payload(r))->error == -EBUSY)
			busy = true;
		else if (r->nlmsg_type != NLMSG_DONE)
			batches++;
		mgmt_client_pop(c);
	}
	CHECK(busy, "a second dump during the first -> EBUSY");
	CHECK(batches > 3 && !mgmt_client_busy(c), "the first dump still completes (%u more batches)",
	      batches);
	mgmt_client_free(c);
}

int main(void)
{
	bus = uvdpa_bus_new();
	REQUIRE(bus && uvdpa_bus_register_builtin(bus) == 0, "bus");
	srv = mgmt_server_new(bus);
	REQUIRE(srv, "server");

	vstats();
	custom_parents();
	unmanaged();
	busy_dump();

	mgmt_server_free(srv);
	uvdpa_bus_free(bus);
	return tc_failures ? 1 : 0;
}
