// SPDX-License-Identifier: MIT
/*
 * net_tap through libuvdpa's in-process virtio-net driver, in a network
 * namespace of the test's own (unshare): the TAP gets 10.77.0.1/24 on the
 * host side, the driver plays 10.77.0.2. UDP datagrams go both ways and
 * arrive byte-exact; with 2 queue pairs both TX queues reach the host and
 * the TAP spreads host flows over both RX queues only once the driver set
 * 2 pairs; the link status follows the interface; the TAP we created is
 * gone with the device. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): skipped
 * (77) without.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uvdpa/local.h>
#include <uvdpa/net.h>
#include "../driver/drv_test.h"

#define TAP      "uvtt0"
#define HOST_IP  "10.77.0.1"
#define GUEST_IP "10.77.0.2"

static const uint8_t gmac[6] = { 0x02, 0x00, 0x00, 0x77, 0x00, 0x02 };
static uint8_t host_mac[6];

static int sh(const char *cmd)
{
	int r = system(cmd);

	CHECK(r == 0, "$ %s", cmd);
	return r;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)(b[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP (checksum 0: allowed for IPv4) from the guest. */
static size_t udp_frame(uint8_t *f, uint16_t sport, uint16_t dport, const void *pl, size_t n)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t tot = (uint16_t)(20 + 8 + n), c;
	struct in_addr a;

	memcpy(f, host_mac, 6);
	memcpy(f + 6, gmac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, GUEST_IP, &a);
	memcpy(ip + 12, &a, 4);
	inet_pton(AF_INET, HOST_IP, &a);
	memcpy(ip + 16, &a, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + n) >> 8);
	udp[5] = (uint8_t)(8 + n);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, pl, n);
	return 14 + 28 + n;
}

static int host_sock(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, HOST_IP, &sa.sin_addr);
	REQUIRE(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0, "host socket :%u", port);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Guest -> host on pair q: the host socket gets the payload byte-exact. */
static void guest_to_host(struct uvdpa_net *n, unsigned q, int s, uint16_t port, size_t len)
{
	static uint8_t f[9100], pl[8192], got[8192];
	size_t fl;
	ssize_t r;

	fill(pl, len, (unsigned)len + q);
	fl = udp_frame(f, (uint16_t)(5000 + q), port, pl, len);
	CHECK(t_send(n, q, f, fl) == 0, "pair %u: send a %zu-byte datagram", q, len);
	r = recv(s, got, sizeof(got), 0);
	CHECK(r == (ssize_t)len && memcmp(got, pl, len) == 0,
	      "pair %u: host got the %zu bytes byte-exact (%zd)", q, len, r);
}

/*
 * The UDP checksum of a received IPv4 frame is complete: a driver that did
 * not negotiate GUEST_CSUM must never get a partial one (the TAP's offloads
 * follow the driver's features).
 */
static bool udp_csum_ok(const uint8_t *f, size_t len)
{
	static uint8_t ph[12 + 65536];
	size_t ulen = len - 34;

	memcpy(ph, f + 26, 8);          /* source and destination addresses */
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	memcpy(ph + 12, f + 34, ulen);
	return (f[40] || f[41]) && csum(ph, 12 + ulen) == 0;
}

/* Host -> guest: a datagram from the host arrives on some RX queue. */
static int host_to_guest(struct uvdpa_net *n, unsigned pairs, uint16_t sport, size_t len,
			 unsigned *on)
{
	static uint8_t pl[8192], f[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6000) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(sport) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), got = -1, tries;

	/* -2: arrived with a partial checksum */
	unsigned q;

	inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
	inet_pton(AF_INET, HOST_IP, &from.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(s, (struct sockaddr *)&from, sizeof(from)))
		return -1;
	fill(pl, len, sport);
	if (sendto(s, pl, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
		close(s);
		return -1;
	}
	close(s);
	for (tries = 0; tries < 500 && got == -1; tries++) {
		for (q = 0; q < pairs && got == -1; q++) {
			int r = uvdpa_net_recv(n, q, f, sizeof(f));

			/* skip what is not our datagram (IPv6 router solicitations ...) */
			if (r == (int)(42 + len) && f[12] == 0x08 && f[13] == 0 && f[23] == 17 &&
			    memcmp(f, gmac, 6) == 0 && memcmp(f + 42, pl, len) == 0) {
				got = (int)q;
				*on = q;
				if (!udp_csum_ok(f, (size_t)r))
					got = -2;
			}
		}
		if (got == -1)
			usleep(10000);
	}
	return got;
}

/* The TAP's own MAC: the host side's, where the guest sends. */
static void read_host_mac(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TAP);
	REQUIRE(ioctl(fd, SIOCGIFHWADDR, &ifr) == 0, "host MAC read");
	memcpy(host_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	CHECK(memcmp(host_mac, gmac, 6) != 0, "TAP's own MAC is not the guest's");
}

static void count_cb(void *opaque)
{
	atomic_fetch_add((atomic_int *)opaque, 1);
}

/* A config interrupt arrives within 5 s of the TAP's link going down
 * (the worker watches rtnetlink link changes). */
static void link_irq(struct uvdpa_device *d, const char *cmd)
{
	static atomic_int calls;
	struct uvdpa_callback cb = { .fn = count_cb, .opaque = &calls, .trigger_fd = -1 };
	int i;

	atomic_store(&calls, 0);
	d->ops->set_config_cb(d, &cb);
	sh(cmd);
	for (i = 0; i < 500 && !atomic_load(&calls); i++)
		usleep(10000);
	CHECK(atomic_load(&calls) > 0, "config interrupt after '%s'", cmd);
}

static void single_pair(struct uvdpa_bus *bus, unsigned flags, uint16_t mtu, const char *what)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_net_opts o = { .flags = flags };
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	struct uvdpa_net_config nc;
	struct uvdpa_device *d;
	unsigned on = 9;
	int s;

	printf("# %s\n", what);
	memcpy(cfg.net.mac, gmac, 6);
	cfg.net.tap = TAP;
	cfg.net.mtu = mtu;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) |
		   UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MTU);
	cfg.uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP);
	d = t_dev(bus, "net_tap", "t0", &cfg);
	CHECK(if_nametoindex(TAP) != 0, "TAP %s created", TAP);
	sh("ip addr add " HOST_IP "/24 dev " TAP " && ip link set " TAP " up && "
	   "ip neigh replace " GUEST_IP " lladdr 02:00:00:77:00:02 dev " TAP);
	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "net open");
	CHECK(uvdpa_net_get_config(n, &nc) == 0 && (nc.status & 1) && nc.mtu == mtu &&
	      memcmp(nc.mac, gmac, 6) == 0, "config: link up, mtu %u, our MAC", mtu);
	read_host_mac();
	s = host_sock(7000);
	guest_to_host(n, 0, s, 7000, 18);
	guest_to_host(n, 0, s, 7000, 1472);
	guest_to_host(n, 0, s, 7000, 4000);   /* a frame over two 4 KiB segments */
	CHECK(host_to_guest(n, 1, 6100, 32, &on) == 0, "host -> guest 32 bytes on pair 0");
	CHECK(host_to_guest(n, 1, 6101, 1472, &on) == 0, "host -> guest 1472 bytes on pair 0");
	if (mtu >= 9000) {
		/* one frame over several mergeable buffers (num_buffers > 1) */
		guest_to_host(n, 0, s, 7000, 8000);
		CHECK(host_to_guest(n, 1, 6102, 8000, &on) == 0, "host -> guest 8000 bytes in one frame");
	}
	CHECK(t_stat(d, 1, "tx packets") >= 2 && t_stat(d, 0, "rx packets") >= 2, "stats counted");
	sh("ip link set " TAP " down");
	CHECK(uvdpa_net_get_config(n, &nc) == 0 && !(nc.status & 1), "link down when the TAP is down");
	{
		/* the TAP refuses writes while down (EIO): dropped, counted, the
		 * worker goes on */
		static uint8_t f[100];
		uint64_t drops = t_stat(d, 1, "tx drops");
		size_t fl = udp_frame(f, 5000, 7000, "down", 4);
		int i;

		CHECK(t_send(n, 0, f, fl) == 0, "send while the TAP is down");
		for (i = 0; i < 500 && t_stat(d, 1, "tx drops") == drops; i++)
			usleep(10000);
		CHECK(t_stat(d, 1, "tx drops") == drops + 1, "counted as a tx drop");
	}
	sh("ip link set " TAP " up");
	CHECK(uvdpa_net_get_config(n, &nc) == 0 && (nc.status & 1), "link up again");
	if (flags & UVDPA_NET_MRG_RXBUF)   /* once is enough; it replaces the transport's callback */
		link_irq(d, "ip link set " TAP " down");
	close(s);
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	REQUIRE(uvdpa_bus_dev_del(bus, "t0") == 0, "dev del");
	CHECK(if_nametoindex(TAP) == 0, "the TAP we created is gone with the device");
}

static unsigned tap_queues_enabled(void)
{
	char line[256];
	unsigned q = 0;
	FILE *p = popen("ip -d link show " TAP, "r");

	while (p && fgets(line, sizeof(line), p)) {
		char *a = strstr(line, "numqueues ");   /* attached; numdisabled: detached */

		if (a)
			q = (unsigned)atoi(a + 10);
	}
	if (p)
		pclose(p);
	return q;
}

static void two_pairs(struct uvdpa_bus *bus)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_net_opts o = { .queue_pairs = 2,
				    .flags = UVDPA_NET_CTRL_VQ | UVDPA_NET_MRG_RXBUF };
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_net *n = NULL;
	struct uvdpa_device *d;
	unsigned seen[2] = { 0, 0 }, i, on;
	int s;

	printf("# 2 queue pairs (IFF_MULTI_QUEUE)\n");
	memcpy(cfg.net.mac, gmac, 6);
	cfg.net.tap = TAP;
	cfg.net.max_vq_pairs = 2;
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) |
		   UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MAX_VQP);
	cfg.uvdpa_mask = UVDPA_ATTR_UVDPA_BIT(UVDPA_ATTR_UVDPA_NET_TAP);
	d = t_dev(bus, "net_tap", "t1", &cfg);
	sh("ip addr add " HOST_IP "/24 dev " TAP " && ip link set " TAP " up && "
	   "ip neigh replace " GUEST_IP " lladdr 02:00:00:77:00:02 dev " TAP);
	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	REQUIRE(uvdpa_net_open(v, &o, &n) == 0, "net open with 2 pairs");
	read_host_mac();
	CHECK(tap_queues_enabled() == 2, "both TAP queues attached after VQ_PAIRS_SET 2 (%u)",
	      tap_queues_enabled());
	s = host_sock(7001);
	guest_to_host(n, 0, s, 7001, 100);
	guest_to_host(n, 1, s, 7001, 200);
	for (i = 0; i < 32; i++)
		if (host_to_guest(n, 2, (uint16_t)(6200 + i), 64 + i, &on) >= 0)
			seen[on]++;
	CHECK(seen[0] + seen[1] == 32, "32 host flows all reached the guest (%u + %u)",
	      seen[0], seen[1]);
	CHECK(seen[0] && seen[1], "the TAP spread them over both RX queues (%u, %u)",
	      seen[0], seen[1]);
	CHECK(uvdpa_net_set_queue_pairs(n, 1) == 0, "VQ_PAIRS_SET 1");
	CHECK(tap_queues_enabled() == 1, "one TAP queue attached (%u)", tap_queues_enabled());
	seen[0] = seen[1] = 0;
	for (i = 0; i < 16; i++)
		if (host_to_guest(n, 2, (uint16_t)(6300 + i), 80 + i, &on) >= 0)
			seen[on]++;
	CHECK(seen[0] == 16 && seen[1] == 0, "with 1 pair every flow comes on pair 0 (%u, %u)",
	      seen[0], seen[1]);
	close(s);
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	REQUIRE(uvdpa_bus_dev_del(bus, "t1") == 0, "dev del");
	CHECK(if_nametoindex(TAP) == 0, "multi-queue TAP gone with the device");
}

int main(void)
{
	struct uvdpa_bus *bus;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: needs root for a network namespace\n");
		return 77;
	}
	sh("ip link set lo up");
	bus = t_bus();
	single_pair(bus, 0, 1500, "1 pair, big RX buffers");
	single_pair(bus, UVDPA_NET_MRG_RXBUF | UVDPA_NET_CTRL_VQ | UVDPA_NET_EVENT_IDX, 9000,
		    "1 pair, mergeable RX buffers, CVQ, event idx, MTU 9000");
	single_pair(bus, UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF, 9000,
		    "1 pair, packed, mergeable, MTU 9000");
	single_pair(bus, UVDPA_NET_PACKED, 9000, "1 pair, packed, big RX buffers, MTU 9000");
	two_pairs(bus);
	uvdpa_bus_free(bus);
	return t_done();
}
