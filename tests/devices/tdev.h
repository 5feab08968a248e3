/* SPDX-License-Identifier: MIT */
/*
 * A small virtio driver for the device tests, built on the driver side of
 * the virtqueue engine: guest memory at an IOVA that differs from its host
 * address (so a missing translation cannot go unnoticed), feature
 * negotiation, queue setup, and helpers to add chains and wait for them.
 */
#ifndef UVDPA_TESTS_TDEV_H
#define UVDPA_TESTS_TDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uvdpa/bus.h>
#include <uvdpa/device.h>
#include "virtio/vq.h"

#define CHECK(cond, ...) do {                                              \
	bool ok_ = (cond);                                                 \
	if (ok_)                                                           \
		printf("ok   - ");                                         \
	else                                                               \
		printf("FAIL - %s:%d: ", __FILE__, __LINE__);              \
	printf(__VA_ARGS__);                                               \
	printf("\n");                                                      \
	fflush(stdout);                                                    \
	if (!ok_)                                                          \
		exit(1);                                                   \
} while (0)

/* Silent variant for checks inside big loops. */
#define REQUIRE(cond, ...) do {                                            \
	if (!(cond)) {                                                     \
		printf("FAIL - %s:%d: ", __FILE__, __LINE__);              \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		exit(1);                                                   \
	}                                                                  \
} while (0)

#define F(bit) (1ULL << (bit))
#define F_ACCESS_PLATFORM F(33)
#define F_VERSION_1       F(32)
#define F_INDIRECT        F(28)
#define F_EVENT_IDX       F(29)
#define F_PACKED          F(34)

#define TDEV_MAX_VQ 16
#define TDEV_MEM    (64u << 20)

struct tvq {
	struct uvdpa_vq_drv drv;
	uint64_t desc_iova, driver_iova, device_iova;
	uint16_t num;
	int call_fd;                    /* trigger eventfd */
	bool set_up;
};

struct tdev {
	struct uvdpa_bus *bus;
	bool own_bus;
	struct uvdpa_device *d;
	const struct uvdpa_device_ops *ops;
	uint8_t *mem;                   /* guest memory */
	uint64_t iova;                  /* its IOVA */
	size_t size, used;
	size_t mark;                    /* end of the rings (tdev_driver_ok) */
	struct uvdpa_memmap *map;
	uint64_t features;
	bool packed;
	struct tvq vq[TDEV_MAX_VQ];
};

/* A bus with the built-in parents. */
struct uvdpa_bus *tbus_new(void);

/* Creates the device on bus (NULL: a bus of its own) and maps its memory. */
void tdev_open(struct tdev *t, struct uvdpa_bus *bus, const char *mgmtdev,
	       const char *name, const struct uvdpa_dev_set_config *cfg);
void tdev_close(struct tdev *t);

void *talloc(struct tdev *t, size_t size, size_t align);
uint64_t tiova(const struct tdev *t, const void *host);
void tmem_reset(struct tdev *t);    /* forget every allocation */
void tmem_rewind(struct tdev *t);   /* forget what was allocated after the rings */

/* Reset, ACK|DRIVER, features (want & offered), FEATURES_OK. Returns the
 * negotiated features. */
uint64_t tdev_negotiate(struct tdev *t, uint64_t want);
/* Sets up queue idx with num entries (ring layout from the features). */
void tdev_setup_vq(struct tdev *t, uint16_t idx, uint16_t num);
void tdev_driver_ok(struct tdev *t);
/* negotiate + set up queues 0..nvqs-1 + DRIVER_OK */
uint64_t tdev_start(struct tdev *t, uint64_t want, unsigned nvqs, uint16_t num);

/* Adds a chain (bufs in IOVA) and kicks; indirect uses a table in guest memory. */
int tvq_add(struct tdev *t, uint16_t idx, const struct uvdpa_vq_buf *bufs, unsigned n,
	    void *token, bool indirect);
/* Waits up to ms for a used chain; NULL on timeout. */
void *tvq_wait(struct tdev *t, uint16_t idx, uint32_t *len, int ms);
/* Non-blocking reclaim. */
void *tvq_poll(struct tdev *t, uint16_t idx, uint32_t *len);
/* True if no used chain shows up within ms. */
bool tvq_idle(struct tdev *t, uint16_t idx, int ms);

uint8_t tdev_status(struct tdev *t);

/* ---- virtio-net helpers (queue 2p = RX, 2p+1 = TX of pair p) ---- */
unsigned tnet_hdr_len(const struct tdev *t);
/* Queues header + frame on TX of pair p, split into nseg descriptors. */
void tnet_send(struct tdev *t, unsigned p, const void *frame, size_t len, unsigned nseg,
	       bool indirect);
/* Queues header + frame on TX of pair p in one descriptor (ANY_LAYOUT, as DPDK sends). */
void tnet_send_flat(struct tdev *t, unsigned p, const void *frame, size_t len);
/* Posts an RX buffer of size bytes in nseg descriptors; returns it (also the token). */
uint8_t *tnet_post_rx(struct tdev *t, unsigned p, size_t size, unsigned nseg, bool indirect);
/* Reclaims n TX completions (all must come back with length 0). */
void tnet_reap_tx(struct tdev *t, unsigned p, unsigned n);
/* Sends a CVQ command and returns the ack byte (or -1 on timeout). */
int tnet_cvq(struct tdev *t, uint16_t cvq, uint8_t cls, uint8_t cmd, const void *data,
	     size_t len);
/* Vendor stat value by name, or -1 if absent. */
int64_t tstat(struct tdev *t, uint16_t idx, const char *name);
void tsleep_ms(int ms);
/* ---- the device's worker thread, as /proc shows it ---- */
/* Thread id of the worker of device name ("vdev:<name>"), or 0 if none. */
int tworker_tid(const char *name);
/* Thread id of this process' thread named comm, or 0 if none. */
int tthread_tid(const char *comm);
/* Waits up to ms for thread comm to block on a futex (a lock or condition
 * wait: a helper thread with nothing to do); false if it never did. */
bool tthread_waits(const char *comm, int ms);
/* Is thread tid in syscall nr1 or nr2, with 4th argument arg4 (any if -1)? */
bool tthread_in(int tid, long nr1, long nr2, long arg4);
/* Waits up to ms for tthread_in to hold; false if it never did (tid 0: none). */
bool tthread_wait_in(int tid, long nr1, long nr2, long arg4, int ms);
/* Waits up to ms for the device to set NEEDS_RESET (its worker does). */
bool tdev_needs_reset(struct tdev *t, int ms);
/* Waits up to ms for the worker of device name to sleep until an event
 * (blocked in epoll_wait with no timeout); false if it never did. */
bool tworker_asleep(const char *name, int ms);
/* CPU time the thread has used, in ns. */
uint64_t tthread_cpu_ns(int tid);
/* Entries in /proc/self/task and /proc/self/fd. */
unsigned tcount_threads(void);
unsigned tcount_fds(void);
/* Ends the test with a failure if it is still running after sec seconds
 * (a hang is the failure some tests look for). */
void twatchdog(unsigned sec, const char *what);
/* Milliseconds on the monotonic clock. */
double tnow_ms(void);

/* Deterministic pattern generator. */
void tfill(void *buf, size_t len, uint32_t seed);

/* A call eventfd as a hostile driver leaves it: blocking, its counter at
 * the maximum (TSATURATED), so one more write sleeps until it is read. */
#define TSATURATED 0xfffffffffffffffeULL
int tsaturated_eventfd(void);

#endif
