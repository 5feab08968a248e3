/* SPDX-License-Identifier: MIT */
/* Session internals shared by vhost_session.c, vhost_ring.c, vhost_memtable.c. */
#ifndef UVDPA_VHOST_SESSION_PRIV_H
#define UVDPA_VHOST_SESSION_PRIV_H

#include "vhost_fault.h"
#include "vhost_mem.h"
#include "vhost_session.h"

#define BIT_ULL(n) (1ull << (n))

/*
 * A ring as the front end sees it. Started/stopped (first kick /
 * GET_VRING_BASE) and enabled/disabled (SET_VRING_ENABLE) are the protocol's
 * two independent switches; "live" means the device has the ring ready.
 */
struct vhost_ring {
	uint32_t num;
	bool num_set;
	bool addr_set;
	bool addr_mapped;               /* its addresses are in the memory table */
	uint64_t desc, driver, device;  /* GPAs (converted from front-end VAs) */
	uint64_t desc_va, driver_va, device_va; /* as SET_VRING_ADDR gave them */
	uint32_t base;                  /* SET/GET_VRING_BASE wire encoding */
	int kick_fd, call_fd, err_fd;
	bool started, enabled, live;
};

/*
 * The inflight area (INFLIGHT_SHMFD): one region per queue, stride bytes
 * apart, in a shared file the back end made (GET_INFLIGHT_FD) or the front
 * end handed back (SET_INFLIGHT_FD). Each ring gets its region when it
 * starts.
 */
struct vhost_inflight {
	void *map;                      /* NULL: none */
	size_t map_len;
	uint8_t *base;                  /* queue 0's region */
	int fd;                         /* ours (GET), sent with the reply; else -1 */
	int fault_slot;                 /* SIGBUS guard registration, or -1 */
	uint16_t num_queues, queue_size;
	size_t stride;
};

struct vhost_session {
	struct uvdpa_device *dev;
	const struct uvdpa_device_ops *ops;
	vhost_log_fn log;
	void *log_opaque;

	bool is_net;
	unsigned nrings;                /* rings the front end may use */
	uint64_t offered;               /* GET_FEATURES answer */
	uint64_t offered_proto;         /* GET_PROTOCOL_FEATURES answer */

	uint64_t proto;                 /* negotiated protocol features */
	uint64_t features;              /* last SET_FEATURES */
	bool features_set;
	bool dev_features_ok;           /* the device holds those features */
	uint16_t mtu;                   /* NET_SET_MTU, 0 = none */
	bool forced_poll;               /* we put the device in poll mode */

	struct vhost_inflight inflight;
	int reply_fd;                   /* goes with the last reply, or -1 */

	struct vhost_fault_owner fault; /* regions that may shrink report here */
	int cfg_fd;                     /* the device's config interrupts, while connected */
	int backend_fd;                 /* SET_BACKEND_REQ_FD channel (non-blocking), or -1 */
	int kick_ep;                    /* kick relay: epoll of live kick fds, or -1 */

	struct vhost_mem mem;
	struct uvdpa_memmap *map;       /* what the device was last given */
	struct vhost_ring *rings;
};

void vhost_logf(struct vhost_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline bool vhost_has_proto(const struct vhost_session *s, unsigned bit)
{
	return s->proto & BIT_ULL(bit);
}

/* Features the device gets: the vhost-user memory table is the platform's
 * address translation, hence ACCESS_PLATFORM. */
uint64_t vhost_device_features(const struct vhost_session *s);
/* Status bits the session adds so the device sees a valid virtio sequence. */
int vhost_apply_features(struct vhost_session *s);
/*
 * Resets the device. With save, the state of live rings is read first and
 * kept as their base, so a GET_VRING_BASE after SET_STATUS 0 still answers
 * where the ring stopped. The map is given back to the device afterwards.
 */
void vhost_device_reset(struct vhost_session *s, bool save);

/* ---- rings (vhost_ring.c) ---- */
void vhost_rings_init(struct vhost_session *s);
/* Makes the device's view of ring i match the protocol state. */
int vhost_ring_sync(struct vhost_session *s, unsigned i);
int vhost_rings_sync(struct vhost_session *s);
/* Takes live ring i away from the device; with save, its state becomes base. */
void vhost_ring_halt(struct vhost_session *s, unsigned i, bool save);
/* Stops and forgets every ring, closing its fds. */
void vhost_rings_reset(struct vhost_session *s);
/* Translates ring addresses again after the memory table changed: a ring
 * whose addresses moved is restarted there, one that lost them is stopped
 * until they are mapped again. */
/*
 * Before a new memory table goes to the device: stops (saving their state,
 * while the old map still holds) the live rings whose addresses next moves
 * or drops, so the device never sees a ring outside its map and stop it as
 * corrupted. vhost_rings_retranslate starts them again afterwards.
 */
void vhost_rings_halt_moving(struct vhost_session *s, const struct vhost_mem *next);
int vhost_rings_retranslate(struct vhost_session *s, const char *req);
/* Marks all rings enabled (SET_FEATURES without protocol features). */
void vhost_rings_enable_all(struct vhost_session *s);
bool vhost_any_ring_live(const struct vhost_session *s);

/* ---- the back end's channel (vhost_backend.c) ---- */
int vhost_h_set_backend_req_fd(struct vhost_session *s, int *fds, unsigned nfds);
void vhost_backend_close(struct vhost_session *s);

int vhost_h_vring_num(struct vhost_session *s, const struct vhost_user_msg *m);
int vhost_h_vring_addr(struct vhost_session *s, const struct vhost_user_msg *m);
int vhost_h_vring_base(struct vhost_session *s, const struct vhost_user_msg *m);
int vhost_h_get_vring_base(struct vhost_session *s, const struct vhost_user_msg *m,
			   struct vhost_user_msg *reply);
int vhost_h_vring_fd(struct vhost_session *s, const struct vhost_user_msg *m,
		     int *fds, unsigned nfds);
int vhost_h_vring_enable(struct vhost_session *s, const struct vhost_user_msg *m);

/* Stops the kick relay (after the rings are reset). */
void vhost_relay_close(struct vhost_session *s);

/* ---- memory table (vhost_memtable.c) ---- */
int vhost_h_set_mem_table(struct vhost_session *s, const struct vhost_user_msg *m,
			  int *fds, unsigned nfds);
int vhost_h_add_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			int *fds, unsigned nfds);
int vhost_h_rem_mem_reg(struct vhost_session *s, const struct vhost_user_msg *m,
			int *fds, unsigned nfds);
/* Empties the table: the device gets an empty map, then everything is unmapped. */
void vhost_memtable_clear(struct vhost_session *s);

/* ---- inflight area (vhost_inflight.c) ---- */
bool vhost_inflight_offered(const struct vhost_session *s);
void vhost_h_get_inflight_fd(struct vhost_session *s, const struct vhost_user_msg *m,
			     struct vhost_user_msg *reply);
int vhost_h_set_inflight_fd(struct vhost_session *s, const struct vhost_user_msg *m,
			    int *fds, unsigned nfds);
/* Gives ring i its region (or none) before it starts. */
int vhost_inflight_attach(struct vhost_session *s, unsigned i);
/* Detaches it from every queue, then unmaps it. */
void vhost_inflight_clear(struct vhost_session *s);

#endif
