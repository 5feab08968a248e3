/* SPDX-License-Identifier: MIT */
/*
 * The management face: the kernel's "vdpa" generic-netlink family (and the
 * part of nlctrl a client needs to find it), served over any datagram
 * transport. uvdpad feeds it the datagrams of its Unix SEQPACKET clients;
 * tests and the fuzzer feed it bytes directly.
 *
 * A datagram carries netlink messages exactly as a NETLINK_GENERIC socket
 * would (nlmsghdr + genlmsghdr + attributes, several per datagram allowed).
 * Every reply datagram holds one message, except dump batches, which hold as
 * many NLM_F_MULTI messages as fit in MGMT_DGRAM_MAX bytes. The connection
 * behaves like a netlink socket with NETLINK_CAP_ACK and NETLINK_EXT_ACK set.
 */
#ifndef UVDPA_MGMT_H
#define UVDPA_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uvdpa/bus.h>

/*
 * The family id uvdpad answers for "vdpa". A kernel allocates ids from
 * GENL_START_ALLOC (0x13) upward; a fixed one keeps traces readable.
 * Clients must still resolve it through nlctrl.
 */
#define MGMT_VDPA_FAMILY_ID 0x20

/* Largest datagram uvdpad sends: dump batches stop here. A page, like the
 * kernel's dump skbs for a client reading with MNL_SOCKET_BUFFER_SIZE. */
#define MGMT_DGRAM_MAX 4096

/* Largest request datagram accepted; longer ones get EMSGSIZE. */
#define MGMT_REQUEST_MAX 65536

struct mgmt_server;
struct mgmt_client;

/* Who opened the connection (SO_PEERCRED, snapshotted at connect). */
struct mgmt_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;     /* may run GENL_ADMIN_PERM commands, for good */
	/* Optional: asked again for each GENL_ADMIN_PERM request when admin is
	 * false (a capability the peer holds now, not when it connected). */
	bool (*admin_now)(void *opaque);
	void *opaque;
};

/* Optional hook: the vhost-user socket of a device, for DEV_GET replies. */
typedef const char *(*mgmt_socket_path_fn)(void *opaque, struct uvdpa_device *d);

/*
 * Optional hook: a DEV_NEW, DEV_DEL or DEV_ATTR_SET (cmd) that changed device
 * dev_name has succeeded; attrs/len are the request's validated attributes.
 * It runs before the reply is queued, so what it records is durable once the
 * client hears of success. A negative errno fails the request with msg (a
 * new device is deleted again; a deletion or a change stays done, and msg
 * should say so).
 */
typedef int (*mgmt_commit_fn)(void *opaque, uint8_t cmd, const char *dev_name,
			      const void *attrs, size_t len, char *msg, size_t msg_size);

/* How a command's policy types an attribute, for those who store requests. */
enum mgmt_attr_kind {
	MGMT_ATTR_NONE,         /* the command does not take it */
	MGMT_ATTR_U8,
	MGMT_ATTR_U16,
	MGMT_ATTR_U32,
	MGMT_ATTR_U64,
	MGMT_ATTR_STRING,       /* sent with a NUL */
	MGMT_ATTR_BINARY,
};
enum mgmt_attr_kind mgmt_attr_kind(uint8_t cmd, unsigned type);
/* Optional hook: NULL when d is not exported through VDUSE, else the
 * features VDUSE made it drop ("" for none), for DEV_GET replies. */
typedef const char *(*mgmt_vduse_fn)(void *opaque, struct uvdpa_device *d);
void mgmt_server_set_vduse_fn(struct mgmt_server *srv, mgmt_vduse_fn fn, void *opaque);
/*
 * Optional hook, called by DEV_NEW just before the device is created: whether
 * it goes on the kernel's vdpa bus too (UVDPA_ATTR_UVDPA_EXPORT_VDUSE: 1 or 0;
 * -1 when absent, the daemon's default). 0, or a negative errno with *msg.
 * Without the hook DEV_NEW refuses "vduse on".
 */
typedef int (*mgmt_export_fn)(void *opaque, int vduse, const char **msg);
void mgmt_server_set_export_fn(struct mgmt_server *srv, mgmt_export_fn fn, void *opaque);

/* The bus stays owned by the caller and must outlive the server. */
struct mgmt_server *mgmt_server_new(struct uvdpa_bus *bus);
void mgmt_server_free(struct mgmt_server *srv);
void mgmt_server_set_socket_path_fn(struct mgmt_server *srv, mgmt_socket_path_fn fn,
				    void *opaque);
void mgmt_server_set_commit_fn(struct mgmt_server *srv, mgmt_commit_fn fn, void *opaque);

/* One connection: its credentials, its queued replies and its running dump. */
struct mgmt_client *mgmt_client_new(struct mgmt_server *srv, const struct mgmt_peer *peer);
void mgmt_client_free(struct mgmt_client *c);

/*
 * Parses and executes every message of one datagram and queues the replies.
 * truncated_len > len tells that the transport cut the datagram (MSG_TRUNC):
 * it is answered with EMSGSIZE and not executed.
 */
void mgmt_client_input(struct mgmt_client *c, const void *buf, size_t len,
		       size_t truncated_len);

/*
 * The next reply datagram, or NULL when there is nothing to send. A running
 * dump produces its next batch only when the queue is empty, so a client
 * that does not read holds at most one batch in the daemon.
 */
const void *mgmt_client_peek(struct mgmt_client *c, size_t *len);
/* Drops the datagram returned by the last peek (it was sent). */
void mgmt_client_pop(struct mgmt_client *c);
/* True while replies are queued or a dump is unfinished. */
bool mgmt_client_busy(const struct mgmt_client *c);

/*
 * One-shot entry point shared by the fuzzer and tests: handles a datagram
 * from peer and passes every reply datagram, dumps included, to sink.
 */
typedef void (*mgmt_sink_fn)(void *opaque, const void *buf, size_t len);
void mgmt_handle_datagram(struct mgmt_server *srv, const void *buf, size_t len,
			  const struct mgmt_peer *peer, mgmt_sink_fn sink, void *opaque);

#endif
