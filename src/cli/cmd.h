/* SPDX-License-Identifier: MIT */
/*
 * The OBJECT COMMAND ... part of the uvdpa command line, parsed completely
 * before any connection is made (so help and argument errors need no
 * daemon), into one request of the vdpa family.
 */
#ifndef UVDPA_CLI_CMD_H
#define UVDPA_CLI_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Management device handles longer than this crash iproute2; uvdpa refuses
 * them up front. Device names have uvdpad's limit, UVDPA_DEV_NAME_MAX. */
#define CLI_NAME_MAX 63

/* Options a command may take (iproute2's VDPA_OPT_* set, plus blk sizing). */
enum {
	CLI_OPT_MGMTDEV_HANDLE = 1u << 0,   /* positional MGMTDEV (mgmtdev show) */
	CLI_OPT_MGMTDEV        = 1u << 1,   /* "mgmtdev MGMTDEV" */
	CLI_OPT_NAME           = 1u << 2,   /* "name NAME" */
	CLI_OPT_DEV_HANDLE     = 1u << 3,   /* positional DEV */
	CLI_OPT_MAC            = 1u << 4,
	CLI_OPT_MTU            = 1u << 5,
	CLI_OPT_MAX_VQP        = 1u << 6,
	CLI_OPT_QIDX           = 1u << 7,
	CLI_OPT_FEATURES       = 1u << 8,
	CLI_OPT_CAPACITY       = 1u << 9,
	CLI_OPT_NUM_QUEUES     = 1u << 10,
	CLI_OPT_PATH           = 1u << 11,   /* blk_file: "path PATH" */
	CLI_OPT_READONLY       = 1u << 12,   /* blk_file: "readonly" (no value) */
	CLI_OPT_DIRECT         = 1u << 13,   /* blk_file: "direct on|off" */
	CLI_OPT_SERIAL         = 1u << 14,   /* blk_file: "serial SERIAL" */
	CLI_OPT_TAP            = 1u << 15,   /* net_tap: "tap IFNAME" */
	CLI_OPT_VDUSE          = 1u << 16,   /* any parent: "vduse on|off" (uvdpad's) */
};

/* Longest backing path a request carries (the management datagram is 4 KiB). */
#define CLI_PATH_MAX 1023

/* How the replies of a request are printed. */
enum cli_show {
	CLI_SHOW_NONE,          /* ACK only: dev add, del, set */
	CLI_SHOW_MGMTDEV,
	CLI_SHOW_DEV,
	CLI_SHOW_CONFIG,
	CLI_SHOW_VSTATS,
	CLI_SHOW_FAMILY,        /* nlctrl GETFAMILY reply (internal) */
};

struct cli_opts {
	unsigned present;
	char bus[CLI_NAME_MAX + 1];
	bool has_bus;
	char mgmtdev[CLI_NAME_MAX + 1];
	const char *name;
	uint8_t mac[6];
	uint16_t mtu;
	uint16_t max_vqp;
	uint32_t qidx;
	uint64_t features;
	uint64_t capacity;
	uint16_t num_queues;
	const char *path, *serial;
	bool direct;
	const char *tap;
	bool vduse;
};

struct cli_req {
	uint8_t cmd;            /* UVDPA_CMD_* */
	bool dump;
	enum cli_show show;
	const char *section;    /* JSON section name, NULL for none */
	struct cli_opts opts;
};

enum cli_parse_result {
	CLI_PARSE_SEND,         /* req is ready to be sent */
	CLI_PARSE_DONE,         /* help was printed: exit 0 */
	CLI_PARSE_ERROR,        /* a message was printed: exit 1 */
};

/* argv[0] is OBJECT (argc may be 0). Messages and help go to err. */
enum cli_parse_result cli_parse(int argc, char **argv, struct cli_req *req, FILE *err);

/* Global usage (uvdpa -h, uvdpa help). */
void cli_usage(FILE *err);

/*
 * Builds the request into buf (at least CLI_REQ_BUF bytes): flags
 * REQUEST|ACK (|DUMP), genl version 1, attributes in iproute2's order.
 * Returns the message length.
 */
#define CLI_REQ_BUF 2048
size_t cli_req_build(const struct cli_req *req, void *buf, uint16_t family, uint32_t seq);

/* Value parsers, exported for the unit tests. Return 0 or print and -1. */
int cli_parse_mac(const char *s, uint8_t mac[6], FILE *err);
int cli_parse_udec(const char *what, const char *s, uint64_t max, uint64_t *out, FILE *err);
int cli_parse_uhex(const char *what, const char *s, uint64_t *out, FILE *err);

#endif
