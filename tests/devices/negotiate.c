// SPDX-License-Identifier: MIT
/*
 * Identity, features, config space and provisioning of both simulators:
 * ACCESS_PLATFORM is required, negotiated = requested & offered, provisioned
 * features must be a subset, config defaults as the kernel's.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>

#include "tdev.h"

#define NET_WORD 0x308830028ULL
#define BLK_WORD 0x308007646ULL
#define TRANSPORT (F_INDIRECT | F_EVENT_IDX | F_PACKED)

static int add(struct uvdpa_bus *bus, const char *mgmt, const char *name,
	       const struct uvdpa_dev_set_config *cfg, struct uvdpa_device **d)
{
	const char *msg = NULL;

	return uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, mgmt), name, cfg, d, &msg);
}

static unsigned cfg_cb_count;

static void cfg_cb(void *opaque)
{
	(void)opaque;
	cfg_cb_count++;
}

static void net_checks(struct uvdpa_bus *bus)
{
	const struct uvdpa_device_ops *o;
	struct virtio_net_config c;
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	struct uvdpa_callback cb = { .fn = cfg_cb, .trigger_fd = -1 };
	struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net");
	struct uvdpa_device *d;
	uint8_t junk[4] = { 1, 2, 3, 4 };
	uint32_t gen;
	uint16_t status;

	CHECK(add(bus, "vdpasim_net", "n0", NULL, &d) == 0, "create vdpasim_net with defaults");
	o = d->ops;
	CHECK(o->get_device_id(d) == 1 && o->get_vendor_id(d) == 0 && d->nvqs == 3 &&
	      o->get_vq_num_max(d) == 256 && o->get_vq_num_min(d) == 1 &&
	      o->get_vq_align(d) == 4096, "net: id 1, vendor 0, 3 vqs, max vq size 256");
	CHECK(o->get_device_features(d) == (NET_WORD | TRANSPORT | F(15) | F(35)),
	      "net offers the kernel word + INDIRECT, EVENT_IDX, RING_PACKED, MRG_RXBUF, "
	      "IN_ORDER (%#llx)",
	      (unsigned long long)o->get_device_features(d));
	CHECK(o->get_config_size(d) == sizeof(c), "net config size %zu", sizeof(c));
	memset(&c, 0x5a, sizeof(c));
	o->get_config(d, 0, &c, sizeof(c));
	CHECK(memcmp(c.mac, "\0\0\0\0\0\0", 6) == 0 && le16toh(c.mtu) == 1500 &&
	      le16toh(c.status) == VIRTIO_NET_S_LINK_UP && le16toh(c.max_virtqueue_pairs) == 1,
	      "net config: MAC 00:00:00:00:00:00, MTU 1500, link up, 1 pair");
	status = 0;
	o->set_config(d, offsetof(struct virtio_net_config, status), &status, 2);
	o->get_config(d, offsetof(struct virtio_net_config, status), &status, 2);
	CHECK(le16toh(status) == VIRTIO_NET_S_LINK_UP, "status forced to LINK_UP on every read");
	o->get_config(d, sizeof(c) - 2, junk, 4);
	CHECK(junk[0] == 1 && junk[3] == 4, "out-of-range config read leaves the buffer alone");
	o->get_config(d, UINT32_MAX, junk, 4);
	CHECK(junk[0] == 1, "config read at a huge offset is refused");

	CHECK(!d->features_valid, "features not valid before negotiation");
	uvdpa_device_get_config(d, 0, &c, 6);
	CHECK(d->features_valid && o->get_driver_features(d) == 0,
	      "uvdpa_device_get_config sets features (0) first");
	CHECK(o->set_driver_features(d, F_VERSION_1) == -EINVAL && o->get_driver_features(d) == 0,
	      "features without ACCESS_PLATFORM -> EINVAL");
	CHECK(o->set_driver_features(d, ~0ULL) == 0 &&
	      o->get_driver_features(d) == o->get_device_features(d),
	      "negotiated = requested & offered");
	CHECK(o->set_driver_features(d, F_ACCESS_PLATFORM | F(0) | F(22)) == 0 &&
	      o->get_driver_features(d) == F_ACCESS_PLATFORM, "bits not offered are dropped");

	o->set_status(d, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER);
	CHECK(o->get_status(d) == 3, "status stored");
	gen = o->get_generation(d);
	o->set_status(d, 0);
	CHECK(o->get_status(d) == 0 && o->get_driver_features(d) == 0 &&
	      o->get_generation(d) == gen + 1, "status 0 resets (features 0, generation + 1)");
	gen = o->get_generation(d);
	CHECK(uvdpa_device_reset(d) == 0 && !d->features_valid && o->get_generation(d) == gen + 1,
	      "uvdpa_device_reset: generation + 1, features no longer valid");

	CHECK(o->get_vendor_vq_stats(d, 0, st, UVDPA_MAX_VQ_STATS) == 5 &&
	      strcmp(st[0].name, "rx packets") == 0 && strcmp(st[1].name, "rx bytes") == 0 &&
	      strcmp(st[2].name, "rx errors") == 0 && strcmp(st[3].name, "rx overruns") == 0 &&
	      strcmp(st[4].name, "rx drops") == 0 && st[0].value == 0, "qidx 0: the kernel's 5 rx stats");
	CHECK(o->get_vendor_vq_stats(d, 1, st, UVDPA_MAX_VQ_STATS) == 4 &&
	      strcmp(st[0].name, "tx packets") == 0 && strcmp(st[1].name, "tx bytes") == 0 &&
	      strcmp(st[2].name, "tx errors") == 0 && strcmp(st[3].name, "tx drops") == 0,
	      "qidx 1: the kernel's 4 tx stats");
	CHECK(o->get_vendor_vq_stats(d, 2, st, UVDPA_MAX_VQ_STATS) == 3 &&
	      strcmp(st[0].name, "cvq requests") == 0 && strcmp(st[1].name, "cvq successes") == 0 &&
	      strcmp(st[2].name, "cvq errors") == 0, "qidx 2: the kernel's 3 cvq stats");
	CHECK(o->get_vendor_vq_stats(d, 3, st, UVDPA_MAX_VQ_STATS) == -EINVAL, "qidx 3 -> EINVAL");
	CHECK(o->get_vendor_vq_stats(d, 0, st, 2) == 2, "stats respect max");

	/* dev set: MAC only, and a config interrupt (beyond the kernel) */
	o->set_config_cb(d, &cb);
	gen = o->get_generation(d);
	cfg.mask = 1ULL << 10;
	memcpy(cfg.net.mac, "\x02\x11\x22\x33\x44\x55", 6);
	CHECK(m->ops->dev_set_attr(m, d, &cfg) == 0, "dev_set_attr MAC");
	o->get_config(d, 0, &c, sizeof(c));
	CHECK(memcmp(c.mac, cfg.net.mac, 6) == 0 && cfg_cb_count == 1 &&
	      o->get_generation(d) == gen + 1, "MAC changed, config callback fired, generation + 1");
	cfg.mask = 1ULL << 13;
	CHECK(m->ops->dev_set_attr(m, d, &cfg) == -EOPNOTSUPP, "dev_set_attr without MAC -> EOPNOTSUPP");

	/* provisioning */
	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = (1ULL << 10) | (1ULL << 13);
	memcpy(cfg.net.mac, "\x00\x11\x22\x33\x44\x55", 6);
	cfg.net.mtu = 9000;
	CHECK(add(bus, "vdpasim_net", "n1", &cfg, &d) == 0, "create with mac and mtu");
	d->ops->get_config(d, 0, &c, sizeof(c));
	CHECK(memcmp(c.mac, cfg.net.mac, 6) == 0 && le16toh(c.mtu) == 9000,
	      "config has the provisioned MAC and MTU");

	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = 1ULL << 20;
	cfg.device_features = F_ACCESS_PLATFORM | F_VERSION_1 | F(5);
	CHECK(add(bus, "vdpasim_net", "n2", &cfg, &d) == 0 &&
	      d->ops->get_device_features(d) == cfg.device_features,
	      "provisioned features replace the offered word");
	CHECK(d->ops->set_driver_features(d, ~0ULL) == 0 &&
	      d->ops->get_driver_features(d) == cfg.device_features, "and bound negotiation");
	cfg.device_features = F_ACCESS_PLATFORM | F(0);
	CHECK(add(bus, "vdpasim_net", "n3", &cfg, &d) == -EINVAL, "features not offered -> EINVAL");
	cfg.device_features = F_ACCESS_PLATFORM | F(22);
	CHECK(add(bus, "vdpasim_net", "n3", &cfg, &d) == -EINVAL, "MQ with one pair -> EINVAL");

	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = 1ULL << 12;
	cfg.net.max_vq_pairs = 0;
	CHECK(add(bus, "vdpasim_net", "n3", &cfg, &d) == -EINVAL, "max_vqp 0 -> EINVAL");
	cfg.net.max_vq_pairs = 65;
	CHECK(add(bus, "vdpasim_net", "n3", &cfg, &d) == -EINVAL, "max_vqp 65 -> EINVAL");
	cfg.net.max_vq_pairs = 4;
	CHECK(add(bus, "vdpasim_net", "n3", &cfg, &d) == 0 && d->nvqs == 9 &&
	      (d->ops->get_device_features(d) & F(22)), "max_vqp 4: 9 vqs, MQ offered");
	d->ops->get_config(d, 0, &c, sizeof(c));
	CHECK(le16toh(c.max_virtqueue_pairs) == 4, "config max_virtqueue_pairs 4");
	CHECK(d->ops->get_vendor_vq_stats(d, 8, st, 16) == 3 && strcmp(st[0].name, "cvq requests") == 0 &&
	      d->ops->get_vendor_vq_stats(d, 7, st, 16) == 4 &&
	      d->ops->get_vendor_vq_stats(d, 6, st, 16) == 5 &&
	      d->ops->get_vendor_vq_stats(d, 9, st, 16) == -EINVAL,
	      "MQ stats: 2k rx, 2k+1 tx, 2N cvq, beyond -> EINVAL");
	cfg.mask = 1ULL << 13;
	cfg.net.mtu = 67;
	CHECK(add(bus, "vdpasim_net", "n4", &cfg, &d) == -EINVAL, "MTU 67 -> EINVAL");
}

static void blk_checks(struct uvdpa_bus *bus)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_vq_stat st[4];
	struct virtio_blk_config c;
	struct uvdpa_device *d;

	CHECK(add(bus, "vdpasim_blk", "b0", NULL, &d) == 0, "create vdpasim_blk with defaults");
	CHECK(d->ops->get_device_id(d) == 2 && d->ops->get_vendor_id(d) == 0 && d->nvqs == 1 &&
	      d->ops->get_vq_num_max(d) == 256, "blk: id 2, vendor 0, 1 vq, max vq size 256");
	CHECK(d->ops->get_device_features(d) == (BLK_WORD | TRANSPORT),
	      "blk offers 0x308007646 + INDIRECT, EVENT_IDX, RING_PACKED");
	CHECK(d->ops->get_config_size(d) == sizeof(c), "blk config size %zu", sizeof(c));
	memset(&c, 0x5a, sizeof(c));
	d->ops->get_config(d, 0, &c, sizeof(c));
	CHECK(le64toh(c.capacity) == 0x40000 && le32toh(c.size_max) == 4096 &&
	      le32toh(c.seg_max) == 32 && le16toh(c.num_queues) == 1 && le32toh(c.blk_size) == 512 &&
	      le16toh(c.min_io_size) == 1 && le32toh(c.opt_io_size) == 1 &&
	      c.physical_block_exp == 0 && c.alignment_offset == 0 &&
	      le32toh(c.discard_sector_alignment) == 512 &&
	      le32toh(c.max_discard_sectors) == UINT32_MAX && le32toh(c.max_discard_seg) == 1 &&
	      le32toh(c.max_write_zeroes_sectors) == UINT32_MAX &&
	      le32toh(c.max_write_zeroes_seg) == 1 && c.write_zeroes_may_unmap == 0 && c.wce == 0,
	      "blk config as the kernel's (capacity 0x40000, size_max 4096, seg_max 32, ...)");
	CHECK(d->ops->get_vendor_vq_stats(d, 0, st, 4) == -EOPNOTSUPP, "blk has no vendor stats");

	cfg.mask = (1ULL << 21) | (1ULL << 25);
	cfg.blk.capacity = 1000;
	cfg.blk.num_queues = 4;
	CHECK(add(bus, "vdpasim_blk", "b1", &cfg, &d) == 0 && d->nvqs == 4,
	      "capacity 1000 sectors, 4 queues");
	d->ops->get_config(d, 0, &c, sizeof(c));
	CHECK(le64toh(c.capacity) == 1000 && le16toh(c.num_queues) == 4, "config shows them");
	cfg.blk.capacity = 0;
	CHECK(add(bus, "vdpasim_blk", "b2", &cfg, &d) == -EINVAL, "capacity 0 -> EINVAL");
	cfg.blk.capacity = (1ULL << 31) + 1;
	CHECK(add(bus, "vdpasim_blk", "b2", &cfg, &d) == -EINVAL, "capacity over 1 TiB -> EINVAL");
	cfg.blk.capacity = 1ULL << 31;
	CHECK(add(bus, "vdpasim_blk", "b2", &cfg, &d) == 0, "capacity of 1 TiB (virtual) accepted");
	cfg.blk.capacity = 8;
	cfg.blk.num_queues = 0;
	CHECK(add(bus, "vdpasim_blk", "b3", &cfg, &d) == -EINVAL, "0 queues -> EINVAL");
	cfg.blk.num_queues = 65;
	CHECK(add(bus, "vdpasim_blk", "b3", &cfg, &d) == -EINVAL, "65 queues -> EINVAL");
	cfg.mask = 1ULL << 20;
	cfg.device_features = F_ACCESS_PLATFORM | F_VERSION_1 | F(9);
	CHECK(add(bus, "vdpasim_blk", "b3", &cfg, &d) == 0 &&
	      d->ops->get_device_features(d) == cfg.device_features, "blk provisioned features");
	cfg.device_features = F_ACCESS_PLATFORM | F(5);
	CHECK(add(bus, "vdpasim_blk", "b4", &cfg, &d) == -EINVAL, "blk features not offered -> EINVAL");
}

int main(void)
{
	struct uvdpa_bus *bus = tbus_new();
	struct uvdpa_vq_state s = { 0 }, g;
	struct uvdpa_device *d;

	net_checks(bus);
	blk_checks(bus);

	d = uvdpa_bus_find_dev(bus, "n0");
	s.split.avail_index = 7;
	CHECK(d->ops->set_vq_state(d, 1, &s) == 0 && d->ops->get_vq_state(d, 1, &g) == 0 &&
	      g.split.avail_index == 7, "vq state set / get on a queue not yet ready");
	CHECK(d->ops->set_vq_state(d, 3, &s) == -EINVAL && d->ops->get_vq_state(d, 3, &g) == -EINVAL &&
	      d->ops->set_vq_address(d, 3, 0, 0, 0) == -EINVAL && !d->ops->get_vq_ready(d, 3),
	      "queue index out of range refused");
	d->ops->set_vq_ready(d, 3, true);
	d->ops->kick_vq(d, 3);
	d->ops->set_vq_num(d, 3, 8);
	d->ops->set_vq_cb(d, 3, NULL);
	CHECK(d->ops->get_vq_size(d, 3) == 0 && d->ops->get_vq_size(d, 0) == 256,
	      "void ops ignore a bad index; vq size 256 before DRIVER_OK");
	uvdpa_bus_free(bus);
	CHECK(1, "bus freed with 9 devices");
	return 0;
}
