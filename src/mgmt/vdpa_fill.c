// SPDX-License-Identifier: MIT
/*
 * vdpa_nl_mgmtdev_fill, vdpa_dev_fill, vdpa_dev_config_fill and
 * vdpa_dev_vendor_stats_fill: attribute order, widths and conditions are the
 * latest kernel's (reference/kernel-vdpa.md §4.2, §4.5-4.7). Multi-byte
 * config fields are little-endian (virtio 1.0), whatever was negotiated.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include <uvdpa/vdpa_abi.h>
#include "mgmt/vdpa_fill.h"

#define BIT(n) (1ULL << (n))
#define NET_CTRL_MQ_VQ_PAIRS_MAX 0x8000   /* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX */

static struct nlmsghdr *vdpa_msg_start(void *buf, size_t cap, const struct genl_dest *to,
				       uint8_t cmd)
{
	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)))
		return NULL;
	return genl_msg_start(buf, mgmt_vdpa_family.id, to, cmd, UVDPA_GENL_VERSION);
}

static bool put_handle(struct nlmsghdr *nlh, size_t cap, const struct uvdpa_mgmtdev *m)
{
	if (m->bus_name &&
	    !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_MGMTDEV_BUS_NAME, m->bus_name))
		return false;
	return mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_MGMTDEV_DEV_NAME, m->dev_name);
}

int vdpa_fill_mgmtdev(struct uvdpa_mgmtdev *m, void *buf, size_t cap,
		      const struct genl_dest *to)
{
	struct nlmsghdr *nlh = vdpa_msg_start(buf, cap, to, UVDPA_CMD_MGMTDEV_NEW);

	if (!nlh || !put_handle(nlh, cap, m) ||
	    !mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES,
				    m->id_classes) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS,
				    m->max_supported_vqs) ||
	    !mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_SUPPORTED_FEATURES,
				    m->supported_features))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* uvdpa's VDUSE attributes (uvdpad --vduse): the node, and what it lacks. */
static int put_vduse(const struct mgmt_server *s, struct nlmsghdr *nlh, size_t cap,
		     struct uvdpa_device *d)
{
	char node[16 + UVDPA_DEV_NAME_MAX];
	const char *without = s->vduse ? s->vduse(s->vduse_opaque, d) : NULL;

	if (!without)
		return 0;
	snprintf(node, sizeof(node), "/dev/vduse/%s", d->name);
	if (!mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_VDUSE, node))
		return -1;
	if (without[0] && !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_VDUSE_WITHOUT, without))
		return -1;
	return 0;
}

/* What a parent reports of its creation settings (blk_file's backing). */
static bool put_settings(struct nlmsghdr *nlh, size_t cap, struct uvdpa_device *d)
{
	struct uvdpa_dev_set_config c;
	uint32_t um;

	if (!d->mdev || !d->mdev->ops->dev_get_settings ||
	    d->mdev->ops->dev_get_settings(d->mdev, d, &c))
		return true;
	um = c.uvdpa_mask;
	return (!(um & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH)) ||
		mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_BLK_PATH, c.blk.path)) &&
	       (!(c.mask & (1ULL << UVDPA_ATTR_DEV_BLK_READ_ONLY)) ||
		mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_DEV_BLK_READ_ONLY, c.blk.read_only)) &&
	       (!(um & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT)) ||
		mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_UVDPA_BLK_DIRECT, c.blk.direct)) &&
	       (!(um & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL)) ||
		mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_BLK_SERIAL, c.blk.serial)) &&
	       (!(um & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP)) ||
		mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_NET_TAP, c.net.tap));
}

int vdpa_fill_dev(struct mgmt_server *s, struct uvdpa_device *d, void *buf, size_t cap,
		  const struct genl_dest *to)
{
	struct nlmsghdr *nlh = vdpa_msg_start(buf, cap, to, UVDPA_CMD_DEV_NEW);
	const struct uvdpa_device_ops *ops = d->ops;
	uint16_t min_vq_size = ops->get_vq_num_min ? ops->get_vq_num_min(d) : 1;
	const char *sock = NULL;

	if (!nlh || !put_handle(nlh, cap, d->mdev) ||
	    !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_DEV_NAME, d->name) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_ID, ops->get_device_id(d)) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_VENDOR_ID, ops->get_vendor_id(d)) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_MAX_VQS, d->nvqs) ||
	    !mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_MAX_VQ_SIZE, ops->get_vq_num_max(d)) ||
	    !mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_MIN_VQ_SIZE, min_vq_size))
		return -EMSGSIZE;
	/* uvdpa's own attribute goes last, where old clients ignore it. */
	if (s->socket_path)
		sock = s->socket_path(s->socket_path_opaque, d);
	if (sock && !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_UVDPA_VHOST_SOCKET, sock))
		return -EMSGSIZE;
	if (!put_settings(nlh, cap, d) || put_vduse(s, nlh, cap, d) < 0)
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* Reads as much of the class' config struct as the device has. */
static void read_config(struct uvdpa_device *d, void *cfg, size_t size, bool legacy_guard)
{
	size_t have = d->ops->get_config_size ? d->ops->get_config_size(d) : size;

	memset(cfg, 0, size);
	if (have > size)
		have = size;
	if (legacy_guard)
		uvdpa_device_get_config(d, 0, cfg, (unsigned)have);
	else
		d->ops->get_config(d, 0, cfg, (unsigned)have);
}

/* vdpa_dev_net_mq_config_fill: MAX_VQP only with MQ or RSS in features. */
static bool put_net_mq(struct nlmsghdr *nlh, size_t cap, uint64_t features,
		       const struct virtio_net_config *cfg)
{
	if (!(features & (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_RSS))))
		return true;
	return mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP,
				      le16toh(cfg->max_virtqueue_pairs));
}

static bool put_net_config(struct nlmsghdr *nlh, size_t cap, struct uvdpa_device *d)
{
	struct virtio_net_config cfg;
	uint64_t f;

	read_config(d, &cfg, sizeof(cfg), false);
	f = d->ops->get_device_features(d);
	if (!mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_FEATURES, f))
		return false;
	if ((f & BIT(VIRTIO_NET_F_MTU)) &&
	    !mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_NET_CFG_MTU, le16toh(cfg.mtu)))
		return false;
	if ((f & BIT(VIRTIO_NET_F_MAC)) &&
	    !mnl_attr_put_check(nlh, cap, UVDPA_ATTR_DEV_NET_CFG_MACADDR, sizeof(cfg.mac), cfg.mac))
		return false;
	if ((f & BIT(VIRTIO_NET_F_STATUS)) &&
	    !mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_NET_STATUS, le16toh(cfg.status)))
		return false;
	return put_net_mq(nlh, cap, f, &cfg);
}

struct blk_u32_field {
	uint16_t attr;
	size_t off;
};

static bool put_u32s(struct nlmsghdr *nlh, size_t cap, const struct virtio_blk_config *cfg,
		     const struct blk_u32_field *fields, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t v;

		memcpy(&v, (const char *)cfg + fields[i].off, sizeof(v));
		if (!mnl_attr_put_u32_check(nlh, cap, fields[i].attr, le32toh(v)))
			return false;
	}
	return true;
}

#define BLK_FIELD(a, f) { UVDPA_ATTR_DEV_BLK_CFG_##a, offsetof(struct virtio_blk_config, f) }

static bool put_blk_topology(struct nlmsghdr *nlh, size_t cap, const struct virtio_blk_config *c)
{
	return mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP,
				     c->physical_block_exp) &&
	       mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_ALIGN_OFFSET,
				     c->alignment_offset) &&
	       mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_MIN_IO_SIZE,
				      le16toh(c->min_io_size)) &&
	       mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_OPT_IO_SIZE,
				      le32toh(c->opt_io_size));
}

static bool put_blk_config(struct nlmsghdr *nlh, size_t cap, struct uvdpa_device *d)
{
	static const struct blk_u32_field discard[] = {
		BLK_FIELD(MAX_DISCARD_SEC, max_discard_sectors),
		BLK_FIELD(MAX_DISCARD_SEG, max_discard_seg),
		BLK_FIELD(DISCARD_SEC_ALIGN, discard_sector_alignment),
	};
	static const struct blk_u32_field wzeroes[] = {
		BLK_FIELD(MAX_WRITE_ZEROES_SEC, max_write_zeroes_sectors),
		BLK_FIELD(MAX_WRITE_ZEROES_SEG, max_write_zeroes_seg),
	};
	static const struct blk_u32_field size_max[] = { BLK_FIELD(SIZE_MAX, size_max) };
	static const struct blk_u32_field blk_size[] = { BLK_FIELD(BLK_SIZE, blk_size) };
	static const struct blk_u32_field seg_max[] = { BLK_FIELD(SEG_MAX, seg_max) };
	struct virtio_blk_config c;
	uint64_t f;

	read_config(d, &c, sizeof(c), false);
	f = d->ops->get_device_features(d);
	if (!mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_FEATURES, f) ||
	    !mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, le64toh(c.capacity)))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_SIZE_MAX)) && !put_u32s(nlh, cap, &c, size_max, 1))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_BLK_SIZE)) && !put_u32s(nlh, cap, &c, blk_size, 1))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_SEG_MAX)) && !put_u32s(nlh, cap, &c, seg_max, 1))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_MQ)) &&
	    !mnl_attr_put_u16_check(nlh, cap, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES,
				    le16toh(c.num_queues)))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_TOPOLOGY)) && !put_blk_topology(nlh, cap, &c))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_DISCARD)) && !put_u32s(nlh, cap, &c, discard, 3))
		return false;
	if ((f & BIT(VIRTIO_BLK_F_WRITE_ZEROES)) && !put_u32s(nlh, cap, &c, wzeroes, 2))
		return false;
	return mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_DEV_BLK_READ_ONLY,
				     !!(f & BIT(VIRTIO_BLK_F_RO))) &&
	       mnl_attr_put_u8_check(nlh, cap, UVDPA_ATTR_DEV_BLK_FLUSH,
				     !!(f & BIT(VIRTIO_BLK_F_FLUSH)));
}

int vdpa_fill_config(struct uvdpa_device *d, void *buf, size_t cap,
		     const struct genl_dest *to)
{
	struct nlmsghdr *nlh = vdpa_msg_start(buf, cap, to, UVDPA_CMD_DEV_CONFIG_GET);
	uint32_t id = d->ops->get_device_id(d);
	bool ok;

	if (!nlh || !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_DEV_NAME, d->name) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_ID, id))
		return -EMSGSIZE;
	/* Driver features mean something only after FEATURES_OK. */
	if ((d->ops->get_status(d) & UVDPA_STATUS_FEATURES_OK) &&
	    !mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_NEGOTIATED_FEATURES,
				    d->ops->get_driver_features(d)))
		return -EMSGSIZE;
	switch (id) {
	case VIRTIO_ID_NET:
		ok = put_net_config(nlh, cap, d);
		break;
	case VIRTIO_ID_BLOCK:
		ok = put_blk_config(nlh, cap, d);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return ok ? (int)nlh->nlmsg_len : -EMSGSIZE;
}

static int put_vendor_stats(struct nlmsghdr *nlh, size_t cap, struct uvdpa_device *d,
			    uint32_t index, struct mgmt_extack *ext)
{
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	int i, n;

	/* The kernel's simulator answers a bare EINVAL here; say why. */
	if (index >= d->nvqs) {
		mgmt_extack_printf(ext, "vdpa: queue index %u out of range (the device has %u queues)",
				   index, d->nvqs);
		return -EINVAL;
	}

	n = d->ops->get_vendor_vq_stats(d, (uint16_t)index, st, UVDPA_MAX_VQ_STATS);
	if (n < 0)
		return n;
	for (i = 0; i < n && i < UVDPA_MAX_VQ_STATS; i++)
		if (!mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_DEV_VENDOR_ATTR_NAME, st[i].name) ||
		    !mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE, st[i].value))
			return -EMSGSIZE;
	return 0;
}

/* vendor_stats_fill + vdpa_fill_stats_rec (net only). */
static int put_net_vstats(struct nlmsghdr *nlh, size_t cap, struct uvdpa_device *d,
			  uint32_t index, struct mgmt_extack *ext)
{
	struct virtio_net_config cfg;
	uint64_t f;

	if (!d->ops->get_vendor_vq_stats)
		return -EOPNOTSUPP;
	if (!(d->ops->get_status(d) & UVDPA_STATUS_FEATURES_OK)) {
		mgmt_extack_set(ext, "vdpa: feature negotiation not complete");
		return -EAGAIN;
	}
	read_config(d, &cfg, sizeof(cfg), true);
	f = d->ops->get_driver_features(d);
	if (!mnl_attr_put_u64_check(nlh, cap, UVDPA_ATTR_DEV_NEGOTIATED_FEATURES, f) ||
	    !put_net_mq(nlh, cap, f, &cfg) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_QUEUE_INDEX, index))
		return -EMSGSIZE;
	return put_vendor_stats(nlh, cap, d, index, ext);
}

int vdpa_fill_vstats(struct uvdpa_device *d, uint32_t index, void *buf, size_t cap,
		     const struct genl_dest *to, struct mgmt_extack *ext)
{
	struct nlmsghdr *nlh = vdpa_msg_start(buf, cap, to, UVDPA_CMD_DEV_VSTATS_GET);
	uint32_t id = d->ops->get_device_id(d);
	int err;

	if (!nlh || !mnl_attr_put_strz_check(nlh, cap, UVDPA_ATTR_DEV_NAME, d->name) ||
	    !mnl_attr_put_u32_check(nlh, cap, UVDPA_ATTR_DEV_ID, id))
		return -EMSGSIZE;
	if (id != VIRTIO_ID_NET)
		return -EOPNOTSUPP;
	if (index > NET_CTRL_MQ_VQ_PAIRS_MAX) {
		mgmt_extack_set(ext, "vdpa: queue index exceeds max value");
		return -ERANGE;
	}
	err = put_net_vstats(nlh, cap, d, index, ext);
	return err ? err : (int)nlh->nlmsg_len;
}
