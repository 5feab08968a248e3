/* SPDX-License-Identifier: MIT */
/*
 * Test client for uvdpad's management socket: starts a real uvdpad in a
 * temporary run directory, sends raw generic-netlink messages built with
 * libmnl and collects the replies exactly as they arrive.
 */
#ifndef UVDPA_TESTS_MGMT_TC_H
#define UVDPA_TESTS_MGMT_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <uvdpa/vdpa_abi.h>

extern int tc_failures;

#define CHECK(cond, ...) do {                                           \
	if (cond) {                                                     \
		printf("ok   - ");                                      \
	} else {                                                        \
		printf("FAIL - %s:%d: ", __FILE__, __LINE__);           \
		tc_failures++;                                          \
	}                                                               \
	printf(__VA_ARGS__);                                            \
	printf("\n");                                                   \
	fflush(stdout);                                                 \
} while (0)

/* Fatal setup error. */
#define REQUIRE(cond, ...) do {                                         \
	if (!(cond)) {                                                  \
		printf("FAIL - %s:%d: ", __FILE__, __LINE__);           \
		printf(__VA_ARGS__);                                    \
		printf("\n");                                           \
		exit(1);                                                \
	}                                                               \
} while (0)

struct tc_daemon {
	pid_t pid;
	char rundir[256];
	char sock[320];
	char log[320];
};

/* Starts argv[1] (the uvdpad binary) on a fresh run directory. */
void tc_daemon_start(struct tc_daemon *d, const char *uvdpad);
/* Starts uvdpad on an existing run directory; returns its pid (no wait). */
pid_t tc_daemon_spawn(const char *uvdpad, const char *rundir, const char *log);
/* Waits until the socket accepts connections (<= 10 s). */
bool tc_daemon_wait_ready(const char *sock, pid_t pid);
/* SIGTERM, wait; returns the exit status (or 128+signal, -1 on timeout). */
int tc_daemon_stop(struct tc_daemon *d);
/* Waits for pid for at most ms; exit status, 128+signal, or -1. */
int tc_wait_exit(pid_t pid, int ms);
/* Removes dir, its files and the directory itself (one level). */
void tc_rmdir_files(const char *dir);
/* Removes the run directory and its files (and the vhost/ directory). */
void tc_daemon_cleanup(struct tc_daemon *d);
bool tc_daemon_alive(const struct tc_daemon *d);

int tc_connect(const char *sock);

/* Starts a request: nlmsghdr (seq auto) + genlmsghdr, in buf (>= 4096). */
struct nlmsghdr *tc_req(void *buf, uint16_t type, uint16_t flags, uint8_t cmd);
/* The vdpa family id, looked up through nlctrl. */
uint16_t tc_family(int fd);

#define TC_MAX_MSGS 4096

/* Everything received for one request. */
struct tc_result {
	int error;              /* from NLMSG_ERROR; 1 if none arrived */
	uint16_t err_flags;
	char extack[256];
	bool has_offs;
	uint32_t offs;
	bool has_policy;
	bool done;              /* NLMSG_DONE seen */
	unsigned n_msgs;        /* data messages (not ERROR/DONE) */
	struct nlmsghdr *msgs[TC_MAX_MSGS];
	unsigned n_dgrams;      /* datagrams received */
	size_t max_dgram;
	unsigned char *err_msg; /* the NLMSG_ERROR message itself */
};

/*
 * Sends req and reads until its NLMSG_ERROR (ACK or error) or, for a dump,
 * its NLMSG_DONE. A doit without NLM_F_ACK ends at its first reply.
 * Returns false on timeout (5 s without a datagram).
 */
bool tc_transact(int fd, const struct nlmsghdr *req, struct tc_result *res);
/* Sends raw bytes as one datagram and collects until an ERROR/DONE or timeout. */
bool tc_transact_raw(int fd, const void *buf, size_t len, struct tc_result *res);
void tc_result_free(struct tc_result *res);

/* Attribute i (0-based) of a genl message, NULL past the end. */
const struct nlattr *tc_attr_at(const struct nlmsghdr *nlh, unsigned i);
const struct nlattr *tc_attr_find(const struct nlmsghdr *nlh, uint16_t type);
unsigned tc_attr_count(const struct nlmsghdr *nlh);
/* Compares the attribute types of nlh with want[0..n). */
bool tc_attr_types(const struct nlmsghdr *nlh, const uint16_t *want, unsigned n);
const struct genlmsghdr *tc_genl(const struct nlmsghdr *nlh);

/* Convenience requests on the vdpa family; return the error (0 = ACK). */
int tc_dev_add(int fd, uint16_t fam, const char *name, const char *mgmtdev,
	       struct tc_result *res);
int tc_dev_del(int fd, uint16_t fam, const char *name, struct tc_result *res);
/* Number of devices in a DEV_GET dump. */
int tc_dev_count(int fd, uint16_t fam);

#endif
