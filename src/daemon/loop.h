/* SPDX-License-Identifier: MIT */
/*
 * uvdpad's event loop: one epoll set for the management socket, its
 * clients and the termination signals (signalfd).
 */
#ifndef UVDPAD_LOOP_H
#define UVDPAD_LOOP_H

#include "mgmt/mgmt.h"

struct loop;

/* Takes over listen_fd; SIGTERM/SIGINT must already be blocked. */
struct loop *loop_new(int listen_fd, struct mgmt_server *mgmt);
/* Runs until SIGTERM or SIGINT; returns 0, or -1 on a fatal error. */
int loop_run(struct loop *l);
/* Closes every client and the listening socket. */
void loop_free(struct loop *l);

#endif
