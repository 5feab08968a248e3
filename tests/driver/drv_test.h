/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the driver tests: checks, devices, frames. */
#ifndef UVDPA_TESTS_DRIVER_DRV_TEST_H
#define UVDPA_TESTS_DRIVER_DRV_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvdpa/uvdpa.h>
#include <uvdpa/vdpa_abi.h>

static int t_failures;

#define CHECK(cond, ...) do {                                             \
	if (cond) {                                                       \
		printf("ok   ");                                          \
	} else {                                                          \
		printf("FAIL %s:%d (%s) ", __FILE__, __LINE__, #cond);    \
		t_failures++;                                             \
	}                                                                 \
	printf(__VA_ARGS__);                                              \
	printf("\n");                                                     \
	fflush(stdout);                                                   \
} while (0)

/* Stops the test at once: what follows would only crash. */
#define REQUIRE(cond, ...) do {                                           \
	int t_ok_ = !!(cond);                                             \
	CHECK(t_ok_, __VA_ARGS__);                                        \
	if (!t_ok_)                                                       \
		exit(1);                                                  \
} while (0)

static inline int t_done(void)
{
	printf("%s\n", t_failures ? "FAILED" : "PASSED");
	return t_failures ? 1 : 0;
}

static inline struct uvdpa_bus *t_bus(void)
{
	struct uvdpa_bus *bus = uvdpa_bus_new();

	REQUIRE(bus && uvdpa_bus_register_builtin(bus) == 0, "bus with built-in parents");
	return bus;
}

static inline struct uvdpa_device *t_dev(struct uvdpa_bus *bus, const char *mgmt,
					 const char *name,
					 const struct uvdpa_dev_set_config *cfg)
{
	struct uvdpa_dev_set_config none = { 0 };
	struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, mgmt);
	struct uvdpa_device *d = NULL;
	const char *msg = NULL;
	int r;

	REQUIRE(m, "mgmtdev %s exists", mgmt);
	r = uvdpa_bus_dev_add(bus, m, name, cfg ? cfg : &none, &d, &msg);
	REQUIRE(r == 0 && d, "dev add %s on %s (%d %s)", name, mgmt, r, msg ? msg : "");
	return d;
}

static inline struct uvdpa_device *t_net_dev(struct uvdpa_bus *bus, const char *name,
					     const uint8_t mac[6])
{
	struct uvdpa_dev_set_config cfg = { 0 };

	memcpy(cfg.net.mac, mac, 6);
	cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR);
	return t_dev(bus, "vdpasim_net", name, &cfg);
}

/* A named vendor statistic of queue idx, or UINT64_MAX if absent. */
static inline uint64_t t_stat(struct uvdpa_device *d, uint16_t idx, const char *name)
{
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	int n = d->ops->get_vendor_vq_stats(d, idx, st, UVDPA_MAX_VQ_STATS), i;

	for (i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].value;
	return UINT64_MAX;
}

/* Frame to dst from a fixed source, payload from a seed. */
static inline void t_frame(uint8_t *f, size_t len, const uint8_t dst[6], unsigned seed)
{
	static const uint8_t src[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;   /* local experimental ethertype */
	for (i = 14; i < len; i++) {
		x = x * 1103515245u + 12345u;
		f[i] = (uint8_t)(x >> 16);
	}
}

/* Sends, waiting (up to ~10 s) for transmit buffers the device still holds. */
static inline int t_send(struct uvdpa_net *n, unsigned q, const void *f, size_t len)
{
	int r, tries;

	for (tries = 0; tries < 10; tries++) {
		r = uvdpa_net_send(n, q, f, len);
		if (r != -EAGAIN)
			return r;
		uvdpa_net_wait_tx(n, q, 1000);
	}
	return r;
}

#endif
