/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the front-end tests: checks, and real back ends started as
 * child processes (uvdpad with the uvdpa CLI, qemu-storage-daemon) in a
 * temporary directory that the test removes.
 */
#ifndef UVDPA_TESTS_FRONTEND_FE_TEST_H
#define UVDPA_TESTS_FRONTEND_FE_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <uvdpa/blk.h>
#include <uvdpa/net.h>
#include <uvdpa/virtio.h>

extern int fe_failures;

#define CHECK(cond, ...) do {                                             \
	if (cond) {                                                       \
		printf("ok   ");                                          \
	} else {                                                          \
		printf("FAIL %s:%d (%s) ", __FILE__, __LINE__, #cond);    \
		fe_failures++;                                            \
	}                                                                 \
	printf(__VA_ARGS__);                                              \
	printf("\n");                                                     \
	fflush(stdout);                                                   \
} while (0)

/* Stops the test: what follows would only crash. Children are reaped by
 * the atexit handler. */
#define REQUIRE(cond, ...) do {                                           \
	int fe_ok_ = !!(cond);                                            \
	CHECK(fe_ok_, __VA_ARGS__);                                       \
	if (!fe_ok_)                                                      \
		exit(1);                                                  \
} while (0)

int fe_done(void);

/* A back end in its own temporary directory. */
struct fe_peer {
	char dir[128];
	char log[192];
	char sock[256];
	pid_t pid;
	const char *uvdpa;      /* CLI, for uvdpad peers */
	const char *uvdpad;     /* the daemon, for restarts */
	char dpdk_state[160];   /* testpmd's run state, removed at stop */
	unsigned queues;        /* testpmd: queue pairs (rxq = txq), 0 = 1 */
};

/* uvdpad (binary at path) with UVDPA_RUNDIR = a fresh directory. */
void fe_uvdpad_start(struct fe_peer *p, const char *uvdpad, const char *uvdpa);
/* Starts uvdpad again in p's directory (after it died): same run directory,
 * no device until fe_uvdpad_add. Safe from a second thread. */
void fe_uvdpad_restart(struct fe_peer *p);
/* Runs `uvdpa dev add name NAME mgmtdev MGMT [KEY VALUE]` (a pair or NULL),
 * then finds the device socket (vhost/NAME.sock, else NAME.sock) into p->sock. */
void fe_uvdpad_add(struct fe_peer *p, const char *name, const char *mgmt, const char *key,
		   const char *value);

/* Runs `uvdpa ARGS...` (NULL-terminated) against p's daemon: its exit status. */
int fe_uvdpa_run(struct fe_peer *p, const char *const args[]);

/*
 * qemu-storage-daemon exporting blockdev (its --blockdev argument, whose
 * node name must be n0) as vhost-user-blk at p->sock. Fails the test (not
 * skips) when the program is missing: CI installs it.
 */
void fe_qsd_start(struct fe_peer *p, const char *blockdev);

/*
 * DPDK testpmd with its vhost PMD at p->sock in io-forward mode: a loopback
 * for whatever the front end sends. --no-huge, so it runs anywhere; fails
 * (not skips) when dpdk-testpmd is missing.
 */
void fe_testpmd_start(struct fe_peer *p);
/* The same with `queues` queue pairs on the vhost port (--rxq, --txq):
 * io forward sends what arrives on pair i back on pair i. */
void fe_testpmd_start_mq(struct fe_peer *p, unsigned queues);
/* Starts testpmd again in p's directory, on the same socket (after it died). */
void fe_testpmd_restart(struct fe_peer *p);

/* Stops the peer (SIGTERM, then SIGKILL) and removes its directory. */
void fe_peer_stop(struct fe_peer *p);

/* Opens the device at p->sock, retrying while the socket is being set up. */
int fe_open(const char *sock, const struct uvdpa_vhost_user_opts *o, struct uvdpa_virtio **v);

/* Deterministic pattern for sector s of a buffer. */
void fe_pattern(void *buf, size_t len, uint64_t sector, unsigned seed);

#endif
