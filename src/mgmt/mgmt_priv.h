/* SPDX-License-Identifier: MIT */
/* Internals of the management face shared by its files. */
#ifndef UVDPA_MGMT_PRIV_H
#define UVDPA_MGMT_PRIV_H

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "mgmt/genl_policy.h"
#include "mgmt/mgmt.h"

struct mgmt_server {
	struct uvdpa_bus *bus;
	mgmt_socket_path_fn socket_path;
	void *socket_path_opaque;
	mgmt_commit_fn commit;
	void *commit_opaque;
	mgmt_vduse_fn vduse;
	void *vduse_opaque;
	mgmt_export_fn export_fn;
	void *export_opaque;
};

/* Reply header fields taken from the request (the kernel's snd_seq/snd_portid). */
struct genl_dest {
	uint32_t seq;
	uint32_t pid;
	uint16_t flags;         /* 0 for do replies, NLM_F_MULTI in dumps */
};

/*
 * Fills dump entry idx as one message in buf. Returns its length, 0 when the
 * walk is over, -EMSGSIZE when it does not fit in cap, or another negative
 * errno that ends the dump silently (the kernel's dumpit never fails).
 */
typedef int (*genl_dumpit_fn)(struct mgmt_server *s, unsigned idx, void *buf, size_t cap,
			      const struct genl_dest *to);

/* A request being executed by a doit. */
struct genl_req {
	struct mgmt_server *srv;
	const struct mgmt_peer *peer;
	const struct nlmsghdr *nlh;
	const struct nlattr **tb;
	struct mgmt_extack *ext;
	struct genl_dest to;
	void *reply;            /* MGMT_DGRAM_MAX bytes for the doit's reply */
};

struct genl_op {
	uint8_t cmd;
	uint8_t flags;          /* GENL_ADMIN_PERM */
	/* 0: success (ACK if asked), > 0: length of the reply written to
	 * req->reply (then ACK if asked), < 0: -errno. */
	int (*doit)(struct genl_req *r);
	genl_dumpit_fn dumpit;
};

struct genl_family_desc {
	const char *name;
	uint16_t id;
	uint8_t version;
	uint16_t maxattr;
	uint8_t resv_start_op;  /* commands from here get the strict header checks */
	enum genl_validate validate;
	const struct genl_op *ops;
	unsigned n_ops;
	const struct genl_policy *(*policy)(uint8_t cmd);
	/* Optional: a command whose policy reaches past maxattr (uvdpa's own
	 * attributes, numbered from 200); tb holds MGMT_TB_MAX + 1 entries. */
	uint16_t (*maxattr_of)(uint8_t cmd);
};

#define MGMT_TB_MAX 255

extern const struct genl_family_desc mgmt_vdpa_family;
extern const struct genl_family_desc mgmt_nlctrl_family;

/* Starts a generic-netlink message (nlmsghdr + genlmsghdr) in buf. */
struct nlmsghdr *genl_msg_start(void *buf, uint16_t type, const struct genl_dest *to,
				uint8_t cmd, uint8_t version);

/* Finds an op of a family; NULL if the command is unknown. */
const struct genl_op *genl_find_op(const struct genl_family_desc *f, uint8_t cmd);

/* nlctrl: the family description of vdpa, also used for CTRL_ATTR_OPS. */
int nlctrl_fill_family(const struct genl_family_desc *f, void *buf, size_t cap,
		       const struct genl_dest *to);

#endif
