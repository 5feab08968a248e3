/* SPDX-License-Identifier: MIT */
/*
 * A minimal vhost-user front end for the vhost face tests: guest memory in a
 * memfd whose guest physical addresses differ from this process's virtual
 * addresses (so a missing VA->GPA conversion cannot go unnoticed), messages
 * with SCM_RIGHTS fds, rings on the driver side of the virtqueue engine, and
 * kick/call eventfds. Plus the harness: a bus with the built-in devices and
 * the face, in-process.
 */
#ifndef UVDPA_TESTS_VHOST_FE_H
#define UVDPA_TESTS_VHOST_FE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uvdpa/bus.h>
#include <uvdpa/device.h>
#include "vhost/vhost_face.h"
#include "vhost/vhost_user.h"
#include "virtio/vq.h"

#define CHECK(cond, ...) do {                                              \
	bool ok_ = (cond);                                                 \
	printf(ok_ ? "ok   - " : "FAIL - %s:%d: ", __FILE__, __LINE__);    \
	printf(__VA_ARGS__);                                               \
	printf("\n");                                                      \
	fflush(stdout);                                                    \
	if (!ok_)                                                          \
		exit(1);                                                   \
} while (0)

#define REQUIRE(cond, ...) do {                                            \
	if (!(cond)) {                                                     \
		printf("FAIL - %s:%d: ", __FILE__, __LINE__);              \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		exit(1);                                                   \
	}                                                                  \
} while (0)

#define F(bit) (1ULL << (bit))
#define FE_PROTO_FEATURES 30

/* ---- harness: bus + device + face ---- */
struct harness {
	char rundir[64];
	struct uvdpa_bus *bus;
	struct uvdpa_vhost_face *face;
	struct uvdpa_device *dev;
	const char *sock;
};

/* mgmtdev "vdpasim_net" or "vdpasim_blk"; cfg may be NULL. */
void harness_open(struct harness *h, const char *mgmtdev, const char *name,
		  const struct uvdpa_dev_set_config *cfg);
void harness_close(struct harness *h);

/* ---- front end ---- */
#define FE_MAX_REGIONS 512
#define FE_MAX_RINGS   8

struct fe_region {
	uint64_t gpa;
	uint64_t off;           /* in the memfd and in the local mapping */
	uint64_t size;
	uint64_t used;          /* bump allocator */
};

struct fe_ring {
	struct uvdpa_vq_drv drv;
	uint16_t idx, num;
	int kick, call;
	void *desc, *driver, *device;
};

struct fe {
	int sock;
	int memfd;
	uint8_t *mem;
	size_t mem_size;
	struct fe_region reg[FE_MAX_REGIONS];
	unsigned nreg;
	uint64_t proto;
	uint64_t features;
	struct fe_ring ring[FE_MAX_RINGS];
};

/* Connects (retrying briefly) and creates size bytes of guest memory. */
void fe_open(struct fe *f, const char *path, size_t mem_size);
void fe_close(struct fe *f);
/* Declares [off, off+size) of the memfd as a region at gpa (not sent). */
void fe_add_region(struct fe *f, uint64_t off, uint64_t size, uint64_t gpa);

/* Raw message I/O; recv returns 0, -ECONNRESET at EOF, -ETIMEDOUT. */
int fe_send(struct fe *f, uint32_t req, uint32_t flags, const void *payload,
	    uint32_t size, const int *fds, unsigned nfds);
int fe_recv(struct fe *f, struct vhost_user_msg *m, int timeout_ms);
/* fe_recv that also takes the fd the reply carries (*fd = -1 if none). */
int fe_recv_fd(struct fe *f, struct vhost_user_msg *m, int *fd, int timeout_ms);
/* Drops the connection and opens a new one; memory and rings stay. */
void fe_reconnect(struct fe *f, const char *path);
/* True if the back end closed the connection (within timeout_ms). */
bool fe_closed_by_peer(struct fe *f, int timeout_ms);

/* GET_* with a u64 answer; -errno on a broken connection. */
int fe_get_u64(struct fe *f, uint32_t req, uint64_t *v);
/*
 * Sends a message with NEED_REPLY and returns the acknowledged value
 * (0 = success) or a negative errno if no ack came. Without REPLY_ACK
 * negotiated, just sends it.
 */
int64_t fe_acked(struct fe *f, uint32_t req, const void *payload, uint32_t size,
		 const int *fds, unsigned nfds);

/* SET_OWNER, features (with bit 30), protocol features. Returns 0 or -errno. */
int fe_negotiate(struct fe *f, uint64_t features, uint64_t proto);
/* SET_MEM_TABLE (with ack) of every declared region. */
int64_t fe_send_mem_table(struct fe *f);

/* Host pointer <-> GPA of the guest memory. */
uint64_t fe_gpa(const struct fe *f, const void *p);
void *fe_alloc(struct fe *f, unsigned region, size_t size, size_t align);

/* NUM, BASE, ADDR, CALL, KICK, ENABLE (each acked; no ENABLE when the
 * front end did not negotiate protocol features). */
int64_t fe_ring_start(struct fe *f, uint16_t idx, uint16_t num, bool packed, bool event_idx,
		      uint32_t base);
/* A ring whose memory the front end kept, on a back end that knows
 * nothing of it (new connection): NUM, BASE, ADDR, CALL, KICK, ENABLE. */
int64_t fe_ring_resume(struct fe *f, uint16_t idx, uint32_t base);
/* After GET_VRING_BASE stopped it: SET_VRING_BASE + SET_VRING_KICK again. */
int64_t fe_ring_restart(struct fe *f, uint16_t idx, uint32_t base);
void fe_kick(struct fe_ring *r);
/* Waits for the call eventfd (true) or times out. */
bool fe_wait_call(struct fe_ring *r, int timeout_ms);
/* Reads the call eventfd without waiting. */
void fe_drain_call(struct fe_ring *r);
int fe_get_vring_base(struct fe *f, uint16_t idx, uint32_t *base);

/*
 * Posts n RX buffers on ring rx_idx, sends n broadcast frames of varying
 * sizes (pattern from seed) on tx_idx, and checks that every frame comes
 * back byte-exact, in order. Buffers come from region. Returns n, or 0.
 */
unsigned fe_net_loopback(struct fe *f, uint16_t rx_idx, uint16_t tx_idx, unsigned n,
			 unsigned seed, unsigned region);

/* Polls ops->get_status until it equals want (true) or timeout. */
bool wait_device_status(struct uvdpa_device *d, uint8_t want, int timeout_ms);

#endif
