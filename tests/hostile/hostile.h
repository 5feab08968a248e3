/* SPDX-License-Identifier: MIT */
/*
 * Hostile front ends against a real uvdpad: the daemon in a temporary run
 * directory, devices added over its management socket, vhost-user sessions
 * from tests/vhost's socket-level front end (fe.h), and what /proc says
 * about the daemon (CPU time, threads, fds, RSS).
 */
#ifndef UVDPA_TESTS_HOSTILE_H
#define UVDPA_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../vhost/fe.h"

struct hd {
	pid_t pid;
	char rundir[256];
	char log[320];
	int mgmt;               /* management socket */
	uint16_t fam;
};

/* Starts uvdpad (argv[1] of the test) on a fresh run directory. */
void hd_start(struct hd *d, const char *uvdpad);
/* SIGTERM; returns the exit status (128+signal, -1 if still alive after
 * ms, in which case it is killed). Removes the run directory. */
int hd_stop(struct hd *d, int ms);
/* True if uvdpad is still running (watched for 200 ms). */
bool hd_alive(const struct hd *d);

/* 0 or the kernel-style error of DEV_NEW / DEV_DEL. */
int hd_dev_add(struct hd *d, const char *name, const char *mgmtdev);
int hd_dev_del(struct hd *d, const char *name);
/* Devices listed by a DEV_GET dump, or -1 if no answer came in time. */
int hd_dev_count(struct hd *d);

/* The device's vhost-user socket, $rundir/vhost/<name>.sock (waits up to
 * 5 s for it to exist). */
const char *hd_vhost_path(const struct hd *d, const char *name, char *buf, size_t len);

/* /proc/<pid>: CPU ticks (user+system), threads, open fds, RSS in KiB. */
unsigned long long hd_cpu_ticks(pid_t pid);
unsigned hd_threads(pid_t pid);
unsigned hd_fds(pid_t pid);
/* Lists the threads by name (as # comments), to say whose they are. */
void hd_print_threads(pid_t pid);
unsigned long hd_rss_kb(pid_t pid);

/* True if the daemon's log contains s. */
bool hd_log_has(const struct hd *d, const char *s);

/* The UVDPA_TIMEOUT_MULT multiplier (sanitizer builds are slower). */
unsigned hd_mult(void);

/* Full front end: features, memory, both rings of a net device started
 * (DRIVER_OK); CHECKs each step. */
void hd_net_session(struct fe *f, const char *path, size_t mem);

#endif
