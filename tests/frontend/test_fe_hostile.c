// SPDX-License-Identifier: MIT
/*
 * A hostile vhost-user back end: a socket-level fake that plays a plausible
 * blk back end and, at one chosen request, answers with the wrong request
 * code, a short or oversized payload, no REPLY flag, a bad version, a refusal,
 * an out-of-range status, extra fds, half a header, nothing at all, or
 * closes. Every case must end in a clear error from the call that hit it
 * (-EPROTO, -ETIMEDOUT, -ECONNRESET, -EIO), within the timeout, with no fd
 * leaked, no crash and no hang; later calls on the dead connection fail the
 * same way at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fe_test.h"

/*
 * The reply timeout: short where the fake is silent or never accepts (the
 * case waits it out), long elsewhere, so that a fake thread the scheduler
 * holds back for a while is not mistaken for a silent one.
 */
#define SILENT_TIMEOUT_MS 200
#define TIMEOUT_MS        5000

enum fault {
	F_NONE, F_WRONG_REQ, F_SHORT, F_OVERSIZE, F_NO_REPLY_FLAG, F_BAD_VERSION, F_SILENT,
	F_CLOSE, F_HALF_HEADER, F_NACK, F_BIG_STATUS, F_CONFIG_EMPTY, F_WRONG_INDEX, F_FDS,
};

static const char *const fault_names[] = {
	"none", "wrong request code", "short payload", "oversized size", "no REPLY flag",
	"bad version", "no reply", "close", "half a header", "refusal (REPLY_ACK)",
	"status > 0xff", "config size 0", "wrong ring index", "unasked fds",
};

/* Request numbers, from the spec (the fake keeps its own). */
enum {
	GET_FEATURES = 1, SET_MEM_TABLE = 5, GET_VRING_BASE = 11, GET_PROTOCOL_FEATURES = 15,
	GET_QUEUE_NUM = 17, GET_CONFIG = 24, SET_STATUS = 39, GET_STATUS = 40,
};

/* What the fake saw of the memory the front end shares (SET_MEM_TABLE). */
struct mem_seen {
	int seals;              /* F_GET_SEALS of the region's fd, -1 if none came */
	off_t fd_size;
	uint64_t gpa, size, uva;
};

struct fake {
	struct mem_seen mem;
	int lfd;
	uint32_t fault_req;
	enum fault fault;
	uint8_t status;
	pthread_t th;
};

struct hdr {
	uint32_t req, flags, size;
} __attribute__((packed));

static bool read_all(int fd, void *buf, size_t len, struct mem_seen *mem)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n <= 0)
			return false;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			int fds[8];
			size_t k, nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
			for (k = 0; k < nfd; k++) {
				/* Only the memory fd takes seals (eventfds: -1). */
				if (mem && k == 0 && fcntl(fds[0], F_GET_SEALS) >= 0) {
					mem->seals = fcntl(fds[0], F_GET_SEALS);
					mem->fd_size = lseek(fds[0], 0, SEEK_END);
				}
				close(fds[k]);
			}
		}
		got += (size_t)n;
	}
	return true;
}

static void send_reply(int fd, const struct hdr *h, const void *p, int nfds)
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))] = { 0 };
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)p, 0 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	int fds[3];

	iov[1].iov_len = h->size > 300 ? 8 : h->size;
	if (nfds) {
		struct cmsghdr *cm;
		int i;

		for (i = 0; i < nfds; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
		sendmsg(fd, &mh, MSG_NOSIGNAL);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* What an honest blk back end answers; false if the request has no reply. */
static bool honest(struct fake *f, const struct hdr *h, uint8_t *p, struct hdr *rh,
		   uint8_t *rp)
{
	uint64_t u = 0;

	*rh = (struct hdr){ h->req, 0x1 | 0x4, 8 };
	switch (h->req) {
	case GET_FEATURES:
		/* VERSION_1 PROTOCOL_FEATURES INDIRECT FLUSH BLK_SIZE SEG_MAX */
		u = (1ull << 32) | (1ull << 30) | (1ull << 28) | (1ull << 9) | (1ull << 6) |
		    (1ull << 2);
		break;
	case GET_PROTOCOL_FEATURES:
		u = (1ull << 3) | (1ull << 9) | (1ull << 16);   /* REPLY_ACK CONFIG STATUS */
		break;
	case GET_STATUS:
		u = f->status;
		break;
	case GET_CONFIG: {
		uint32_t size;
		uint64_t cap = 2048;

		memcpy(&size, p + 4, 4);
		if (size > 256)
			size = 256;
		memcpy(rp, p, 12);
		memset(rp + 12, 0, size);
		if (size >= 8)
			memcpy(rp + 12, &cap, 8);
		rh->size = 12 + size;
		return true;
	}
	case GET_VRING_BASE:
		memcpy(rp, p, 4);
		memset(rp + 4, 0, 4);
		return true;
	default:
		if (h->req == SET_STATUS)
			f->status = p[0];
		if (!(h->flags & 0x8))
			return false;
		break;
	}
	memcpy(rp, &u, 8);
	return true;
}

static bool misbehave(struct fake *f, int fd, struct hdr *rh, uint8_t *rp)
{
	uint64_t big = 0x1234;

	switch (f->fault) {
	case F_WRONG_REQ: rh->req ^= 0x40; break;
	case F_SHORT: rh->size = rh->size > 4 ? 4 : 0; break;
	case F_OVERSIZE: rh->size = 0x100000; break;
	case F_NO_REPLY_FLAG: rh->flags &= ~0x4u; break;
	case F_BAD_VERSION: rh->flags = (rh->flags & ~0x3u) | 0x2; break;
	case F_SILENT: return true;
	case F_CLOSE: return false;
	case F_HALF_HEADER: send(fd, rh, 6, MSG_NOSIGNAL); return false;
	case F_NACK: big = 1; memcpy(rp, &big, 8); break;
	case F_BIG_STATUS: memcpy(rp, &big, 8); break;
	case F_CONFIG_EMPTY: memset(rp + 4, 0, 4); rh->size = 12; break;
	case F_WRONG_INDEX: rp[0] ^= 1; break;
	case F_FDS: send_reply(fd, rh, rp, 3); return true;
	case F_NONE: break;
	}
	send_reply(fd, rh, rp, 0);
	return true;
}

static void *fake_main(void *arg)
{
	static uint8_t p[4096], rp[4096];
	struct fake *f = arg;
	struct hdr h, rh;
	bool faulted = false;
	int fd = accept(f->lfd, NULL, NULL);

	while (fd >= 0 && read_all(fd, &h, sizeof(h), &f->mem) && h.size <= sizeof(p) &&
	       (!h.size || read_all(fd, p, h.size, &f->mem))) {
		bool has = honest(f, &h, p, &rh, rp);

		if (h.req == SET_MEM_TABLE && h.size >= 8 + 32) {
			memcpy(&f->mem.gpa, p + 8, 8);
			memcpy(&f->mem.size, p + 16, 8);
			memcpy(&f->mem.uva, p + 24, 8);
		}
		if (!faulted && h.req == f->fault_req) {
			faulted = true;
			if (!has)
				rh = (struct hdr){ h.req, 0x5, 8 };
			if (!misbehave(f, fd, &rh, rp))
				break;
			continue;
		}
		if (has && !(faulted && f->fault == F_SILENT))
			send_reply(fd, &rh, rp, 0);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void fake_start(struct fake *f, const char *path, uint32_t req, enum fault fault)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->mem.seals = -1;
	f->fault_req = req;
	f->fault = fault;
	unlink(path);
	strcpy(sa.sun_path, path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(f->lfd >= 0 && bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		listen(f->lfd, 1) == 0, "fake back end listens");
	REQUIRE(pthread_create(&f->th, NULL, fake_main, f) == 0, "fake thread");
}

static void fake_stop(struct fake *f)
{
	/* The fake ends when the client closes; a client that never
	 * connected leaves it in accept(). */
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int expected(enum fault fault)
{
	switch (fault) {
	case F_SILENT: return -ETIMEDOUT;
	case F_CLOSE: case F_HALF_HEADER: return -ECONNRESET;
	case F_NACK: case F_CONFIG_EMPTY: return -EIO;
	case F_FDS: case F_NONE: return 0;
	default: return -EPROTO;
	}
}

/* open, blk open, blk close, blk open again, close: the first error seen. */
static int drive(const char *path, int timeout_ms, int *later)
{
	struct uvdpa_vhost_user_opts o = { .timeout_ms = timeout_ms };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	int r;

	r = uvdpa_virtio_open_vhost_user(path, &o, &v);
	*later = r;     /* nothing to call later on a failed open */
	if (r)
		return r;
	r = uvdpa_blk_open(v, NULL, &b);
	if (!r) {
		uvdpa_blk_close(b);             /* GET_VRING_BASE happens here */
		r = uvdpa_blk_open(v, NULL, &b);
		if (!r)
			uvdpa_blk_close(b);
	}
	if (r) {
		/* The connection is dead: the next call fails at once, the same way. */
		uint8_t buf[8];
		int64_t t0 = now_ms();

		*later = uvdpa_virtio_read_config(v, 0, buf, 8);
		if (*later == -EINVAL) {        /* features are gone after the reset */
			*later = uvdpa_blk_open(v, NULL, &b);
			if (!*later)            /* a refusal leaves the connection usable */
				uvdpa_blk_close(b);
		}
		if (now_ms() - t0 > timeout_ms / 2)
			*later = 1;
	}
	uvdpa_virtio_close(v);
	return r;
}

/* The region a back end maps can never shrink under it (SIGBUS), and
 * buffer (GPA) and ring (UVA) addresses live in different spaces. */
static void check_memory(const struct mem_seen *m)
{
	CHECK(m->seals == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	      "shared memory is a memfd sealed against shrink, grow and new seals (0x%x)",
	      m->seals);
	CHECK(m->size && m->fd_size >= (off_t)m->size, "the fd covers the region (%lld >= %llu)",
	      (long long)m->fd_size, (unsigned long long)m->size);
	CHECK(m->gpa != m->uva, "region GPA 0x%llx differs from its UVA 0x%llx",
	      (unsigned long long)m->gpa, (unsigned long long)m->uva);
}

static void one_case(const char *path, uint32_t req, enum fault fault)
{
	struct fake f;
	int fds0 = count_fds(), r, later, want = expected(fault);
	int timeout_ms = fault == F_SILENT ? SILENT_TIMEOUT_MS : TIMEOUT_MS;
	int64_t t0 = now_ms(), ms;

	fake_start(&f, path, req, fault);
	r = drive(path, timeout_ms, &later);
	ms = now_ms() - t0;
	fake_stop(&f);
	/* A refusal only fails the request it answers; the connection lives. */
	CHECK(r == want && (r == 0 || r == -EIO || later == r),
	      "request %u, %s: %d (%s), then %d", req, fault_names[fault], r,
	      r ? strerror(-r) : "ok", later);
	CHECK(ms < 3 * timeout_ms + 1000, "  ... within %lld ms", (long long)ms);
	CHECK(count_fds() == fds0, "  ... and no fd left open (%d, was %d)", count_fds(), fds0);
	if (fault == F_NONE)
		check_memory(&f.mem);
}

/* A back end that never accepts: its backlog full, connect() would sleep. */
static void never_accepts(const char *path)
{
	struct uvdpa_vhost_user_opts o = { .timeout_ms = SILENT_TIMEOUT_MS };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[4], i, r;
	struct uvdpa_virtio *v = NULL;
	int64_t t0;

	unlink(path);
	strcpy(sa.sun_path, path);
	REQUIRE(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		listen(lfd, 0) == 0, "listener with backlog 0");
	for (i = 0; i < 4; i++) {
		fill[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	t0 = now_ms();
	r = uvdpa_virtio_open_vhost_user(path, &o, &v);
	CHECK(r == -ETIMEDOUT && now_ms() - t0 < 3 * SILENT_TIMEOUT_MS + 1000,
	      "connect to a back end that never accepts: %d in %lld ms", r,
	      (long long)(now_ms() - t0));
	if (!r)
		uvdpa_virtio_close(v);
	for (i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

int main(void)
{
	static const uint32_t reqs[] = { GET_FEATURES, GET_PROTOCOL_FEATURES, GET_CONFIG,
					 GET_STATUS, SET_MEM_TABLE, GET_VRING_BASE };
	char dir[] = "/tmp/uvdpa-fe-hostile.XXXXXX", path[128];
	unsigned i, k;

	REQUIRE(mkdtemp(dir), "temporary directory");
	snprintf(path, sizeof(path), "%s/fake.sock", dir);
	one_case(path, 0, F_NONE);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		for (k = F_WRONG_REQ; k <= F_FDS; k++) {
			if ((k == F_BIG_STATUS && reqs[i] != GET_STATUS) ||
			    (k == F_CONFIG_EMPTY && reqs[i] != GET_CONFIG) ||
			    (k == F_WRONG_INDEX && reqs[i] != GET_VRING_BASE) ||
			    (k == F_NACK && reqs[i] != SET_MEM_TABLE))
				continue;
			one_case(path, reqs[i], (enum fault)k);
		}
	never_accepts(path);
	unlink(path);
	rmdir(dir);
	return fe_done();
}
