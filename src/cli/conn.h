/* SPDX-License-Identifier: MIT */
/*
 * uvdpa's two transports for the same messages: uvdpad's management socket
 * (AF_UNIX SOCK_SEQPACKET, one datagram = what a NETLINK_GENERIC socket
 * would carry) and, with --kernel, a real NETLINK_GENERIC socket. The vdpa
 * family id is resolved through nlctrl on both.
 */
#ifndef UVDPA_CLI_CONN_H
#define UVDPA_CLI_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/reply.h"

struct mnl_socket;

struct cli_conn {
	int fd;
	struct mnl_socket *nl;  /* --kernel only */
	uint16_t family;
	uint32_t seq;
	void *buf;
	const char *what;       /* for messages: "uvdpad" or "the kernel" */
};

/*
 * uvdpad's socket: the -s PATH given (may be NULL), else $UVDPA_SOCK, else
 * <run dir>/uvdpa.sock with the run dir $UVDPA_RUNDIR, /run/uvdpa for root,
 * $XDG_RUNTIME_DIR/uvdpa otherwise. Returns a malloc'ed path or NULL.
 */
char *cli_socket_path(const char *opt, FILE *err);

int cli_conn_open_unix(struct cli_conn *c, const char *path, FILE *err);
int cli_conn_open_kernel(struct cli_conn *c, FILE *err);
/* CTRL_CMD_GETFAMILY "vdpa"; prints iproute2's message on failure. */
int cli_conn_resolve(struct cli_conn *c, FILE *err);
/* Sends one request and feeds every reply datagram to r until it ends. */
int cli_conn_request(struct cli_conn *c, const void *msg, size_t len, struct cli_reply *r);
void cli_conn_close(struct cli_conn *c);

#endif
