// SPDX-License-Identifier: MIT
/*
 * The vdpa generic-netlink family (drivers/vdpa/vdpa.c, netlink half, latest
 * kernel): policy, ops and doit/dumpit handlers. Checks run in the kernel's
 * order with its errno values and extack messages (reference/kernel-vdpa.md
 * §3-4). uvdpa additions: DEV_NEW accepts BLK_CFG_CAPACITY (21, u64 sectors)
 * and BLK_CFG_NUM_QUEUES (25, u16) on the kernel's own attribute numbers;
 * DEV_NAME is at most UVDPA_DEV_NAME_MAX bytes (the kernel has no limit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include <uvdpa/vdpa_abi.h>
#include "mgmt/vdpa_fill.h"

#define BIT(n) (1ULL << (n))
#define NET_ATTRS_MASK (BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) | \
			BIT(UVDPA_ATTR_DEV_NET_CFG_MTU) | \
			BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP))
/* VIRTIO_TRANSPORT_F_START..END of the latest kernel headers (28..42). */
#define TRANSPORT_F_START 28
#define TRANSPORT_F_END   42
#define DEVICE_F_MASK (~0ULL << (TRANSPORT_F_END + 1) | (BIT(TRANSPORT_F_START) - 1))

/* vdpa_nl_policy (latest). */
#define VDPA_FAMILY_POLICY \
	[UVDPA_ATTR_MGMTDEV_BUS_NAME] = { .type = GENL_POL_NUL_STRING }, \
	[UVDPA_ATTR_MGMTDEV_DEV_NAME] = { .type = GENL_POL_STRING }, \
	[UVDPA_ATTR_DEV_NAME] = { .type = GENL_POL_STRING, .len = UVDPA_DEV_NAME_MAX, \
				  .range_msg = UVDPA_DEV_NAME_TOO_LONG_MSG }, \
	[UVDPA_ATTR_DEV_NET_CFG_MACADDR] = { .type = GENL_POL_BINARY, .range = true, \
					     .min = 6, .max = 6 }, \
	[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP] = { .type = GENL_POL_U16 }, \
	[UVDPA_ATTR_DEV_NET_CFG_MTU] = { .type = GENL_POL_U16, .range = true, \
					 .min = 68, .max = UINT16_MAX }, \
	[UVDPA_ATTR_DEV_QUEUE_INDEX] = { .type = GENL_POL_U32 }, \
	[UVDPA_ATTR_DEV_FEATURES] = { .type = GENL_POL_U64 }

static const struct genl_policy vdpa_policy[UVDPA_ATTR_MAX + 1] = {
	VDPA_FAMILY_POLICY,
};

/* DEV_NEW also takes blk provisioning and blk_file's settings (uvdpa
 * extension; 38..199 have no policy and stay refused). */
static const struct genl_policy vdpa_dev_new_policy[UVDPA_ATTR_UVDPA_MAX + 1] = {
	VDPA_FAMILY_POLICY,
	[UVDPA_ATTR_DEV_BLK_CFG_CAPACITY] = { .type = GENL_POL_U64 },
	[UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES] = { .type = GENL_POL_U16 },
	[UVDPA_ATTR_DEV_BLK_READ_ONLY] = { .type = GENL_POL_U8, .range = true, .min = 0, .max = 1 },
	[UVDPA_ATTR_UVDPA_BLK_PATH] = { .type = GENL_POL_NUL_STRING },
	[UVDPA_ATTR_UVDPA_BLK_DIRECT] = { .type = GENL_POL_U8, .range = true, .min = 0, .max = 1 },
	[UVDPA_ATTR_UVDPA_BLK_SERIAL] = { .type = GENL_POL_NUL_STRING },
	[UVDPA_ATTR_UVDPA_NET_TAP] = { .type = GENL_POL_NUL_STRING },
	[UVDPA_ATTR_UVDPA_NET_TAP_OWNED] = { .type = GENL_POL_U8, .range = true,
					     .min = 1, .max = 1 },
	[UVDPA_ATTR_UVDPA_EXPORT_VDUSE] = { .type = GENL_POL_U8, .range = true, .min = 0, .max = 1 },
};

static const struct genl_policy *vdpa_policy_of(uint8_t cmd)
{
	return cmd == UVDPA_CMD_DEV_NEW ? vdpa_dev_new_policy : vdpa_policy;
}

/* Only DEV_NEW takes uvdpa's own attributes (above the kernel's). */
static uint16_t vdpa_maxattr_of(uint8_t cmd)
{
	return cmd == UVDPA_CMD_DEV_NEW ? UVDPA_ATTR_UVDPA_MAX : UVDPA_ATTR_MAX;
}

enum mgmt_attr_kind mgmt_attr_kind(uint8_t cmd, unsigned type)
{
	if (type > vdpa_maxattr_of(cmd))
		return MGMT_ATTR_NONE;
	switch (vdpa_policy_of(cmd)[type].type) {
	case GENL_POL_U8:
		return MGMT_ATTR_U8;
	case GENL_POL_U16:
		return MGMT_ATTR_U16;
	case GENL_POL_U32:
		return MGMT_ATTR_U32;
	case GENL_POL_U64:
		return MGMT_ATTR_U64;
	case GENL_POL_STRING:
	case GENL_POL_NUL_STRING:
		return MGMT_ATTR_STRING;
	case GENL_POL_BINARY:
		return MGMT_ATTR_BINARY;
	default:
		return MGMT_ATTR_NONE;
	}
}

/*
 * Tells the server's commit hook (uvdpad's state file) about a change that
 * succeeded, before the reply exists: a client told "done" can rely on it.
 * owned: the request is recorded with NET_TAP_OWNED added (the parent
 * created the TAP it names, so a restart must re-attach and keep owning it).
 */
static int dev_commit(struct genl_req *r, uint8_t cmd, const char *name, bool owned)
{
	char msg[sizeof(r->ext->buf) - 8];
	const void *attrs = mnl_nlmsg_get_payload_offset(r->nlh, GENL_HDRLEN);
	size_t len = mnl_nlmsg_get_payload_len(r->nlh) - GENL_HDRLEN;
	unsigned char *copy = NULL;
	int err;

	if (!r->srv->commit)
		return 0;
	if (owned) {
		struct nlattr *a;

		copy = malloc(len + MNL_ALIGN(NLA_HDRLEN + 1));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, attrs, len);
		a = (struct nlattr *)(copy + len);
		a->nla_type = UVDPA_ATTR_UVDPA_NET_TAP_OWNED;
		a->nla_len = NLA_HDRLEN + 1;
		memset(copy + len + NLA_HDRLEN, 0, MNL_ALIGN(NLA_HDRLEN + 1) - NLA_HDRLEN);
		copy[len + NLA_HDRLEN] = 1;
		attrs = copy;
		len += MNL_ALIGN(NLA_HDRLEN + 1);
	}
	msg[0] = '\0';
	err = r->srv->commit(r->srv->commit_opaque, cmd, name, attrs, len, msg, sizeof(msg));
	free(copy);
	if (err)
		mgmt_extack_printf(r->ext, "vdpa: %s", msg[0] ? msg : "cannot record the change");
	return err;
}

/* The parent says it owns what the request only named (net_tap: it created
 * the TAP), and the request did not say so already. */
static bool dev_new_owned(struct genl_req *r, struct uvdpa_device *d)
{
	struct uvdpa_dev_set_config c;

	if (r->tb[UVDPA_ATTR_UVDPA_NET_TAP_OWNED] || !d->mdev ||
	    !d->mdev->ops->dev_get_settings || d->mdev->ops->dev_get_settings(d->mdev, d, &c))
		return false;
	return c.uvdpa_mask & UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED);
}

/* Long enough for any handle a parent registers; longer never matches. */
#define HANDLE_MAX 256

/* vdpa_mgmtdev_get_from_attr. */
static int mgmtdev_from_attrs(struct genl_req *r, struct uvdpa_mgmtdev **out)
{
	char bus[HANDLE_MAX], dev[HANDLE_MAX];
	const struct nlattr *abus = r->tb[UVDPA_ATTR_MGMTDEV_BUS_NAME];
	const struct nlattr *adev = r->tb[UVDPA_ATTR_MGMTDEV_DEV_NAME];

	if (!adev)
		return -EINVAL;
	if (!genl_attr_str(adev, dev, sizeof(dev)) ||
	    (abus && !genl_attr_str(abus, bus, sizeof(bus))))
		return -ENODEV;
	*out = uvdpa_bus_find_mgmtdev(r->srv->bus, abus ? bus : NULL, dev);
	return *out ? 0 : -ENODEV;
}

/* bus_find_device(..., vdpa_name_match) on the DEV_NAME attribute. */
static struct uvdpa_device *dev_from_attr(struct genl_req *r)
{
	char name[UVDPA_NAME_MAX + 1];

	if (!genl_attr_str(r->tb[UVDPA_ATTR_DEV_NAME], name, sizeof(name)))
		return NULL;
	return uvdpa_bus_find_dev(r->srv->bus, name);
}

/* Device lookup shared by the doit handlers: ENODEV "device not found". */
static int find_dev(struct genl_req *r, struct uvdpa_device **out)
{
	if (!r->tb[UVDPA_ATTR_DEV_NAME])
		return -EINVAL;
	*out = dev_from_attr(r);
	if (!*out) {
		mgmt_extack_set(r->ext, "vdpa: device not found");
		return -ENODEV;
	}
	return 0;
}

static int mgmtdev_get_doit(struct genl_req *r)
{
	struct uvdpa_mgmtdev *m;
	int err = mgmtdev_from_attrs(r, &m);

	if (err) {
		mgmt_extack_set(r->ext, "vdpa: Fail to find the specified mgmt device");
		return err;
	}
	return vdpa_fill_mgmtdev(m, r->reply, MGMT_DGRAM_MAX, &r->to);
}

static int mgmtdev_get_dumpit(struct mgmt_server *s, unsigned idx, void *buf, size_t cap,
			      const struct genl_dest *to)
{
	struct uvdpa_mgmtdev *m = uvdpa_bus_mgmtdev_at(s->bus, idx);

	return m ? vdpa_fill_mgmtdev(m, buf, cap, to) : 0;
}

static int dev_new_blk_file(struct genl_req *r, struct uvdpa_dev_set_config *cfg);

/* Collects the provisioning attributes, checking them as the kernel does. */
static int dev_new_config(struct genl_req *r, struct uvdpa_dev_set_config *cfg)
{
	const struct nlattr **tb = r->tb;
	uint64_t missing = 0;

	if (tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR]) {
		memcpy(cfg->net.mac, mnl_attr_get_payload(tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR]), 6);
		cfg->mask |= BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR);
	}
	if (tb[UVDPA_ATTR_DEV_NET_CFG_MTU]) {
		cfg->net.mtu = mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_NET_CFG_MTU]);
		cfg->mask |= BIT(UVDPA_ATTR_DEV_NET_CFG_MTU);
	}
	if (tb[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP]) {
		cfg->net.max_vq_pairs = mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP]);
		if (!cfg->net.max_vq_pairs) {
			mgmt_extack_set(r->ext, "vdpa: At least one pair of VQs is required");
			return -EINVAL;
		}
		cfg->mask |= BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP);
	}
	if (tb[UVDPA_ATTR_DEV_FEATURES]) {
		uint64_t f = mnl_attr_get_u64(tb[UVDPA_ATTR_DEV_FEATURES]);

		cfg->device_features = f;
		if (tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR] && !(f & BIT(VIRTIO_NET_F_MAC)))
			missing |= BIT(VIRTIO_NET_F_MAC);
		if (tb[UVDPA_ATTR_DEV_NET_CFG_MTU] && !(f & BIT(VIRTIO_NET_F_MTU)))
			missing |= BIT(VIRTIO_NET_F_MTU);
		if (tb[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP] && cfg->net.max_vq_pairs > 1 &&
		    !(f & BIT(VIRTIO_NET_F_MQ)))
			missing |= BIT(VIRTIO_NET_F_MQ);
		if (missing) {
			mgmt_extack_printf(r->ext, "vdpa: Missing features 0x%llx for provided attributes",
					   (unsigned long long)missing);
			return -EINVAL;
		}
		cfg->mask |= BIT(UVDPA_ATTR_DEV_FEATURES);
	}
	/* uvdpa extension: blk provisioning, on the kernel's config attribute numbers. */
	if (tb[UVDPA_ATTR_DEV_BLK_CFG_CAPACITY]) {
		cfg->blk.capacity = mnl_attr_get_u64(tb[UVDPA_ATTR_DEV_BLK_CFG_CAPACITY]);
		cfg->mask |= BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY);
	}
	if (tb[UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES]) {
		cfg->blk.num_queues = mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES]);
		if (!cfg->blk.num_queues) {
			mgmt_extack_set(r->ext, "vdpa: At least one queue is required");
			return -EINVAL;
		}
		cfg->mask |= BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES);
	}
	/* The kernel checks CAP_NET_ADMIN again for net attributes here; every
	 * caller of this op already passed the same GENL_ADMIN_PERM check. */
	return dev_new_blk_file(r, cfg);
}

/* uvdpa extension: blk_file's backing and settings. */
static int dev_new_blk_file(struct genl_req *r, struct uvdpa_dev_set_config *cfg)
{
	const struct nlattr **tb = r->tb;

	if (tb[UVDPA_ATTR_DEV_BLK_READ_ONLY]) {
		cfg->blk.read_only = mnl_attr_get_u8(tb[UVDPA_ATTR_DEV_BLK_READ_ONLY]);
		cfg->mask |= BIT(UVDPA_ATTR_DEV_BLK_READ_ONLY);
	}
	if (tb[UVDPA_ATTR_UVDPA_BLK_PATH]) {
		cfg->blk.path = mnl_attr_get_str(tb[UVDPA_ATTR_UVDPA_BLK_PATH]);
		cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_PATH);
	}
	if (tb[UVDPA_ATTR_UVDPA_BLK_DIRECT]) {
		cfg->blk.direct = mnl_attr_get_u8(tb[UVDPA_ATTR_UVDPA_BLK_DIRECT]);
		cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_DIRECT);
	}
	if (tb[UVDPA_ATTR_UVDPA_BLK_SERIAL]) {
		cfg->blk.serial = mnl_attr_get_str(tb[UVDPA_ATTR_UVDPA_BLK_SERIAL]);
		cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_BLK_SERIAL);
	}
	if (tb[UVDPA_ATTR_UVDPA_NET_TAP]) {
		cfg->net.tap = mnl_attr_get_str(tb[UVDPA_ATTR_UVDPA_NET_TAP]);
		cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP);
	}
	if (tb[UVDPA_ATTR_UVDPA_NET_TAP_OWNED])
		cfg->uvdpa_mask |= UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED);
	return 0;
}

static unsigned popcount64(uint64_t v)
{
	return (unsigned)__builtin_popcountll(v);
}

/* Class checks of vdpa_nl_cmd_dev_add_set_doit, after the mgmtdev lookup. */
static int dev_new_check_mgmtdev(struct genl_req *r, const struct uvdpa_mgmtdev *m,
				 const struct uvdpa_dev_set_config *cfg)
{
	uint64_t classes = m->id_classes & ~1ULL;

	if (cfg->mask & ~m->config_attr_mask) {
		mgmt_extack_printf(r->ext, "vdpa: Some provided attributes are not supported: 0x%llx",
				   (unsigned long long)(cfg->mask & ~m->config_attr_mask));
		return -EOPNOTSUPP;
	}
	if (cfg->uvdpa_mask & ~m->uvdpa_attr_mask) {
		mgmt_extack_printf(r->ext, "vdpa: %s takes no %s",
				   m->dev_name,
				   !(cfg->uvdpa_mask & ~m->uvdpa_attr_mask &
				     ~(UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP) |
				       UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP_OWNED))) ?
				   "tap" : "path, direct or serial");
		return -EOPNOTSUPP;
	}
	if ((cfg->mask & NET_ATTRS_MASK) && !(classes & BIT(VIRTIO_ID_NET))) {
		mgmt_extack_set(r->ext,
				"vdpa: Network class attributes provided on unsupported management device");
		return -EINVAL;
	}
	if (!(cfg->mask & NET_ATTRS_MASK) && (cfg->mask & BIT(UVDPA_ATTR_DEV_FEATURES)) &&
	    (classes & BIT(VIRTIO_ID_NET)) && popcount64(classes) > 1 &&
	    (cfg->device_features & DEVICE_F_MASK)) {
		mgmt_extack_set(r->ext, "vdpa: Management device supports multi-class while "
				"device features specified are ambiguous");
		return -EINVAL;
	}
	return 0;
}

/*
 * Provisioned features may only take offered bits away. The kernel's parents
 * refuse more with a bare EINVAL; the mgmtdev advertises exactly what its
 * devices accept, so the reason can be given here.
 */
static int dev_new_check_features(struct genl_req *r, const struct uvdpa_mgmtdev *m,
				  const struct uvdpa_dev_set_config *cfg)
{
	uint64_t extra = cfg->device_features & ~m->supported_features;

	/* A parent advertising no features at all (the kernel's vdpasim_blk)
	 * leaves the check to its dev_add. */
	if (!(cfg->mask & BIT(UVDPA_ATTR_DEV_FEATURES)) || !m->supported_features || !extra)
		return 0;
	mgmt_extack_printf(r->ext, "vdpa: device_features 0x%llx not supported by %s",
			   (unsigned long long)extra, m->dev_name);
	return -EINVAL;
}

static void dev_new_parent_msg(struct genl_req *r, const char *msg)
{
	if (!msg)
		return;
	if (strncmp(msg, "vdpa: ", 6) == 0)
		mgmt_extack_set(r->ext, msg);
	else
		mgmt_extack_printf(r->ext, "vdpa: %s", msg);
}

/*
 * uvdpa extension: the daemon's faces, not the parent, take the VDUSE choice
 * (every mgmtdev). Told just before the device exists: the bus's listener
 * hears of it within uvdpa_bus_dev_add, on this thread. Every DEV_NEW says
 * it (-1 when absent), so a device refused before the listener saw it
 * leaves no choice behind for the next one.
 */
static int dev_new_export(struct genl_req *r)
{
	const struct nlattr *a = r->tb[UVDPA_ATTR_UVDPA_EXPORT_VDUSE];
	int want = a ? mnl_attr_get_u8(a) : -1;
	const char *msg = NULL;
	int err;

	if (!r->srv->export_fn) {
		if (want != 1)
			return 0;
		mgmt_extack_set(r->ext, "vdpa: this server cannot put devices on the kernel's "
				"vdpa bus (no VDUSE)");
		return -EOPNOTSUPP;
	}
	err = r->srv->export_fn(r->srv->export_opaque, want, &msg);
	if (err)
		dev_new_parent_msg(r, msg);
	return err;
}

static int dev_new_doit(struct genl_req *r)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	char name[UVDPA_NAME_MAX + 1];
	struct uvdpa_mgmtdev *m;
	struct uvdpa_device *d = NULL;
	const char *msg = NULL;
	int err;

	if (!r->tb[UVDPA_ATTR_DEV_NAME])
		return -EINVAL;
	err = dev_new_config(r, &cfg);
	if (err)
		return err;
	err = mgmtdev_from_attrs(r, &m);
	if (err) {
		mgmt_extack_set(r->ext, "vdpa: Fail to find the specified management device");
		return err;
	}
	err = dev_new_check_mgmtdev(r, m, &cfg);
	if (err)
		return err;
	err = dev_new_check_features(r, m, &cfg);
	if (err)
		return err;
	/* The policy bounds the length; the bus applies the kernel's naming. */
	if (!genl_attr_str(r->tb[UVDPA_ATTR_DEV_NAME], name, sizeof(name)))
		return -ERANGE;
	err = dev_new_export(r);
	if (err)
		return err;
	err = uvdpa_bus_dev_add(r->srv->bus, m, name, &cfg, &d, &msg);
	if (err) {
		dev_new_parent_msg(r, msg);
		return err;
	}
	/* A device that would not come back after a restart is not created. */
	snprintf(name, sizeof(name), "%s", d->name);
	err = dev_commit(r, UVDPA_CMD_DEV_NEW, name, dev_new_owned(r, d));
	if (err)
		uvdpa_bus_dev_del(r->srv->bus, name);
	return err;
}

static int dev_del_doit(struct genl_req *r)
{
	char name[UVDPA_NAME_MAX + 1];
	struct uvdpa_device *d;
	int err = find_dev(r, &d);

	if (err)
		return err;
	if (!d->mdev) {
		mgmt_extack_set(r->ext, "vdpa: Only user created device can be deleted by user");
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s", d->name);
	err = uvdpa_bus_dev_del(r->srv->bus, name);
	return err ? err : dev_commit(r, UVDPA_CMD_DEV_DEL, name, false);
}

static int dev_get_doit(struct genl_req *r)
{
	struct uvdpa_device *d;
	int err = find_dev(r, &d);

	if (err)
		return err;
	if (!d->mdev)
		return -EINVAL;
	return vdpa_fill_dev(r->srv, d, r->reply, MGMT_DGRAM_MAX, &r->to);
}

/* The idx-th device created through a mgmtdev (the kernel skips the rest). */
static struct uvdpa_device *managed_dev_at(struct uvdpa_bus *bus, unsigned idx)
{
	unsigned i, n = uvdpa_bus_dev_count(bus);

	for (i = 0; i < n; i++) {
		struct uvdpa_device *d = uvdpa_bus_dev_at(bus, i);

		if (d->mdev && idx-- == 0)
			return d;
	}
	return NULL;
}

static int dev_get_dumpit(struct mgmt_server *s, unsigned idx, void *buf, size_t cap,
			  const struct genl_dest *to)
{
	struct uvdpa_device *d = managed_dev_at(s->bus, idx);

	return d ? vdpa_fill_dev(s, d, buf, cap, to) : 0;
}

static int dev_config_get_doit(struct genl_req *r)
{
	struct uvdpa_device *d;
	int err = find_dev(r, &d);

	if (err)
		return err;
	if (!d->mdev) {
		mgmt_extack_set(r->ext, "vdpa: unmanaged vdpa device");
		return -EINVAL;
	}
	return vdpa_fill_config(d, r->reply, MGMT_DGRAM_MAX, &r->to);
}

static int dev_config_get_dumpit(struct mgmt_server *s, unsigned idx, void *buf, size_t cap,
				 const struct genl_dest *to)
{
	struct uvdpa_device *d = managed_dev_at(s->bus, idx);

	/* A class without config reporting ends the walk, as in the kernel. */
	return d ? vdpa_fill_config(d, buf, cap, to) : 0;
}

static int dev_vstats_get_doit(struct genl_req *r)
{
	struct uvdpa_device *d;
	uint32_t index;
	int err;

	if (!r->tb[UVDPA_ATTR_DEV_NAME] || !r->tb[UVDPA_ATTR_DEV_QUEUE_INDEX])
		return -EINVAL;
	index = mnl_attr_get_u32(r->tb[UVDPA_ATTR_DEV_QUEUE_INDEX]);
	err = find_dev(r, &d);
	if (err)
		return err;
	if (!d->mdev) {
		mgmt_extack_set(r->ext, "vdpa: unmanaged vdpa device");
		return -EINVAL;
	}
	return vdpa_fill_vstats(d, index, r->reply, MGMT_DGRAM_MAX, &r->to, r->ext);
}

/* is_valid_ether_addr: not multicast (broadcast included), not all zero. */
static bool valid_ether_addr(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static int dev_attr_set_doit(struct genl_req *r)
{
	const struct nlattr *amac = r->tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR];
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_mgmtdev *m;
	struct uvdpa_device *d;
	int err = find_dev(r, &d);

	if (err)
		return err;
	m = d->mdev;
	if (!m) {
		mgmt_extack_set(r->ext, "vdpa: unmanaged vdpa device");
		return -EINVAL;
	}
	if (!(m->id_classes & BIT(VIRTIO_ID_NET))) {
		/* The kernel's quirk: a warning, and success. */
		mgmt_extack_printf(r->ext, "vdpa: %s device not supported", d->name);
		return 0;
	}
	if (!amac) {
		/* The kernel's answer, with a reason it does not give. */
		mgmt_extack_set(r->ext, "vdpa: nothing to set: no attribute given (mac)");
		return -EOPNOTSUPP;
	}
	memcpy(cfg.net.mac, mnl_attr_get_payload(amac), 6);
	if (!valid_ether_addr(cfg.net.mac)) {
		mgmt_extack_set(r->ext, "vdpa: Invalid MAC address");
		return -EOPNOTSUPP;
	}
	cfg.mask = BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR);
	if (!m->ops->dev_set_attr) {
		mgmt_extack_set(r->ext, "vdpa: Operation not supported by the device.");
		return -EOPNOTSUPP;
	}
	err = m->ops->dev_set_attr(m, d, &cfg);
	return err ? err : dev_commit(r, UVDPA_CMD_DEV_ATTR_SET, d->name, false);
}

static const struct genl_op vdpa_ops[] = {
	{ UVDPA_CMD_MGMTDEV_GET, 0, mgmtdev_get_doit, mgmtdev_get_dumpit },
	{ UVDPA_CMD_DEV_NEW, GENL_ADMIN_PERM, dev_new_doit, NULL },
	{ UVDPA_CMD_DEV_DEL, GENL_ADMIN_PERM, dev_del_doit, NULL },
	{ UVDPA_CMD_DEV_GET, 0, dev_get_doit, dev_get_dumpit },
	{ UVDPA_CMD_DEV_CONFIG_GET, 0, dev_config_get_doit, dev_config_get_dumpit },
	{ UVDPA_CMD_DEV_VSTATS_GET, GENL_ADMIN_PERM, dev_vstats_get_doit, NULL },
	{ UVDPA_CMD_DEV_ATTR_SET, GENL_ADMIN_PERM, dev_attr_set_doit, NULL },
};

const struct genl_family_desc mgmt_vdpa_family = {
	.name = UVDPA_GENL_NAME,
	.id = MGMT_VDPA_FAMILY_ID,
	.version = UVDPA_GENL_VERSION,
	.maxattr = UVDPA_ATTR_MAX,
	.resv_start_op = UVDPA_CMD_DEV_VSTATS_GET + 1,
	.validate = GENL_VALIDATE_STRICT,
	.ops = vdpa_ops,
	.n_ops = sizeof(vdpa_ops) / sizeof(vdpa_ops[0]),
	.policy = vdpa_policy_of,
	.maxattr_of = vdpa_maxattr_of,
};
