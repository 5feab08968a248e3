// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for libuvdpa's vhost-user front end: everything a back
 * end can say to it.
 *
 * Byte 0 bit 0 = 1: the rest is one reply datagram, checked by
 * vu_parse_reply against every request the front end sends, then by the
 * typed parsers.
 * Bit 0 = 0: the rest is the whole byte stream a back end sends on the
 * socket (then it hangs up); the front end opens the connection on it and
 * probes a blk (bit 1 = 0) or net (bit 1 = 1) driver, with packed rings if
 * bit 2 is set, asking for INFLIGHT_SHMFD (reconnects) if bit 3 is set,
 * then closes.
 * Bit 4 (with bit 0 = 0): the back end's channel too. Bytes 1-2 (little
 * endian) are how many of the rest go on the main socket; what follows is
 * what the back end writes on the channel the front end gave it
 * (SET_BACKEND_REQ_FD) before it hangs up there too; the application asks
 * for the config generation before and after driving the device.
 * In parse mode each datagram is also judged as a back-end request
 * (vu_parse_backend_msg).
 * Whatever the bytes, every call must end in a result or an error, without
 * a sanitizer report, a leak or a hang.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uvdpa/blk.h>
#include <uvdpa/net.h>
#include "driver/virtio_priv.h"
#include "driver/vu_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t reqs[] = {
	VU_GET_FEATURES, VU_GET_PROTOCOL_FEATURES, VU_GET_QUEUE_NUM, VU_GET_CONFIG,
	VU_GET_VRING_BASE, VU_GET_STATUS, VU_SET_MEM_TABLE, VU_SET_FEATURES,
	VU_GET_INFLIGHT_FD,
};

static void parse_one(const uint8_t *data, size_t size)
{
	const uint8_t *cfg;
	struct vu_inflight in;
	struct vu_msg m;
	uint64_t u;
	uint32_t num;
	bool changed;
	unsigned i;

	if (vu_parse_backend_msg(data, size, &m, &changed) == 0 && changed)
		(void)m;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		if (vu_parse_reply(data, size, reqs[i], &m))
			continue;
		if (!vu_parse_u64(&m, &u))
			(void)u;
		if (!vu_parse_state(&m, 0, &num))
			(void)num;
		if (!vu_parse_config(&m, 8, &cfg) && cfg[7] == 0xff)
			(void)cfg;
		if (!vu_parse_inflight(&m, 1, 8, &in))
			(void)in;
	}
}

static void drive(struct uvdpa_virtio *v, unsigned mode)
{
	if (mode & 2) {
		struct uvdpa_net_opts o = { .queue_size = 8,
					    .flags = (mode & 4) ? UVDPA_NET_PACKED : 0 };
		struct uvdpa_net *n;

		if (!uvdpa_net_open(v, &o, &n))
			uvdpa_net_close(n);
	} else {
		struct uvdpa_blk_opts o = { .queue_size = 8, .queue_depth = 2,
					    .flags = (mode & 4) ? UVDPA_BLK_PACKED : 0 };
		struct uvdpa_blk *b;
		uint8_t buf[8];

		if (!uvdpa_blk_open(v, &o, &b))
			uvdpa_blk_close(b);
		uvdpa_virtio_read_config(v, 0, buf, sizeof(buf));
	}
}

/* The channel's fd, from SET_BACKEND_REQ_FD among what the front end sent
 * so far (the only fd it sends before a driver opens); -1 if none. */
static int channel_of(int sock)
{
	char buf[4096], cbuf[CMSG_SPACE(8 * sizeof(int))];
	int chan = -1;

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;

		if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return chan;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k, n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (k = 0; k < n; k++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				if (chan < 0)
					chan = fd;
				else
					close(fd);
			}
		}
	}
}

/* The back end's say on its channel, then it hangs up there. */
static void channel_say(int sock, const uint8_t *data, size_t size)
{
	int chan = channel_of(sock);

	if (chan < 0)
		return;
	if (write(chan, data, size) < 0) {
		/* the front end may have closed its end already */
	}
	close(chan);
}

static void stream(const uint8_t *data, size_t size, unsigned mode)
{
	struct vtransport_vu_opts o = {
		.device_id = (mode & 2) ? 1 : 2, .queue_size_max = 8, .timeout_ms = 20,
		.mem_size = 8u << 20, .reconnect_ms = (mode & 8) ? 50 : 0,
	};
	const uint8_t *chan_data = NULL;
	size_t chan_size = 0;
	struct uvdpa_virtio *v;
	struct vtransport *t;
	uint32_t gen;
	int sv[2];

	if (mode & 16) {
		size_t main_size;

		if (size < 2)
			return;
		main_size = data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		if (main_size > size)
			main_size = size;
		chan_data = data + main_size;
		chan_size = size - main_size;
		size = main_size;
		if (chan_size > 65536)
			return;
	}
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	/* The back end's whole say, then it hangs up. */
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	shutdown(sv[1], SHUT_WR);
	if (!vtransport_vhost_user_open_fd(sv[0], &o, &t) && !vdrv_bind(t, &v)) {
		if (chan_data)
			channel_say(sv[1], chan_data, chan_size);
		uvdpa_virtio_config_generation(v, &gen);
		drive(v, mode);
		uvdpa_virtio_config_generation(v, &gen);
		uvdpa_virtio_close(v);
	}
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		parse_one(data + 1, size - 1);
	else
		stream(data + 1, size - 1, data[0]);
	return 0;
}
