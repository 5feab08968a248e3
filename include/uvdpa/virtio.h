/* SPDX-License-Identifier: MIT */
/*
 * libuvdpa's virtio face: a vDPA device seen from a virtio driver, in the
 * same process (the userspace counterpart of the kernel's virtio_vdpa), or
 * any vhost-user back end in another process (uvdpad, qemu-storage-daemon,
 * DPDK's vhost library) through a vhost-user front end.
 *
 * A struct uvdpa_virtio talks to one vhost-user socket
 * (uvdpa_virtio_open_vhost_user below), or binds to one in-process struct
 * uvdpa_device and talks to it only through its ops
 * (uvdpa_virtio_open_local in uvdpa/local.h). The class drivers (uvdpa/net.h, uvdpa/blk.h) are
 * opened on top of it; they run the virtio 1.2 §3.1 initialisation (reset,
 * ACKNOWLEDGE, DRIVER, feature negotiation, FEATURES_OK check, queue set-up,
 * DRIVER_OK) and reset the device when they close, so one uvdpa_virtio can
 * be probed again and again.
 *
 * Buffers the device touches live in memory this library allocates and maps
 * into the device at I/O virtual addresses (set_map; over vhost-user, a
 * sealed memfd shared with SET_MEM_TABLE); application buffers are copied in
 * and out, never handed to the device.
 *
 * Threading: a uvdpa_virtio and the driver opened on it are used by one
 * thread at a time. The device keeps running its own worker thread(s).
 *
 * Errors are negative errno values, as in liburing.
 */
#ifndef UVDPA_VIRTIO_H
#define UVDPA_VIRTIO_H

#include <stddef.h>
#include <stdint.h>
#include <uvdpa/virtio_config.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvdpa_virtio;

/* Options of uvdpa_virtio_open_vhost_user; zeroes mean the defaults. */
struct uvdpa_vhost_user_opts {
	/*
	 * Virtio device id the back end serves (1 net, 2 block): vhost-user
	 * has no message that tells. 0 = 2, block.
	 */
	uint32_t device_id;
	/* Largest ring the back end takes (vhost-user cannot ask). 0 = 256;
	 * else a power of two up to 32768. */
	uint16_t queue_size_max;
	/* Longest wait for any one reply, in ms. 0 = 5000; must not be negative. */
	int timeout_ms;
	/*
	 * Shared memory for rings and buffers, fixed at open (it is sealed).
	 * 0 = 256 MiB, enough for one blk queue of depth 128 with 1 MiB
	 * requests or one net queue pair; pages are used only once touched.
	 */
	size_t mem_size;
	/*
	 * How long, in ms, to keep trying to reach a back end that went away
	 * (crashed, killed, restarting). 0 = never: its end is an error, as
	 * described below; must not be negative.
	 *
	 * Otherwise, for block devices, the front end asks for the
	 * INFLIGHT_SHMFD protocol feature and keeps the back end's inflight
	 * area. When the back end offers it, a hang-up seen while a driver
	 * waits for completions (uvdpa_blk_wait and the synchronous blk
	 * calls) makes the library connect to the same path again, retrying
	 * until reconnect_ms has passed, and replay the set-up: features,
	 * memory table, the inflight area, and every ring: a split ring from
	 * the used index in the front end's memory, a packed ring (whose
	 * used position only the back end knows) from the used index and
	 * wrap counter the inflight area holds for its last published batch
	 * (old_used_idx, old_used_wrap_counter). The new back end resubmits the requests that were
	 * in flight, so the application sees that wait take longer: no request
	 * fails, none is lost, none completes twice. Requests submitted in the
	 * meantime wait in the ring. Only what the back end kept (a file, not
	 * a RAM disk) survives its restart, as with any disk. Reconnects happen
	 * only in those waits: a call that needs an answer from the back end
	 * while it is away (uvdpa_virtio_read_config, closing the driver) fails
	 * and ends the connection for good.
	 *
	 * Net devices need no inflight area: a hang-up seen in
	 * uvdpa_net_wait_rx or uvdpa_net_wait_tx (a full transmit ring leads
	 * there) reconnects the same way, and each ring resumes where the old
	 * back end's used entries end: a split ring at the used index in the
	 * front end's memory, a packed ring at the position (and wrap
	 * counter) reached by walking from the driver's own used position
	 * over the used entries it has not taken yet, as SET_VRING_BASE
	 * last_avail_idx | wrap << 15 (the used half alike). Receive buffers the old back
	 * end had taken are offered again; frames it had taken but not
	 * reported sent are sent again, so a frame may go out twice, and one
	 * on its way through the dying back end may be lost, as on any
	 * network. The application sees its wait take longer, no error.
	 *
	 * Block back ends without INFLIGHT_SHMFD (qemu-storage-daemon's
	 * export does not offer it) and a back end not back in time end the
	 * wait with -ECONNRESET, as with 0.
	 */
	int reconnect_ms;
};

/*
 * Connects to the vhost-user back end listening on the Unix socket at path
 * and drives it as a virtio device: features, SET_OWNER, protocol features
 * (REPLY_ACK, CONFIG, MQ, STATUS, RESET_DEVICE and BACKEND_REQ when
 * offered; for blk
 * with opts->reconnect_ms also INFLIGHT_SHMFD), then a reset and
 * ACKNOWLEDGE as uvdpa_virtio_open_local (uvdpa/local.h) does. Open uvdpa/blk.h or
 * uvdpa/net.h on it as on an in-process device. opts NULL = defaults.
 *
 * Block: requires the CONFIG protocol feature; several queues (uvdpa_blk_opts
 * num_queues) when the back end offers MQ and counts them in GET_QUEUE_NUM.
 * Net: vhost-user back ends leave the control queue to the front end, so
 * features that need it (CTRL_VQ, MQ, CTRL_MAC_ADDR ...) are not offered;
 * one queue pair. Config space is read from the back end (GET_CONFIG) at
 * every uvdpa_virtio_read_config. When the back end offers the BACKEND_REQ
 * protocol feature (with CONFIG) the front end gives it a channel
 * (SET_BACKEND_REQ_FD) on which it announces config changes: see
 * uvdpa_virtio_config_fd. A back end that dies is reconnected to only as
 * opts->reconnect_ms says.
 *
 * Every reply is checked (request echoed, REPLY flag, version, exact size)
 * and awaited at most opts->timeout_ms. Once a reply is late, malformed, or
 * the back end closes, the connection is dead: that call and every later
 * one on v (uvdpa_blk_open, uvdpa_virtio_read_config, ...) fail with the
 * same error, and only uvdpa_virtio_close remains useful. A back end that
 * hangs up while a driver waits for completions (uvdpa_blk_wait and the
 * synchronous blk calls, uvdpa_net_wait_rx, uvdpa_net_wait_tx) ends the wait
 * at once with -ECONNRESET, and requests in flight then never complete;
 * unless the library can reconnect (see reconnect_ms): then the wait goes
 * on, at most reconnect_ms longer, and ends with -ECONNRESET only if the
 * back end is not back by then. A wait that does not run (uvdpa_blk_poll)
 * notices nothing: reconnects happen in waits.
 *
 * Returns 0 and sets *out, or:
 *   -EINVAL        path or out NULL, bad opts (negative timeout or
 *                  reconnect_ms, device id other than 1 or 2,
 *                  queue_size_max not a power of two)
 *   -ENAMETOOLONG  path does not fit a Unix socket address
 *   -ENOENT, -ECONNREFUSED, ...  connect(2) failed
 *   -ETIMEDOUT     the back end did not answer in time
 *   -ECONNRESET    the back end closed the connection
 *   -EPROTO        the back end sent a malformed or unexpected reply
 *   -EOPNOTSUPP    a block back end without the CONFIG protocol feature
 *   -EIO           the back end refused a request (REPLY_ACK) or the reset
 *   -ENOMEM        out of memory, memfd or eventfds
 *
 * Threading: as everything on a uvdpa_virtio, one thread at a time. The
 * library starts no thread; nothing waits longer than timeout_ms per reply,
 * and a reconnect no longer than reconnect_ms in all (plus one reply's
 * timeout_ms).
 */
int uvdpa_virtio_open_vhost_user(const char *path, const struct uvdpa_vhost_user_opts *opts,
				 struct uvdpa_virtio **out);

/*
 * Resets the device and unbinds from it. Any driver opened on v must be
 * closed first. NULL is accepted.
 */
void uvdpa_virtio_close(struct uvdpa_virtio *v);

/* Virtio device id (1 = net, 2 = block, see <linux/virtio_ids.h>). */
uint32_t uvdpa_virtio_device_id(const struct uvdpa_virtio *v);

/* Features the device offers. */
uint64_t uvdpa_virtio_device_features(const struct uvdpa_virtio *v);

/* Features negotiated by the driver currently open on v (0 if none). */
uint64_t uvdpa_virtio_features(const struct uvdpa_virtio *v);

/* Device status byte (UVDPA_STATUS_* in uvdpa/virtio_config.h). */
uint8_t uvdpa_virtio_status(const struct uvdpa_virtio *v);

/* Number of virtqueues the device has. */
unsigned uvdpa_virtio_num_queues(const struct uvdpa_virtio *v);

/*
 * Copies len bytes of device config space from offset into buf, retrying
 * until the config generation is stable (virtio 1.2 §2.5.1). Config fields
 * are little-endian. Returns 0, or -EINVAL if the range is outside the
 * config space or features have not been negotiated yet (reading config
 * before FEATURES_OK would make the device legacy); over vhost-user also
 * -EIO if the back end refused the read, or the connection's error.
 */
int uvdpa_virtio_read_config(struct uvdpa_virtio *v, unsigned offset, void *buf,
			     unsigned len);

/*
 * Config changes (a new MAC or link state, a resized disk), for an
 * application that wants to hear of them rather than read the config space
 * now and then.
 *
 * uvdpa_virtio_config_fd returns an fd to add to the application's
 * poll/epoll set (POLLIN): it becomes readable when the device may have
 * announced a change; then call uvdpa_virtio_config_generation. Over
 * vhost-user it is the front end's end of the back end's channel
 * (SET_BACKEND_REQ_FD), which the library reads only inside its own calls
 * (it starts no thread). It is the same fd for v's life and stays owned by
 * the library (do not read or close it): if the back end closes its
 * channel the fd simply never becomes readable again, and a reconnect
 * (reconnect_ms) brings a new channel onto the same fd. Both replace the
 * open file behind the number: poll(2) and select(2) need nothing, an
 * epoll set loses it, so an epoll user adds it again (EPOLL_CTL_ADD;
 * EEXIST means nothing changed) whenever the generation moves. Returns the fd, or
 * -EOPNOTSUPP: in-process devices (their generation is still counted, see
 * below), back ends without the BACKEND_REQ and CONFIG protocol features,
 * or one that refused the channel.
 *
 * uvdpa_virtio_config_generation first handles what the back end sent on
 * its channel (BACKEND_CONFIG_CHANGE_MSG, answered when it asks for an
 * answer; other requests are refused), then stores in *generation a counter
 * that changes whenever the config may have changed: a change announced by
 * the back end, a reconnect to a new back end; for an in-process device,
 * the device's own config generation. Compare it to the value seen at the
 * last read of the config space and read again (uvdpa_virtio_read_config,
 * uvdpa_net_get_config, uvdpa_blk_capacity) if it moved. Returns 0, or the
 * connection's error (a malformed request on the channel ends the
 * connection with -EPROTO, as a malformed reply does). The channel is also
 * answered while the library waits for the back end's reply to one of its
 * own requests, so a back end that waits for its answer (libvhost-user with
 * REPLY_ACK) does not deadlock against that request; a back end that waits
 * for it while the application sleeps in a completion wait (uvdpa_blk_wait)
 * is answered only once the application looks at the fd.
 *
 * Threading: as everything on v, one thread at a time; the fd may be
 * polled from any thread.
 */
int uvdpa_virtio_config_fd(struct uvdpa_virtio *v);
int uvdpa_virtio_config_generation(struct uvdpa_virtio *v, uint32_t *generation);

/*
 * Resets the device (status 0) and ACKNOWLEDGEs it again. Only valid while
 * no driver is open on v: -EBUSY otherwise; -EIO if the device refused.
 */
int uvdpa_virtio_reset(struct uvdpa_virtio *v);

#ifdef __cplusplus
}
#endif
#endif
