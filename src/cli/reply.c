// SPDX-License-Identifier: MIT
/*
 * Walking a reply datagram. The framing rules are the kernel's (and what
 * libmnl's mnl_cb_run applies): messages follow each other aligned to 4
 * bytes, a message that does not fit ends the walk. NLMSG_ERROR carries
 * struct nlmsgerr, then the request (unless NLM_F_CAPPED), then extack
 * attributes when NLM_F_ACK_TLVS is set; NLMSG_DONE carries an int and
 * possibly extack attributes after it.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <linux/netlink.h>

#include "cli/reply.h"

void cli_reply_init(struct cli_reply *r, struct pr *pr, FILE *err, enum cli_show show,
		    uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->pr = pr;
	r->err = err;
	r->show = show;
	r->seq = seq;
}

/* The extack message of an error or done message, if it has one. */
static const char *extack_msg(const struct nlmsghdr *nlh, size_t offset)
{
	const char *msg = NULL;
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	offset = MNL_ALIGN(offset);
	if (offset > mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	mnl_attr_for_each(a, nlh, offset) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			msg = mnl_attr_get_str(a);
	}
	return msg && *msg ? msg : NULL;
}

static void print_extack(struct cli_reply *r, const char *msg, bool is_err)
{
	size_t len;

	if (!msg || r->quiet)
		return;
	len = strlen(msg);
	fprintf(r->err, "%s: %s%s\n", is_err ? "Error" : "Warning", msg,
		msg[len - 1] == '.' ? "" : ".");
}

static int fail(struct cli_reply *r, int error, const char *msg)
{
	/* errno values come with either sign; INT_MIN has no positive twin */
	r->error = error == INT_MIN ? EPROTO : error < 0 ? -error : error;
	print_extack(r, msg, true);
	if (!r->quiet)
		fprintf(r->err, "kernel answers: %s\n", strerror(r->error));
	return CLI_REPLY_FAIL;
}

static int malformed(struct cli_reply *r, const char *why)
{
	r->error = EBADMSG;
	if (!r->quiet)
		fprintf(r->err, "uvdpa: malformed reply: %s\n", why);
	return CLI_REPLY_FAIL;
}

static int on_error(struct cli_reply *r, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return malformed(r, "short error message");
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return malformed(r, "bad request copy in error message");
		offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (e->error)
		return fail(r, e->error, extack_msg(nlh, offset));
	print_extack(r, extack_msg(nlh, offset), false);
	return CLI_REPLY_DONE;
}

static int on_done(struct cli_reply *r, const struct nlmsghdr *nlh)
{
	int error;

	/* An empty NLMSG_DONE is accepted, as the kernel's dumps once sent it. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return CLI_REPLY_DONE;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error < 0)
		return fail(r, error, extack_msg(nlh, sizeof(int)));
	return CLI_REPLY_DONE;
}

/*
 * The next message, or NULL at the end of the datagram. Not libmnl's
 * mnl_nlmsg_ok/next: they compare nlmsg_len as an int and align it in 32
 * bits, so a length of 0xffffffff passes and advances by 0 (a endless walk).
 */
static const struct nlmsghdr *next_msg(const uint8_t *buf, size_t len, size_t *off)
{
	const struct nlmsghdr *nlh = (const void *)(buf + *off);
	size_t left = *off < len ? len - *off : 0;

	if (left < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left)
		return NULL;
	*off += MNL_ALIGN((size_t)nlh->nlmsg_len);     /* may pass len: then the end */
	return nlh;
}

int cli_reply_feed(struct cli_reply *r, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;

	while ((nlh = next_msg(buf, len, &off))) {
		/* attribute walks run to the aligned end: it must be ours */
		if ((const uint8_t *)nlh + MNL_ALIGN((size_t)nlh->nlmsg_len) >
		    (const uint8_t *)buf + len)
			return malformed(r, "truncated message");
		if (r->seq && nlh->nlmsg_seq && nlh->nlmsg_seq != r->seq)
			return malformed(r, "sequence number does not match the request");
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			return on_error(r, nlh);
		case NLMSG_DONE:
			return on_done(r, nlh);
		case NLMSG_OVERRUN:
			return malformed(r, "overrun");
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		if (cli_show_msg(r, nlh)) {
			r->error = r->error ? r->error : EBADMSG;
			return CLI_REPLY_FAIL;
		}
	}
	return CLI_REPLY_MORE;
}
