// SPDX-License-Identifier: MIT
/*
 * Printing one reply message of each kind, field for field as iproute2's
 * vdpa prints it (kernel-vdpa.md §9.3-9.6), plus what iproute2 leaves out:
 * the blk config and the vhost-user socket uvdpad reports for a device.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include <uvdpa/vdpa_abi.h>

#include "cli/reply.h"
#include "virtio/features.h"

#define STR (-1)        /* NUL-terminated string */
#define ANY 0           /* not read by uvdpa */

/* Payload length of every attribute uvdpa reads; others are skipped. */
static const int attr_len[UVDPA_ATTR_MAX] = {
	[UVDPA_ATTR_MGMTDEV_BUS_NAME] = STR,
	[UVDPA_ATTR_MGMTDEV_DEV_NAME] = STR,
	[UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES] = 8,
	[UVDPA_ATTR_DEV_NAME] = STR,
	[UVDPA_ATTR_DEV_ID] = 4,
	[UVDPA_ATTR_DEV_VENDOR_ID] = 4,
	[UVDPA_ATTR_DEV_MAX_VQS] = 4,
	[UVDPA_ATTR_DEV_MAX_VQ_SIZE] = 2,
	[UVDPA_ATTR_DEV_NET_CFG_MACADDR] = 6,
	[UVDPA_ATTR_DEV_NET_STATUS] = 2,
	[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP] = 2,
	[UVDPA_ATTR_DEV_NET_CFG_MTU] = 2,
	[UVDPA_ATTR_DEV_NEGOTIATED_FEATURES] = 8,
	[UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS] = 4,
	[UVDPA_ATTR_DEV_SUPPORTED_FEATURES] = 8,
	[UVDPA_ATTR_DEV_QUEUE_INDEX] = 4,
	[UVDPA_ATTR_DEV_VENDOR_ATTR_NAME] = STR,
	[UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE] = 8,
	[UVDPA_ATTR_DEV_BLK_CFG_CAPACITY] = 8,
	[UVDPA_ATTR_DEV_BLK_CFG_SIZE_MAX] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_BLK_SIZE] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_SEG_MAX] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES] = 2,
	[UVDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP] = 1,
	[UVDPA_ATTR_DEV_BLK_CFG_ALIGN_OFFSET] = 1,
	[UVDPA_ATTR_DEV_BLK_CFG_MIN_IO_SIZE] = 2,
	[UVDPA_ATTR_DEV_BLK_CFG_OPT_IO_SIZE] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEC] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEG] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_DISCARD_SEC_ALIGN] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEC] = 4,
	[UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEG] = 4,
	[UVDPA_ATTR_DEV_BLK_READ_ONLY] = 1,
	[UVDPA_ATTR_DEV_BLK_FLUSH] = 1,
};

struct attrs {
	const struct nlattr *tb[UVDPA_ATTR_MAX];
	const struct nlattr *vhost_socket;
	const struct nlattr *blk_path, *blk_direct, *blk_serial;   /* blk_file */
	const struct nlattr *vduse, *vduse_without;    /* uvdpad --vduse */
	const struct nlattr *net_tap;                               /* net_tap */
};

__attribute__((format(printf, 2, 3)))
static int bad(struct cli_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->quiet) {
		fprintf(r->err, "uvdpa: malformed reply: ");
		va_start(ap, fmt);
		vfprintf(r->err, fmt, ap);
		va_end(ap);
		fputc('\n', r->err);
	}
	r->error = EBADMSG;
	return -1;
}

static bool attr_ok(const struct nlattr *a, int len)
{
	if (len == STR)
		return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0;
	return len == ANY || mnl_attr_get_payload_len(a) == (unsigned)len;
}

static int parse_attrs(struct cli_reply *r, const struct nlmsghdr *nlh, struct attrs *at)
{
	const struct nlattr *a;

	memset(at, 0, sizeof(*at));
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		unsigned type = mnl_attr_get_type(a);

		if (type == UVDPA_ATTR_UVDPA_VHOST_SOCKET || type == UVDPA_ATTR_UVDPA_BLK_PATH ||
		    type == UVDPA_ATTR_UVDPA_BLK_SERIAL || type == UVDPA_ATTR_UVDPA_BLK_DIRECT) {
			if (!attr_ok(a, type == UVDPA_ATTR_UVDPA_BLK_DIRECT ? 1 : STR))
				return bad(r, "attribute %u is malformed", type);
			*(type == UVDPA_ATTR_UVDPA_VHOST_SOCKET ? &at->vhost_socket :
			  type == UVDPA_ATTR_UVDPA_BLK_PATH ? &at->blk_path :
			  type == UVDPA_ATTR_UVDPA_BLK_SERIAL ? &at->blk_serial : &at->blk_direct) = a;
		} else if (type == UVDPA_ATTR_UVDPA_VDUSE || type == UVDPA_ATTR_UVDPA_VDUSE_WITHOUT) {
			if (!attr_ok(a, STR))
				return bad(r, "attribute %u is malformed", type);
			*(type == UVDPA_ATTR_UVDPA_VDUSE ? &at->vduse : &at->vduse_without) = a;
		} else if (type == UVDPA_ATTR_UVDPA_NET_TAP) {
			if (!attr_ok(a, STR))
				return bad(r, "attribute %u is malformed", type);
			at->net_tap = a;
		} else if (type < UVDPA_ATTR_MAX) {
			if (!attr_ok(a, attr_len[type]))
				return bad(r, "attribute %u is malformed", type);
			at->tb[type] = a;
		}
	}
	return 0;
}

static uint64_t get_uint(const struct nlattr *a)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1: return mnl_attr_get_u8(a);
	case 2: return mnl_attr_get_u16(a);
	case 4: return mnl_attr_get_u32(a);
	default: return mnl_attr_get_u64(a);
	}
}

/* "bus/name" or "name"; the caller frees. */
static char *mgmt_handle(const struct attrs *at)
{
	const char *name = mnl_attr_get_str(at->tb[UVDPA_ATTR_MGMTDEV_DEV_NAME]);
	char *s;

	if (!at->tb[UVDPA_ATTR_MGMTDEV_BUS_NAME])
		return strdup(name);
	if (asprintf(&s, "%s/%s", mnl_attr_get_str(at->tb[UVDPA_ATTR_MGMTDEV_BUS_NAME]),
		     name) < 0)
		return NULL;
	return s;
}

static void print_features(struct pr *p, const char *key, uint64_t features, uint32_t dev_id)
{
	pr_array_start(p, key);
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(features & (1ULL << bit)))
			continue;
		name = uvdpa_feature_name(dev_id, bit);
		if (name)
			pr_array_str(p, name);
		else
			pr_array_bit(p, bit);
	}
	pr_array_end(p);
}

static const char *class_name(unsigned id)
{
	switch (id) {
	case VIRTIO_ID_NET: return "net";
	case VIRTIO_ID_BLOCK: return "block";
	default: return "< unknown class >";
	}
}

static const char *dev_type_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_NET: return "network";
	case VIRTIO_ID_BLOCK: return "block";
	default: return "<unknown type>";
	}
}

/* Whose feature names a mgmtdev's features get: net wins, like iproute2. */
static uint32_t classes_dev_id(uint64_t classes)
{
	if (classes & (1ULL << VIRTIO_ID_NET))
		return VIRTIO_ID_NET;
	for (unsigned id = 1; id < 64; id++)
		if (classes == 1ULL << id)
			return id;
	return 0;
}

static int show_mgmtdev(struct cli_reply *r, const struct attrs *at)
{
	const struct nlattr *const *tb = at->tb;
	struct pr *p = r->pr;
	uint64_t classes = 0;
	char *handle;

	if (!tb[UVDPA_ATTR_MGMTDEV_DEV_NAME])
		return bad(r, "management device without attribute %u",
			   UVDPA_ATTR_MGMTDEV_DEV_NAME);
	handle = mgmt_handle(at);
	if (!handle)
		return bad(r, "out of memory");
	pr_obj_start(p, handle);
	free(handle);
	if (tb[UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES]) {
		classes = mnl_attr_get_u64(tb[UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES]);
		pr_array_start(p, "supported_classes");
		for (unsigned id = 1; id < 64; id++)
			if (classes & (1ULL << id))
				pr_array_str(p, class_name(id));
		pr_array_end(p);
	}
	if (tb[UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS])
		pr_uint(p, "max_supported_vqs", "\n  max_supported_vqs ",
			mnl_attr_get_u32(tb[UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS]), "");
	if (tb[UVDPA_ATTR_DEV_SUPPORTED_FEATURES])
		print_features(p, "dev_features",
			       mnl_attr_get_u64(tb[UVDPA_ATTR_DEV_SUPPORTED_FEATURES]),
			       classes_dev_id(classes));
	pr_obj_end(p);
	return 0;
}

static int need_dev(struct cli_reply *r, const struct attrs *at)
{
	if (!at->tb[UVDPA_ATTR_DEV_NAME])
		return bad(r, "device without attribute %u", UVDPA_ATTR_DEV_NAME);
	if (!at->tb[UVDPA_ATTR_DEV_ID])
		return bad(r, "device without attribute %u", UVDPA_ATTR_DEV_ID);
	return 0;
}

/* blk_file's settings, in `dev add` keyword order. */
static void show_blk_file(struct pr *p, const struct attrs *at)
{
	if (at->blk_path)
		pr_str(p, "path", " path ", mnl_attr_get_str(at->blk_path), "");
	if (at->blk_path && at->tb[UVDPA_ATTR_DEV_BLK_READ_ONLY])
		pr_bool(p, "readonly", " readonly ",
			mnl_attr_get_u8(at->tb[UVDPA_ATTR_DEV_BLK_READ_ONLY]), "");
	if (at->blk_direct)
		pr_str(p, "direct", " direct ", mnl_attr_get_u8(at->blk_direct) ? "on" : "off", "");
	if (at->blk_serial)
		pr_str(p, "serial", " serial ", mnl_attr_get_str(at->blk_serial), "");
	if (at->net_tap)
		pr_str(p, "tap", " tap ", mnl_attr_get_str(at->net_tap), "");
}

static int show_dev(struct cli_reply *r, const struct attrs *at)
{
	const struct nlattr *const *tb = at->tb;
	struct pr *p = r->pr;
	char *mgmt;

	if (need_dev(r, at))
		return -1;
	if (!tb[UVDPA_ATTR_MGMTDEV_DEV_NAME])
		return bad(r, "device without attribute %u", UVDPA_ATTR_MGMTDEV_DEV_NAME);
	mgmt = mgmt_handle(at);
	if (!mgmt)
		return bad(r, "out of memory");
	pr_obj_start(p, mnl_attr_get_str(tb[UVDPA_ATTR_DEV_NAME]));
	pr_str(p, "type", "type ", dev_type_name(mnl_attr_get_u32(tb[UVDPA_ATTR_DEV_ID])), "");
	pr_str(p, "mgmtdev", " mgmtdev ", mgmt, "");
	free(mgmt);
	if (tb[UVDPA_ATTR_DEV_VENDOR_ID])
		pr_uint(p, "vendor_id", " vendor_id ",
			mnl_attr_get_u32(tb[UVDPA_ATTR_DEV_VENDOR_ID]), "");
	if (tb[UVDPA_ATTR_DEV_MAX_VQS])
		pr_uint(p, "max_vqs", " max_vqs ", mnl_attr_get_u32(tb[UVDPA_ATTR_DEV_MAX_VQS]), "");
	if (tb[UVDPA_ATTR_DEV_MAX_VQ_SIZE])
		pr_uint(p, "max_vq_size", " max_vq_size ",
			mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_MAX_VQ_SIZE]), "");
	if (at->vhost_socket)
		pr_str(p, "vhost_socket", " vhost_socket ", mnl_attr_get_str(at->vhost_socket), "");
	show_blk_file(p, at);
	if (at->vduse)
		pr_str(p, "vduse", " vduse ", mnl_attr_get_str(at->vduse), "");
	if (at->vduse_without)
		pr_str(p, "vduse_without", " vduse_without ", mnl_attr_get_str(at->vduse_without), "");
	pr_obj_end(p);
	return 0;
}

/* iproute2's fixed order: mac, link, link_announce, max_vq_pairs, mtu. */
static void show_net_config(struct pr *p, const struct nlattr *const *tb)
{
	if (tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR]) {
		const uint8_t *m = mnl_attr_get_payload(tb[UVDPA_ATTR_DEV_NET_CFG_MACADDR]);
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 m[0], m[1], m[2], m[3], m[4], m[5]);
		pr_str(p, "mac", "mac ", mac, " ");
	}
	if (tb[UVDPA_ATTR_DEV_NET_STATUS]) {
		uint16_t st = mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_NET_STATUS]);

		/* iproute2's keys really end with a space; scripts rely on it */
		pr_str(p, "link ", "link ", st & VIRTIO_NET_S_LINK_UP ? "up" : "down", " ");
		pr_bool(p, "link_announce ", "link_announce ", st & VIRTIO_NET_S_ANNOUNCE, " ");
	}
	if (tb[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP])
		pr_uint(p, "max_vq_pairs", "max_vq_pairs ",
			mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP]), " ");
	if (tb[UVDPA_ATTR_DEV_NET_CFG_MTU])
		pr_uint(p, "mtu", "mtu ", mnl_attr_get_u16(tb[UVDPA_ATTR_DEV_NET_CFG_MTU]), " ");
}

/* uvdpa's blk config: the virtio_blk_config field names, in attribute order. */
static const struct blk_field {
	unsigned attr;
	const char *key;
	const char *text;
} blk_fields[] = {
#define F(a, k) { UVDPA_ATTR_DEV_BLK_##a, k, k " " }
	F(CFG_CAPACITY, "capacity"),
	F(CFG_SIZE_MAX, "size_max"),
	F(CFG_BLK_SIZE, "blk_size"),
	F(CFG_SEG_MAX, "seg_max"),
	F(CFG_NUM_QUEUES, "num_queues"),
	F(CFG_PHY_BLK_EXP, "physical_block_exp"),
	F(CFG_ALIGN_OFFSET, "alignment_offset"),
	F(CFG_MIN_IO_SIZE, "min_io_size"),
	F(CFG_OPT_IO_SIZE, "opt_io_size"),
	F(CFG_MAX_DISCARD_SEC, "max_discard_sectors"),
	F(CFG_MAX_DISCARD_SEG, "max_discard_seg"),
	F(CFG_DISCARD_SEC_ALIGN, "discard_sector_alignment"),
	F(CFG_MAX_WRITE_ZEROES_SEC, "max_write_zeroes_sectors"),
	F(CFG_MAX_WRITE_ZEROES_SEG, "max_write_zeroes_seg"),
	F(READ_ONLY, "read_only"),
	F(FLUSH, "flush"),
#undef F
};

static void show_blk_config(struct pr *p, const struct nlattr *const *tb)
{
	for (size_t i = 0; i < sizeof(blk_fields) / sizeof(blk_fields[0]); i++) {
		const struct blk_field *f = &blk_fields[i];
		const struct nlattr *a = tb[f->attr];

		if (!a)
			continue;
		if (f->attr == UVDPA_ATTR_DEV_BLK_READ_ONLY || f->attr == UVDPA_ATTR_DEV_BLK_FLUSH)
			pr_bool(p, f->key, f->text, mnl_attr_get_u8(a), " ");
		else
			pr_uint(p, f->key, f->text, get_uint(a), " ");
	}
}

static int show_config(struct cli_reply *r, const struct attrs *at)
{
	const struct nlattr *const *tb = at->tb;
	struct pr *p = r->pr;
	uint32_t id;

	if (need_dev(r, at))
		return -1;
	id = mnl_attr_get_u32(tb[UVDPA_ATTR_DEV_ID]);
	pr_obj_start(p, mnl_attr_get_str(tb[UVDPA_ATTR_DEV_NAME]));
	if (id == VIRTIO_ID_NET)
		show_net_config(p, tb);
	else if (id == VIRTIO_ID_BLOCK)
		show_blk_config(p, tb);
	if ((id == VIRTIO_ID_NET || id == VIRTIO_ID_BLOCK) &&
	    tb[UVDPA_ATTR_DEV_NEGOTIATED_FEATURES])
		print_features(p, "negotiated_features",
			       mnl_attr_get_u64(tb[UVDPA_ATTR_DEV_NEGOTIATED_FEATURES]), id);
	pr_obj_end(p);
	return 0;
}

/*
 * The queue's role. Without VIRTIO_NET_F_MQ there is one queue pair and the
 * control queue is 2; iproute2 takes a missing (or zero) max_vqp for 0 pairs
 * and calls queue 0 the control queue.
 */
static const char *queue_type(uint64_t features, bool has_vqp, uint16_t vqp, uint32_t q)
{
	if (!(features & (1ULL << VIRTIO_NET_F_MQ)) || !has_vqp)
		vqp = 1;
	if ((features & (1ULL << VIRTIO_NET_F_CTRL_VQ)) && q == 2u * vqp)
		return "control_vq";
	return q % 2 ? "tx" : "rx";
}

static int show_vstats(struct cli_reply *r, const struct nlmsghdr *nlh, const struct attrs *at)
{
	const char *name = NULL;
	struct pr *p = r->pr;
	uint64_t features = 0;
	bool has_vqp = false;
	uint16_t vqp = 0;
	const struct nlattr *a;

	if (need_dev(r, at))
		return -1;
	pr_obj_start(p, mnl_attr_get_str(at->tb[UVDPA_ATTR_DEV_NAME]));
	/* Walked in order: stats are repeated name/value pairs. Lengths were
	 * checked by parse_attrs. */
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case UVDPA_ATTR_DEV_NEGOTIATED_FEATURES:
			features = mnl_attr_get_u64(a);
			break;
		case UVDPA_ATTR_DEV_NET_CFG_MAX_VQP:
			vqp = mnl_attr_get_u16(a);
			has_vqp = true;
			break;
		case UVDPA_ATTR_DEV_QUEUE_INDEX:
			pr_str(p, "queue_type", "queue_type ",
			       queue_type(features, has_vqp, vqp, mnl_attr_get_u32(a)), " ");
			break;
		case UVDPA_ATTR_DEV_VENDOR_ATTR_NAME:
			name = mnl_attr_get_str(a);
			break;
		case UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE:
			if (!name)
				break;
			pr_text(p, name);
			pr_uint(p, name, " ", mnl_attr_get_u64(a), " ");
			name = NULL;
			break;
		}
	}
	pr_obj_end(p);
	return 0;
}

static int show_family(struct cli_reply *r, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			r->family = mnl_attr_get_u16(a);
	}
	if (!r->family)
		return bad(r, "family lookup without attribute %u", CTRL_ATTR_FAMILY_ID);
	return 0;
}

int cli_show_msg(struct cli_reply *r, const struct nlmsghdr *nlh)
{
	struct attrs at;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return bad(r, "message of %u bytes has no genetlink header", nlh->nlmsg_len);
	if (r->show == CLI_SHOW_FAMILY)
		return show_family(r, nlh);
	if (parse_attrs(r, nlh, &at))
		return -1;
	switch (r->show) {
	case CLI_SHOW_MGMTDEV: return show_mgmtdev(r, &at);
	case CLI_SHOW_DEV: return show_dev(r, &at);
	case CLI_SHOW_CONFIG: return show_config(r, &at);
	case CLI_SHOW_VSTATS: return show_vstats(r, nlh, &at);
	default: return 0;      /* an ACK-only request: nothing to print */
	}
}
