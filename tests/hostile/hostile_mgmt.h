/* SPDX-License-Identifier: MIT */
/* tests/mgmt's client behind plain types (its CHECK differs from fe.h's). */
#ifndef UVDPA_TESTS_HOSTILE_MGMT_H
#define UVDPA_TESTS_HOSTILE_MGMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int hm_start(const char *uvdpad, pid_t *pid, char *rundir, size_t rlen, char *log,
	     size_t llen, int *mgmt, uint16_t *fam);
int hm_dev_add(int mgmt, uint16_t fam, const char *name, const char *mgmtdev);
int hm_dev_del(int mgmt, uint16_t fam, const char *name);
int hm_dev_count(int mgmt, uint16_t fam);

#endif
