// SPDX-License-Identifier: MIT
/*
 * 1,000 devices: created, dumped completely and in order across several
 * datagrams (none larger than a page), then deleted.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

#define N 1000

int main(int argc, char **argv)
{
	unsigned char buf[4096];
	struct tc_daemon d;
	struct nlmsghdr *nlh;
	struct tc_result *r = calloc(1, sizeof(*r));
	char name[32];
	unsigned i, bad = 0, order_ok = 0;
	uint16_t fam;
	int fd;

	REQUIRE(argc == 2 && r, "usage: %s UVDPAD", argv[0]);
	tc_daemon_start(&d, argv[1]);
	fd = tc_connect(d.sock);
	REQUIRE(fd >= 0, "connect");
	fam = tc_family(fd);

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "dev%04u", i);
		if (tc_dev_add(fd, fam, name, i & 1 ? "vdpasim_blk" : "vdpasim_net", NULL))
			bad++;
	}
	CHECK(bad == 0, "%u devices created (%u failures)", N, bad);

	nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, UVDPA_CMD_DEV_GET);
	CHECK(tc_transact(fd, nlh, r) && r->done && r->n_msgs == N,
	      "DEV_GET dump returns all %u devices (%u)", N, r->n_msgs);
	for (i = 0; i < r->n_msgs; i++) {
		const struct nlattr *a = tc_attr_find(r->msgs[i], UVDPA_ATTR_DEV_NAME);

		snprintf(name, sizeof(name), "dev%04u", i);
		if (a && strcmp(mnl_attr_get_str(a), name) == 0)
			order_ok++;
	}
	CHECK(order_ok == N, "in creation order (%u right)", order_ok);
	CHECK(r->n_dgrams > 10 && r->max_dgram <= 4096,
	      "across %u datagrams of at most %zu bytes", r->n_dgrams, r->max_dgram);
	tc_result_free(r);

	nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_DUMP, UVDPA_CMD_DEV_CONFIG_GET);
	CHECK(tc_transact(fd, nlh, r) && r->done && r->n_msgs == N,
	      "CONFIG_GET dump returns all %u devices", N);
	tc_result_free(r);

	for (i = 0, bad = 0; i < N; i++) {
		snprintf(name, sizeof(name), "dev%04u", i);
		if (tc_dev_del(fd, fam, name, NULL))
			bad++;
	}
	CHECK(bad == 0, "%u devices deleted", N);
	CHECK(tc_dev_count(fd, fam) == 0, "none left");

	close(fd);
	CHECK(tc_daemon_stop(&d) == 0, "uvdpad exits 0 on SIGTERM");
	tc_daemon_cleanup(&d);
	free(r);
	return tc_failures ? 1 : 0;
}
