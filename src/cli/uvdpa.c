// SPDX-License-Identifier: MIT
/*
 * uvdpa: manage vDPA devices of uvdpad (or, with --kernel, of the kernel)
 * with iproute2 vdpa's command line and output.
 *
 * The command line is parsed completely before connecting, so help and
 * argument errors never need a daemon.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "cli/conn.h"
#include "cli/print.h"
#include "cli/reply.h"

#ifndef UVDPA_VERSION
#define UVDPA_VERSION "unknown"
#endif

enum { OPT_KERNEL = 256 };

static const struct option long_opts[] = {
	{ "Version",       no_argument,       NULL, 'V' },
	{ "json",          no_argument,       NULL, 'j' },
	{ "pretty",        no_argument,       NULL, 'p' },
	{ "help",          no_argument,       NULL, 'h' },
	{ "no-nice-names", no_argument,       NULL, 'n' },
	{ "socket",        required_argument, NULL, 's' },
	{ "kernel",        no_argument,       NULL, OPT_KERNEL },
	{ NULL, 0, NULL, 0 }
};

static int open_transport(struct cli_conn *c, bool kernel, const char *sock_opt)
{
	char *path;
	int rc;

	if (kernel)
		return cli_conn_open_kernel(c, stderr);
	path = cli_socket_path(sock_opt, stderr);
	if (!path)
		return -1;
	rc = cli_conn_open_unix(c, path, stderr);
	free(path);
	return rc;
}

/*
 * 0 on success, -1 when the request failed. *connected tells whether the
 * daemon (or kernel family) was reached: iproute2 starts its JSON writer only
 * then, so a run that never got there prints nothing on stdout.
 */
static int run(const struct cli_req *req, struct pr *pr, bool kernel, const char *sock_opt,
	       bool *connected)
{
	char msg[CLI_REQ_BUF];
	struct cli_reply r;
	struct cli_conn c = { .fd = -1 };
	size_t len;
	int rc = -1;

	if (open_transport(&c, kernel, sock_opt) || cli_conn_resolve(&c, stderr))
		goto out;
	*connected = true;
	len = cli_req_build(req, msg, c.family, ++c.seq);
	if (req->section)
		pr_section_start(pr, req->section);
	cli_reply_init(&r, pr, stderr, req->show, c.seq);
	rc = cli_conn_request(&c, msg, len, &r);
	if (req->section)
		pr_section_end(pr);
out:
	cli_conn_close(&c);
	return rc;
}

int main(int argc, char **argv)
{
	bool json = false, pretty = false, kernel = false, connected = false;
	const char *sock_opt = NULL;
	enum cli_parse_result res;
	struct cli_req req;
	struct pr pr;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "Vjpnhs:", long_opts, NULL)) >= 0) {
		switch (opt) {
		case 'V':
			printf("uvdpa utility, uvdpa-%s\n", UVDPA_VERSION);
			return EXIT_SUCCESS;
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'n':       /* advertised by iproute2's usage; nothing to do */
			break;
		case 's':
			sock_opt = optarg;
			break;
		case OPT_KERNEL:
			kernel = true;
			break;
		case 'h':
			cli_usage(stderr);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Unknown option.\n");
			cli_usage(stderr);
			return EXIT_FAILURE;
		}
	}

	pr_init(&pr, stdout, json, pretty);
	res = cli_parse(argc - optind, argv + optind, &req, stderr);
	if (res != CLI_PARSE_SEND) {
		connected = true;       /* iproute2 would have been connected here */
		rc = res == CLI_PARSE_DONE ? EXIT_SUCCESS : EXIT_FAILURE;
	} else {
		rc = run(&req, &pr, kernel, sock_opt, &connected) ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	/* iproute2's JSON writer ends every run with a newline, even an empty one */
	if (connected)
		pr_finish(&pr);
	return rc;
}
