// SPDX-License-Identifier: MIT
/*
 * The crash-tap guest's `ethtool -L IFACE combined N` (busybox has no
 * ethtool): sets the number of queue pairs virtio-net uses, which the
 * driver sends as VQ_PAIRS_SET on its control queue. Built static.
 *
 *   channels IFACE N     exit 0 once the driver took it
 *   channels IFACE       prints "combined CUR max MAX"
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

static int ethtool(int fd, const char *ifname, struct ethtool_channels *ch)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_data = (void *)ch;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

int main(int argc, char **argv)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s IFACE [COMBINED]\n", argv[0]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ethtool(fd, argv[1], &ch)) {
		fprintf(stderr, "%s: ETHTOOL_GCHANNELS: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argc == 2) {
		printf("combined %u max %u\n", ch.combined_count, ch.max_combined);
		return 0;
	}
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = (unsigned)strtoul(argv[2], NULL, 10);
	if (ethtool(fd, argv[1], &ch)) {
		fprintf(stderr, "%s: ETHTOOL_SCHANNELS %s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
