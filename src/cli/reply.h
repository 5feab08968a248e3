/* SPDX-License-Identifier: MIT */
/*
 * Replies of the vdpa family, one datagram at a time: data messages are
 * printed as they arrive, NLMSG_ERROR / NLMSG_DONE end the request, and
 * errors are reported the way iproute2 reports them (extack message, then
 * "kernel answers: <strerror>"). Whatever the bytes, the output stays
 * well-formed and nothing is read outside the datagram.
 */
#ifndef UVDPA_CLI_REPLY_H
#define UVDPA_CLI_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libmnl/libmnl.h>

#include "cli/cmd.h"
#include "cli/print.h"

struct cli_reply {
	struct pr *pr;
	FILE *err;
	enum cli_show show;
	uint32_t seq;           /* expected nlmsg_seq, 0 = any */
	bool quiet;             /* record a failure without printing it */
	int error;              /* positive errno once the request failed */
	uint16_t family;        /* CLI_SHOW_FAMILY: the resolved id */
};

enum {
	CLI_REPLY_FAIL = -1,    /* error printed (or recorded when quiet) */
	CLI_REPLY_DONE = 0,     /* ACK or NLMSG_DONE seen */
	CLI_REPLY_MORE = 1,     /* the request needs another datagram */
};

void cli_reply_init(struct cli_reply *r, struct pr *pr, FILE *err, enum cli_show show,
		    uint32_t seq);
int cli_reply_feed(struct cli_reply *r, const void *buf, size_t len);

/* One data message (show.c). Returns 0, or -1 after printing why. */
int cli_show_msg(struct cli_reply *r, const struct nlmsghdr *nlh);

#endif
