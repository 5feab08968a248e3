/* SPDX-License-Identifier: MIT */
/*
 * Attribute policies and their validation, with the netlink core's rules,
 * errno values and extack messages (lib/nlattr.c), so a client sees what a
 * kernel would tell it.
 */
#ifndef UVDPA_MGMT_GENL_POLICY_H
#define UVDPA_MGMT_GENL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* The kernel's NLA_* policy types that these families use. */
enum genl_pol_type {
	GENL_POL_UNSPEC,        /* no policy: rejected in strict mode */
	GENL_POL_U8,
	GENL_POL_U16,
	GENL_POL_U32,
	GENL_POL_U64,
	GENL_POL_STRING,        /* NUL optional */
	GENL_POL_NUL_STRING,    /* NUL required */
	GENL_POL_BINARY,
};

struct genl_policy {
	uint8_t type;           /* enum genl_pol_type */
	bool range;             /* min/max checked (value, or length for BINARY) */
	uint16_t len;           /* strings: max length without NUL; 0 = none */
	uint64_t min, max;
	/* uvdpa's own: the extack for a string longer than len, in place of
	 * the netlink core's generic "Attribute failed policy validation". */
	const char *range_msg;
};

/* What goes back in NLMSGERR_ATTR_MSG / _OFFS / _POLICY. */
struct mgmt_extack {
	const char *msg;
	char buf[128];                          /* storage for formatted messages */
	const struct nlattr *bad_attr;
	const struct genl_policy *policy;
};

void mgmt_extack_set(struct mgmt_extack *ext, const char *msg);
void mgmt_extack_printf(struct mgmt_extack *ext, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum genl_validate {
	GENL_VALIDATE_LIBERAL,  /* GENL_DONT_VALIDATE_STRICT (nlctrl) */
	GENL_VALIDATE_STRICT,   /* the default for new families (vdpa, latest) */
};

/*
 * Validates the attribute stream [head, head+len) against policy[0..maxtype]
 * and fills tb[0..maxtype]. Strict mode also rejects unknown types, types
 * without policy, wrong fixed lengths, leftover bytes and (uvdpa's choice)
 * repeated attributes. Returns 0 or a negative errno with ext filled.
 */
int genl_parse_attrs(const void *head, size_t len, const struct genl_policy *policy,
		     unsigned maxtype, enum genl_validate mode, const struct nlattr **tb,
		     struct mgmt_extack *ext);

/* The policy of one attribute as the kernel reports it in NLMSGERR_ATTR_POLICY. */
bool genl_put_policy(struct nlmsghdr *nlh, size_t cap, uint16_t type,
		     const struct genl_policy *pol);

/*
 * Copies a string attribute (up to its first NUL or its end) into buf with a
 * NUL. false if it does not fit: a truncated name must never match another.
 */
bool genl_attr_str(const struct nlattr *a, char *buf, size_t size);

#endif
