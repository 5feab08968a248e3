// SPDX-License-Identifier: MIT
/* The management half of hostile.h, over tests/mgmt's netlink client. */
#include <string.h>

#include "../mgmt/tc.h"
#include "hostile_mgmt.h"

int hm_start(const char *uvdpad, pid_t *pid, char *rundir, size_t rlen, char *log,
	     size_t llen, int *mgmt, uint16_t *fam)
{
	struct tc_daemon d;

	tc_daemon_start(&d, uvdpad);
	*pid = d.pid;
	snprintf(rundir, rlen, "%s", d.rundir);
	snprintf(log, llen, "%s", d.log);
	*mgmt = tc_connect(d.sock);
	if (*mgmt < 0)
		return -1;
	*fam = tc_family(*mgmt);
	return 0;
}

int hm_dev_add(int mgmt, uint16_t fam, const char *name, const char *mgmtdev)
{
	return tc_dev_add(mgmt, fam, name, mgmtdev, NULL);
}

int hm_dev_del(int mgmt, uint16_t fam, const char *name)
{
	return tc_dev_del(mgmt, fam, name, NULL);
}

int hm_dev_count(int mgmt, uint16_t fam)
{
	return tc_dev_count(mgmt, fam);
}
