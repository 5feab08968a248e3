// SPDX-License-Identifier: MIT
/*
 * The slice of nlctrl (net/netlink/genetlink.c) a generic-netlink client
 * needs to find the vdpa family: CTRL_CMD_GETFAMILY by name or id, as a
 * request (do) or a dump. uvdpad serves one family, so nlctrl describes only
 * "vdpa"; any other name or id is ENOENT, as for an unloaded module.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "mgmt/mgmt_priv.h"

#define CTRL_VERSION 2          /* genl_ctrl.version */

static const struct genl_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = { .type = GENL_POL_U16 },
	[CTRL_ATTR_FAMILY_NAME] = { .type = GENL_POL_NUL_STRING, .len = GENL_NAMSIZ - 1 },
	[CTRL_ATTR_OP] = { .type = GENL_POL_U32 },
};

static const struct genl_policy *ctrl_policy_of(uint8_t cmd)
{
	(void)cmd;
	return ctrl_policy;
}

/* GENL_CMD_CAP_* flags of an op, as ctrl_fill_info reports them. */
static uint32_t op_flags(const struct genl_op *op)
{
	uint32_t f = op->flags | GENL_CMD_CAP_HASPOL;

	if (op->doit)
		f |= GENL_CMD_CAP_DO;
	if (op->dumpit)
		f |= GENL_CMD_CAP_DUMP;
	return f;
}

int nlctrl_fill_family(const struct genl_family_desc *f, void *buf, size_t cap,
		       const struct genl_dest *to)
{
	struct nlmsghdr *nlh;
	struct nlattr *ops;
	unsigned i;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)))
		return -EMSGSIZE;
	nlh = genl_msg_start(buf, GENL_ID_CTRL, to, CTRL_CMD_NEWFAMILY, CTRL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, cap, CTRL_ATTR_FAMILY_NAME, f->name) ||
	    !mnl_attr_put_u16_check(nlh, cap, CTRL_ATTR_FAMILY_ID, f->id) ||
	    !mnl_attr_put_u32_check(nlh, cap, CTRL_ATTR_VERSION, f->version) ||
	    !mnl_attr_put_u32_check(nlh, cap, CTRL_ATTR_HDRSIZE, 0) ||
	    !mnl_attr_put_u32_check(nlh, cap, CTRL_ATTR_MAXATTR, f->maxattr))
		return -EMSGSIZE;
	/* nla_nest_start_noflag: no NLA_F_NESTED on these two levels. */
	ops = mnl_attr_nest_start_check(nlh, cap, CTRL_ATTR_OPS);
	if (!ops)
		return -EMSGSIZE;
	for (i = 0; i < f->n_ops; i++) {
		struct nlattr *op = mnl_attr_nest_start_check(nlh, cap, (uint16_t)(i + 1));

		if (!op || !mnl_attr_put_u32_check(nlh, cap, CTRL_ATTR_OP_ID, f->ops[i].cmd) ||
		    !mnl_attr_put_u32_check(nlh, cap, CTRL_ATTR_OP_FLAGS, op_flags(&f->ops[i])))
			return -EMSGSIZE;
		mnl_attr_nest_end(nlh, op);
	}
	mnl_attr_nest_end(nlh, ops);
	return (int)nlh->nlmsg_len;
}

static int ctrl_getfamily_doit(struct genl_req *r)
{
	const struct genl_family_desc *f = &mgmt_vdpa_family;
	const struct genl_family_desc *res = NULL;
	int err = -EINVAL;

	if (r->tb[CTRL_ATTR_FAMILY_ID]) {
		if (mnl_attr_get_u16(r->tb[CTRL_ATTR_FAMILY_ID]) == f->id)
			res = f;
		err = -ENOENT;
	}
	if (r->tb[CTRL_ATTR_FAMILY_NAME]) {
		/* Validated: NUL-terminated within GENL_NAMSIZ. */
		res = strcmp(mnl_attr_get_str(r->tb[CTRL_ATTR_FAMILY_NAME]), f->name) == 0 ? f : NULL;
		err = -ENOENT;
	}
	if (!res)
		return err;
	return nlctrl_fill_family(res, r->reply, MGMT_DGRAM_MAX, &r->to);
}

static int ctrl_getfamily_dumpit(struct mgmt_server *s, unsigned idx, void *buf, size_t cap,
				 const struct genl_dest *to)
{
	(void)s;
	return idx == 0 ? nlctrl_fill_family(&mgmt_vdpa_family, buf, cap, to) : 0;
}

static const struct genl_op ctrl_ops[] = {
	{ CTRL_CMD_GETFAMILY, 0, ctrl_getfamily_doit, ctrl_getfamily_dumpit },
};

const struct genl_family_desc mgmt_nlctrl_family = {
	.name = "nlctrl",
	.id = GENL_ID_CTRL,
	.version = CTRL_VERSION,
	.maxattr = CTRL_ATTR_MAX,
	.resv_start_op = CTRL_CMD_GETPOLICY + 1,
	.validate = GENL_VALIDATE_LIBERAL,
	.ops = ctrl_ops,
	.n_ops = 1,
	.policy = ctrl_policy_of,
};
