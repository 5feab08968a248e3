// SPDX-License-Identifier: MIT
/*
 * Config changes over vhost-user: the back end's channel (BACKEND_REQ,
 * SET_BACKEND_REQ_FD) and uvdpa_virtio_config_fd/_generation.
 *
 * uvdpad: a vdpasim_net device whose MAC `uvdpa dev set` changes. The
 * library's config fd turns readable, the generation moves by one per
 * change, the config space shows the new MAC, and frames to it loop back.
 * Then a front end that never reads its channel while the MAC keeps
 * changing: uvdpad drops that connection (never blocks on it), and a new
 * front end on the same device hears the next change.
 *
 * fake: a socket-level back end. SET_BACKEND_REQ_FD comes before SET_OWNER
 * with a socket; CONFIG_CHANGE_MSG with NEED_REPLY is counted and answered
 * 0, without it counted and not answered; another request is refused
 * (answer non-zero) and the connection lives on; a back end that sends a
 * CONFIG_CHANGE_MSG and waits for its answer before it acks a request of
 * ours (libvhost-user's way) gets it; a closed channel leaves a quiet fd and
 * a working connection; a malformed request ends the connection (-EPROTO).
 *
 * usage: test_fe_config uvdpad UVDPAD UVDPA | fake
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fe_test.h"

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static uint32_t generation(struct uvdpa_virtio *v)
{
	uint32_t g = 0;
	int r = uvdpa_virtio_config_generation(v, &g);

	CHECK(r == 0, "config generation: %d", r);
	return g;
}

/* ---------------------------------------------------------------- uvdpad */

static void set_mac(struct fe_peer *p, const char *mac)
{
	const char *args[] = { "dev", "set", "name", "n0", "mac", mac, NULL };
	int r = fe_uvdpa_run(p, args);

	if (r)  /* quiet when it works: the deaf front end's test runs it hundreds of times */
		REQUIRE(0, "uvdpa dev set name n0 mac %s: exit %d", mac, r);
}

/* A frame to mac comes back: the device filters on its new address. */
static bool loops_back(struct uvdpa_net *n, const uint8_t mac[6])
{
	uint8_t f[60] = { 0 }, in[2048];
	int r, tries;

	memcpy(f, mac, 6);
	f[6] = 0x02;
	f[12] = 0x88;
	f[13] = 0xb5;
	for (unsigned i = 14; i < sizeof(f); i++)
		f[i] = (uint8_t)i;
	if (uvdpa_net_send(n, 0, f, sizeof(f)))
		return false;
	for (tries = 0; tries < 50; tries++) {
		r = uvdpa_net_recv(n, 0, in, sizeof(in));
		if (r != -EAGAIN)
			return r == (int)sizeof(f) && !memcmp(in, f, sizeof(f));
		uvdpa_net_wait_rx(n, 0, 100);
	}
	return false;
}

static void uvdpad_changes(struct fe_peer *peer)
{
	static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x22 }, mac3[6] = { 0x02, 0, 0, 0, 0, 0x33 };
	struct uvdpa_vhost_user_opts o = { .device_id = 1 };
	struct uvdpa_virtio *v;
	struct uvdpa_net *n;
	uint8_t mac[6];
	uint32_t g0, g;
	int fd, r;

	r = fe_open(peer->sock, &o, &v);
	REQUIRE(r == 0, "open vhost-user %s: %d", peer->sock, r);
	r = uvdpa_net_open(v, NULL, &n);
	REQUIRE(r == 0, "net open: %d", r);
	fd = uvdpa_virtio_config_fd(v);
	REQUIRE(fd >= 0, "uvdpad gives a back-end channel: config fd %d", fd);
	g0 = generation(v);
	CHECK(!readable(fd, 200), "no config change announced before one happens");

	set_mac(peer, "02:00:00:00:00:22");
	CHECK(readable(fd, 5000), "config fd readable after dev set mac");
	g = generation(v);
	CHECK(g == g0 + 1, "generation %u -> %u after one change", g0, g);
	CHECK(!readable(fd, 0), "config fd quiet once the change is handled");
	CHECK(uvdpa_net_get_mac(n, mac) == 0 && !memcmp(mac, mac2, 6),
	      "config space has the new MAC %02x:..:%02x", mac[0], mac[5]);
	CHECK(loops_back(n, mac2), "a frame to the new MAC comes back");

	set_mac(peer, "02:00:00:00:00:33");
	CHECK(readable(fd, 5000), "config fd readable after a second change");
	g = generation(v);
	CHECK(g == g0 + 2, "generation %u after two changes", g);
	CHECK(uvdpa_net_get_mac(n, mac) == 0 && !memcmp(mac, mac3, 6), "the second MAC");
	CHECK(uvdpa_virtio_config_fd(v) == fd, "the same config fd for v's life");
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
}

/*
 * A front end that never reads its channel: uvdpad may not block on it, and
 * drops it once the channel is full. Checked by the connection hanging up
 * (the net wait ends with -ECONNRESET) while the MAC keeps changing.
 */
static void uvdpad_deaf_front_end(struct fe_peer *peer)
{
	struct uvdpa_vhost_user_opts o = { .device_id = 1 };
	struct uvdpa_virtio *v, *v2;
	struct uvdpa_net *n, *n2;
	char mac[32];
	int r = 0, i, fd;
	uint32_t g;

	r = fe_open(peer->sock, &o, &v);
	REQUIRE(r == 0, "open vhost-user: %d", r);
	r = uvdpa_net_open(v, NULL, &n);
	REQUIRE(r == 0, "net open: %d", r);
	for (i = 0; i < 4000; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
		set_mac(peer, mac);
		if ((i & 15) == 15) {
			r = uvdpa_net_wait_rx(n, 0, 0);
			if (r == -ECONNRESET)
				break;
		}
	}
	CHECK(r == -ECONNRESET, "uvdpad dropped the front end that leaves its channel full "
	      "(after %d changes; wait %d)", i + 1, r);
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);

	/* The daemon carries on: a new front end is served and told. */
	r = fe_open(peer->sock, &o, &v2);
	REQUIRE(r == 0, "open again after the drop: %d", r);
	r = uvdpa_net_open(v2, NULL, &n2);
	REQUIRE(r == 0, "net open again: %d", r);
	fd = uvdpa_virtio_config_fd(v2);
	g = generation(v2);
	set_mac(peer, "02:00:00:00:00:44");
	CHECK(fd >= 0 && readable(fd, 5000) && generation(v2) == g + 1,
	      "the next front end hears the next change");
	uvdpa_net_close(n2);
	uvdpa_virtio_close(v2);
}

/* ------------------------------------------------------------------ fake */

enum {
	GET_FEATURES = 1, SET_OWNER = 3, GET_PROTOCOL_FEATURES = 15,
	SET_PROTOCOL_FEATURES = 16, SET_BACKEND_REQ_FD = 21, RESET_DEVICE = 34,
};

#define REPLY_FLAGS (0x1u | 0x4u)
#define NEED_REPLY 0x8u
#define CONFIG_CHANGE 2u
#define PROTO (1ull << 3 | 1ull << 5 | 1ull << 9 | 1ull << 13)  /* REPLY_ACK BACKEND_REQ CONFIG RESET_DEVICE */

struct hdr {
	uint32_t req, flags, size;
} __attribute__((packed));

struct fake {
	int lfd;
	pthread_t th;
	int chan;                       /* the channel's back-end end, -1 until given */
	uint32_t reqs[64];              /* what came, in order */
	unsigned nreqs;
	bool chat_on_reset;             /* CONFIG_CHANGE + wait for its answer before acking */
	int chat_answer;                /* 1: answered 0 in time */
	int conns;
};

static bool read_all(int fd, void *buf, size_t len, int *rfd)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return false;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			int one;

			memcpy(&one, CMSG_DATA(cm), sizeof(int));
			if (rfd && *rfd < 0)
				*rfd = one;
			else
				close(one);
		}
		got += (size_t)n;
	}
	return true;
}

static void send_msg(int fd, uint32_t req, uint32_t flags, const void *p, uint32_t size)
{
	struct hdr h = { req, flags, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };

	sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* The front end's answer on the channel: request echoed, REPLY, a u64. */
static bool chan_answer(int chan, uint32_t req, uint64_t *v, int ms)
{
	struct hdr h;

	if (!readable(chan, ms) || !read_all(chan, &h, sizeof(h), NULL))
		return false;
	return h.req == req && h.flags == REPLY_FLAGS && h.size == 8 &&
	       read_all(chan, v, 8, NULL);
}

static void fake_answer(struct fake *f, int fd, const struct hdr *h, int rfd)
{
	uint64_t v = 0;

	if (f->nreqs < sizeof(f->reqs) / sizeof(f->reqs[0]))
		f->reqs[f->nreqs++] = h->req;
	switch (h->req) {
	case GET_FEATURES:
		v = 1ull << 32 | 1ull << 30;            /* VERSION_1, PROTOCOL_FEATURES */
		send_msg(fd, h->req, REPLY_FLAGS, &v, 8);
		return;
	case GET_PROTOCOL_FEATURES:
		v = PROTO;
		send_msg(fd, h->req, REPLY_FLAGS, &v, 8);
		return;
	case SET_BACKEND_REQ_FD:
		if (rfd >= 0) {
			f->chan = rfd;
			rfd = -1;
		}
		break;
	case RESET_DEVICE:
		if (f->chat_on_reset && f->chan >= 0) {
			uint64_t a = 1;

			send_msg(f->chan, CONFIG_CHANGE, 0x1 | NEED_REPLY, NULL, 0);
			f->chat_answer = chan_answer(f->chan, CONFIG_CHANGE, &a, 3000) && a == 0;
			f->chat_on_reset = false;
		}
		break;
	}
	if (rfd >= 0)
		close(rfd);
	if (h->flags & NEED_REPLY)
		send_msg(fd, h->req, REPLY_FLAGS, &v, 8);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	uint8_t payload[512];

	for (;;) {
		int fd = accept(f->lfd, NULL, NULL);
		struct hdr h;

		if (fd < 0)
			return NULL;
		f->conns++;
		for (;;) {
			int rfd = -1;

			if (!read_all(fd, &h, sizeof(h), &rfd) || h.size > sizeof(payload) ||
			    (h.size && !read_all(fd, payload, h.size, &rfd))) {
				if (rfd >= 0)
					close(rfd);
				break;
			}
			fake_answer(f, fd, &h, rfd);
		}
		close(fd);
	}
}

static void fake_start(struct fake *f, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->chan = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(f->lfd >= 0 && bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		listen(f->lfd, 4) == 0, "fake back end listens at %s", path);
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake *f, const char *path)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
	if (f->chan >= 0)
		close(f->chan);
	unlink(path);
}

static int index_of(const struct fake *f, uint32_t req)
{
	for (unsigned i = 0; i < f->nreqs; i++)
		if (f->reqs[i] == req)
			return (int)i;
	return -1;
}

static void fake_channel(const char *path)
{
	struct uvdpa_vhost_user_opts o = { .device_id = 1, .timeout_ms = 1000 };
	uint8_t junk[16] = { 0 };
	struct uvdpa_virtio *v;
	struct fake f;
	uint64_t a = 7;
	uint32_t g0, g;
	int fd, r;

	fake_start(&f, path);
	r = fe_open(path, &o, &v);
	REQUIRE(r == 0, "open the fake: %d", r);
	CHECK(f.chan >= 0 && index_of(&f, SET_BACKEND_REQ_FD) >= 0 &&
	      index_of(&f, SET_BACKEND_REQ_FD) < index_of(&f, SET_OWNER),
	      "SET_BACKEND_REQ_FD with a socket, before SET_OWNER");
	fd = uvdpa_virtio_config_fd(v);
	REQUIRE(fd >= 0, "config fd %d", fd);
	g0 = generation(v);
	CHECK(!readable(fd, 100), "nothing announced yet");

	send_msg(f.chan, CONFIG_CHANGE, 0x1 | NEED_REPLY, NULL, 0);
	CHECK(readable(fd, 2000), "config fd readable after CONFIG_CHANGE_MSG");
	g = generation(v);
	CHECK(g == g0 + 1, "generation %u -> %u", g0, g);
	CHECK(chan_answer(f.chan, CONFIG_CHANGE, &a, 1000) && a == 0,
	      "CONFIG_CHANGE_MSG with NEED_REPLY answered 0 (%llu)", (unsigned long long)a);

	send_msg(f.chan, CONFIG_CHANGE, 0x1, NULL, 0);
	send_msg(f.chan, CONFIG_CHANGE, 0x1, NULL, 0);
	CHECK(readable(fd, 2000), "readable again");
	g = generation(v);
	CHECK(g == g0 + 3, "two more changes: generation %u", g);
	CHECK(!readable(f.chan, 200), "no answer when none was asked for");

	/* BACKEND_IOTLB_MSG: not negotiated, refused, the connection lives. */
	send_msg(f.chan, 1, 0x1 | NEED_REPLY, junk, sizeof(junk));
	g = generation(v);
	CHECK(g == g0 + 3, "an unknown request changes nothing (generation %u)", g);
	a = 0;
	CHECK(chan_answer(f.chan, 1, &a, 1000) && a != 0, "refused with %llu",
	      (unsigned long long)a);

	/* The back end asks while we wait for its ack (uvdpa_virtio_reset sends
	 * RESET_DEVICE with NEED_REPLY): answered from inside that wait. */
	f.chat_on_reset = true;
	r = uvdpa_virtio_reset(v);
	CHECK(r == 0 && f.chat_answer == 1,
	      "a change announced while the back end holds our ack back: reset %d, answered %d",
	      r, f.chat_answer);
	g = generation(v);
	CHECK(g == g0 + 4, "and counted (generation %u)", g);

	/* The back end closes its channel: the fd goes quiet, nothing fails. */
	close(f.chan);
	f.chan = -1;
	CHECK(readable(fd, 1000), "the hang-up wakes the application once");
	g = generation(v);
	CHECK(g == g0 + 4, "a closed channel is no change (generation %u)", g);
	CHECK(!readable(fd, 200), "then the fd stays quiet");
	CHECK(uvdpa_virtio_reset(v) == 0, "the connection still works");
	uvdpa_virtio_close(v);
	fake_stop(&f, path);

	/* Malformed: a CONFIG_CHANGE_MSG with a payload, then REPLY set. */
	for (int k = 0; k < 2; k++) {
		fake_start(&f, path);
		r = fe_open(path, &o, &v);
		REQUIRE(r == 0 && f.chan >= 0, "open the fake again: %d", r);
		fd = uvdpa_virtio_config_fd(v);
		if (k == 0)
			send_msg(f.chan, CONFIG_CHANGE, 0x1, junk, 4);
		else
			send_msg(f.chan, CONFIG_CHANGE, REPLY_FLAGS, NULL, 0);
		CHECK(readable(fd, 2000), "readable");
		r = uvdpa_virtio_config_generation(v, &g);
		CHECK(r == -EPROTO, "%s: -EPROTO (%d)",
		      k ? "REPLY flag on a request" : "CONFIG_CHANGE_MSG with a payload", r);
		r = uvdpa_virtio_reset(v);
		CHECK(r == -EPROTO, "the connection is dead: reset %d", r);
		uvdpa_virtio_close(v);
		fake_stop(&f, path);
	}
}

int main(int argc, char **argv)
{
	struct fe_peer peer;

	REQUIRE(argc >= 2, "usage: test_fe_config uvdpad UVDPAD UVDPA | fake");
	if (!strcmp(argv[1], "fake")) {
		char path[108];

		snprintf(path, sizeof(path), "/tmp/uvdpa-fe-config.%d.sock", (int)getpid());
		fake_channel(path);
		return fe_done();
	}
	REQUIRE(argc >= 4, "uvdpad needs the uvdpad and uvdpa paths");
	fe_uvdpad_start(&peer, argv[2], argv[3]);
	fe_uvdpad_add(&peer, "n0", "vdpasim_net", "mac", "02:00:00:00:00:01");
	uvdpad_changes(&peer);
	uvdpad_deaf_front_end(&peer);
	fe_peer_stop(&peer);
	return fe_done();
}
