// SPDX-License-Identifier: MIT
/*
 * Attribute validation with the netlink core's semantics (lib/nlattr.c:
 * __nla_validate_parse, validate_nla, nla_validate_range_unsigned) and its
 * policy reporting (net/netlink/policy.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "mgmt/genl_policy.h"

void mgmt_extack_set(struct mgmt_extack *ext, const char *msg)
{
	ext->msg = msg;
}

void mgmt_extack_printf(struct mgmt_extack *ext, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ext->buf, sizeof(ext->buf), fmt, ap);
	va_end(ap);
	ext->msg = ext->buf;
}

static void ext_attr(struct mgmt_extack *ext, const struct nlattr *a,
		     const struct genl_policy *pol, const char *msg)
{
	ext->msg = msg;
	ext->bad_attr = a;
	ext->policy = pol;
}

/* nla_attr_len[]: the exact length of fixed-size types. */
static unsigned fixed_len(uint8_t type)
{
	switch (type) {
	case GENL_POL_U8: return 1;
	case GENL_POL_U16: return 2;
	case GENL_POL_U32: return 4;
	case GENL_POL_U64: return 8;
	default: return 0;
	}
}

static uint64_t type_max(uint8_t type)
{
	switch (type) {
	case GENL_POL_U8: return UINT8_MAX;
	case GENL_POL_U16: return UINT16_MAX;
	case GENL_POL_U32: return UINT32_MAX;
	default: return UINT64_MAX;
	}
}

static void pol_range(const struct genl_policy *pol, uint64_t *min, uint64_t *max)
{
	if (pol->range) {
		*min = pol->min;
		*max = pol->max;
	} else {
		*min = 0;
		*max = pol->type == GENL_POL_BINARY ? UINT16_MAX : type_max(pol->type);
	}
}

static uint64_t attr_uint(const struct nlattr *a, uint8_t type)
{
	switch (type) {
	case GENL_POL_U8: return mnl_attr_get_u8(a);
	case GENL_POL_U16: return mnl_attr_get_u16(a);
	case GENL_POL_U32: return mnl_attr_get_u32(a);
	case GENL_POL_U64: return mnl_attr_get_u64(a);
	default: return mnl_attr_get_payload_len(a);   /* BINARY: its length */
	}
}

static int validate_string(const struct nlattr *a, const struct genl_policy *pol,
			   struct mgmt_extack *ext)
{
	const char *data = mnl_attr_get_payload(a);
	size_t alen = mnl_attr_get_payload_len(a);

	if (pol->type == GENL_POL_NUL_STRING) {
		size_t minlen = alen;

		if (pol->len && pol->len + 1u < alen)
			minlen = pol->len + 1u;
		if (!minlen || !memchr(data, '\0', minlen)) {
			ext_attr(ext, a, pol, "Attribute failed policy validation");
			return -EINVAL;
		}
	}
	if (alen < 1)
		goto range;
	if (pol->len) {
		if (data[alen - 1] == '\0')
			alen--;
		if (alen > pol->len && pol->range_msg) {
			ext_attr(ext, a, pol, pol->range_msg);
			return -ERANGE;
		}
		if (alen > pol->len)
			goto range;
	}
	return 0;
range:
	ext_attr(ext, a, pol, "Attribute failed policy validation");
	return -ERANGE;
}

static int validate_attr(const struct nlattr *a, const struct genl_policy *pol,
			 enum genl_validate mode, struct mgmt_extack *ext)
{
	bool strict = mode == GENL_VALIDATE_STRICT;
	unsigned alen = mnl_attr_get_payload_len(a);
	unsigned flen = fixed_len(pol->type);
	uint64_t v, min, max;

	if (pol->type == GENL_POL_UNSPEC) {
		if (strict) {
			ext_attr(ext, a, NULL, "Unsupported attribute");
			return -EINVAL;
		}
		return 0;
	}
	if (flen && alen != flen && strict) {
		ext_attr(ext, a, pol, "invalid attribute length");
		return -EINVAL;
	}
	if (strict && (a->nla_type & NLA_F_NESTED)) {
		ext_attr(ext, a, pol, "NLA_F_NESTED not expected");
		return -EINVAL;
	}
	switch (pol->type) {
	case GENL_POL_STRING:
	case GENL_POL_NUL_STRING:
		return validate_string(a, pol, ext);
	case GENL_POL_BINARY:
		break;
	default:
		/* Liberal mode only checks the minimum length. */
		if (alen < flen) {
			ext_attr(ext, a, pol, "Attribute failed policy validation");
			return -ERANGE;
		}
	}
	if (!pol->range)
		return 0;
	v = attr_uint(a, pol->type);
	pol_range(pol, &min, &max);
	if (v < min || v > max) {
		ext_attr(ext, a, pol, pol->type == GENL_POL_BINARY ?
			 "binary attribute size out of range" : "integer out of range");
		return -ERANGE;
	}
	return 0;
}

int genl_parse_attrs(const void *head, size_t len, const struct genl_policy *policy,
		     unsigned maxtype, enum genl_validate mode, const struct nlattr **tb,
		     struct mgmt_extack *ext)
{
	bool strict = mode == GENL_VALIDATE_STRICT;
	const struct nlattr *a = head;
	long rem = (long)len;
	unsigned t;
	int err;

	for (t = 0; t <= maxtype; t++)
		tb[t] = NULL;
	while (rem >= (long)sizeof(struct nlattr) && a->nla_len >= sizeof(struct nlattr) &&
	       a->nla_len <= rem) {
		t = mnl_attr_get_type(a);
		if (t == 0 || t > maxtype) {
			if (strict) {
				ext_attr(ext, a, NULL, "Unknown attribute type");
				return -EINVAL;
			}
			goto next;
		}
		err = validate_attr(a, &policy[t], mode, ext);
		if (err)
			return err;
		/* The kernel keeps the last copy; a repeated attribute is almost
		 * certainly a client bug, so strict mode refuses it. */
		if (tb[t] && strict) {
			ext_attr(ext, a, NULL, "Duplicate attribute");
			return -EINVAL;
		}
		tb[t] = a;
next:
		rem -= MNL_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len));
	}
	if (rem > 0) {
		mgmt_extack_set(ext, "bytes leftover after parsing attributes");
		if (strict)
			return -EINVAL;
	}
	return 0;
}

bool genl_put_policy(struct nlmsghdr *nlh, size_t cap, uint16_t type,
		     const struct genl_policy *pol)
{
	struct nlattr *nest;
	uint64_t min, max;
	uint32_t kind;

	nest = mnl_attr_nest_start_check(nlh, cap, type);
	if (!nest)
		return false;
	/* Mark it nested, as nla_nest_start() does. */
	nest->nla_type |= NLA_F_NESTED;
	pol_range(pol, &min, &max);
	switch (pol->type) {
	case GENL_POL_U8:
	case GENL_POL_U16:
	case GENL_POL_U32:
	case GENL_POL_U64:
		kind = NL_ATTR_TYPE_U8 + (pol->type - GENL_POL_U8);
		if (!mnl_attr_put_u64_check(nlh, cap, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, min) ||
		    !mnl_attr_put_u64_check(nlh, cap, NL_POLICY_TYPE_ATTR_MAX_VALUE_U, max))
			goto fail;
		break;
	case GENL_POL_BINARY:
		kind = NL_ATTR_TYPE_BINARY;
		goto lengths;
	case GENL_POL_STRING:
		kind = NL_ATTR_TYPE_STRING;
		goto lengths;
	case GENL_POL_NUL_STRING:
		kind = NL_ATTR_TYPE_NUL_STRING;
lengths:
		if (pol->range) {
			if (min && !mnl_attr_put_u32_check(nlh, cap, NL_POLICY_TYPE_ATTR_MIN_LENGTH,
							   (uint32_t)min))
				goto fail;
			if (max < UINT16_MAX &&
			    !mnl_attr_put_u32_check(nlh, cap, NL_POLICY_TYPE_ATTR_MAX_LENGTH,
						    (uint32_t)max))
				goto fail;
		} else if (pol->len &&
			   !mnl_attr_put_u32_check(nlh, cap, NL_POLICY_TYPE_ATTR_MAX_LENGTH, pol->len)) {
			goto fail;
		}
		break;
	default:
		goto fail;
	}
	if (!mnl_attr_put_u32_check(nlh, cap, NL_POLICY_TYPE_ATTR_TYPE, kind))
		goto fail;
	mnl_attr_nest_end(nlh, nest);
	return true;
fail:
	mnl_attr_nest_cancel(nlh, nest);
	return false;
}

bool genl_attr_str(const struct nlattr *a, char *buf, size_t size)
{
	const char *data = mnl_attr_get_payload(a);
	size_t n = strnlen(data, mnl_attr_get_payload_len(a));

	if (n >= size)
		return false;
	memcpy(buf, data, n);
	buf[n] = '\0';
	return true;
}
