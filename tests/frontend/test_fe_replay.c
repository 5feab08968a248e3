// SPDX-License-Identifier: MIT
/*
 * What the front end tells a back end that replaces a dead one, seen by a
 * socket-level fake blk back end with INFLIGHT_SHMFD.
 *
 * The first connection gets GET_INFLIGHT_FD then SET_INFLIGHT_FD before any
 * ring message. Two requests go in flight; the fake completes the first in
 * the shared rings (as a back end does just before it dies) and hangs up.
 * The application's wait reaps that completion, then its next wait finds the
 * hang-up and reconnects: the second connection must replay features, the
 * memory table, SET_INFLIGHT_FD with the same file (same inode, same size),
 * and the ring with SET_VRING_BASE = 1, the used index in the front end's
 * memory (GET_VRING_BASE cannot be asked of a dead back end). The wait ends
 * at its timeout, not with an error. Then a back end that does not come
 * back: the wait ends with -ECONNRESET once reconnect_ms has passed. Last,
 * GET_INFLIGHT_FD answered badly: no fd or a wrong echo is a protocol error
 * (-EPROTO from uvdpa_blk_open); an empty area (mmap_size 0, the spec's
 * "none") leaves the device usable without reconnects.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "fe_test.h"

enum {
	GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8, SET_VRING_ADDR = 9, SET_VRING_BASE = 10, GET_VRING_BASE = 11,
	SET_VRING_KICK = 12, GET_PROTOCOL_FEATURES = 15, GET_CONFIG = 24,
	GET_INFLIGHT_FD = 31, SET_INFLIGHT_FD = 32,
};

#define NEED_REPLY 0x8u
#define INFLIGHT_BYTES 4096

struct hdr {
	uint32_t req, flags, size;
} __attribute__((packed));

struct inflight_msg {
	uint64_t mmap_size, mmap_offset;
	uint16_t num_queues, queue_size;
};

/* One connection as the fake saw it. */
struct conn_rec {
	uint32_t reqs[128];
	unsigned n;
	uint32_t base;                  /* last SET_VRING_BASE num */
	ino_t inflight_ino;             /* file of SET_INFLIGHT_FD, 0 if none */
	uint64_t inflight_size;
};

/* How GET_INFLIGHT_FD is answered. */
enum inflight_answer { IA_GOOD, IA_NO_FD, IA_WRONG_ECHO, IA_EMPTY };

struct fake {
	enum inflight_answer ia;
	int lfd;
	pthread_t th;
	int hangup;                     /* set by the test: complete one, hang up */
	bool one_connection;            /* the back end does not come back */
	bool packed;                    /* offers RING_PACKED; dies leaving its area's head */
	int packed_lie;                 /* 1: old_used_idx past the ring; 2: the file cut short */
	ino_t given_ino;                /* the area GET_INFLIGHT_FD handed out */
	int inflight_fd;
	int mem_fd;
	uint64_t gpa, mem_size, mem_uva;
	uint64_t desc, avail, used;     /* ring addresses (front-end VAs) */
	uint32_t num;
	struct conn_rec rec[2];
};

/* Reads exactly len bytes; the first fd that comes along goes to *fd. */
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
			size_t k, nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[8];

			memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
			for (k = 0; k < nfd; k++) {
				if (*rfd < 0)
					*rfd = fds[k];
				else
					close(fds[k]);
			}
		}
		got += (size_t)n;
	}
	return true;
}

static void reply(int fd, uint32_t req, const void *p, uint32_t size, int pass_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct hdr h = { req, 0x1 | 0x4, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	sendmsg(fd, &mh, MSG_NOSIGNAL);
}

static void *at(const struct fake *f, uint8_t *map, uint64_t uva)
{
	return map + (uva - f->mem_uva);
}

/* What a back end does right before it dies: completes the first request
 * (status OK, used entry, used->idx 1) in the front end's memory. */
static void complete_first(struct fake *f)
{
	uint8_t *map = mmap(NULL, f->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->mem_fd, 0);
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t head, i;

	if (map == MAP_FAILED)
		return;
	desc = at(f, map, f->desc);
	avail = at(f, map, f->avail);
	used = at(f, map, f->used);
	head = avail->ring[0];
	for (i = head; desc[i].flags & VRING_DESC_F_NEXT; i = desc[i].next)
		;
	map[desc[i].addr - f->gpa] = 0;                 /* VIRTIO_BLK_S_OK */
	used->ring[0].id = head;
	used->ring[0].len = 1;
	__atomic_store_n(&used->idx, 1, __ATOMIC_RELEASE);
	munmap(map, f->mem_size);
}

/*
 * What a packed back end leaves in queue 0's region of its inflight area
 * (the spec's layout): its last published batch ended at used index 3,
 * wrap counter 0.
 */
#define PACKED_OLD_USED 3

static void packed_last_batch(struct fake *f)
{
	uint8_t *map = mmap(NULL, INFLIGHT_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
			    f->inflight_fd, 0);
	uint16_t version = 1, num = (uint16_t)f->num, used = PACKED_OLD_USED;

	if (map == MAP_FAILED)
		return;
	memcpy(map + 8, &version, 2);           /* version */
	memcpy(map + 10, &num, 2);              /* desc_num */
	memcpy(map + 16, &used, 2);             /* used_idx */
	memcpy(map + 18, &used, 2);             /* old_used_idx */
	map[20] = 0;                            /* used_wrap_counter */
	map[21] = 0;                            /* old_used_wrap_counter */
	if (f->packed_lie == 1) {
		used = num;
		memcpy(map + 18, &used, 2);
	}
	munmap(map, INFLIGHT_BYTES);
	if (f->packed_lie == 2 && ftruncate(f->inflight_fd, 0))
		return;
}

static void note(struct fake *f, struct conn_rec *r, const struct hdr *h, const uint8_t *p,
		 int rfd)
{
	struct stat st;

	if (r->n < sizeof(r->reqs) / sizeof(r->reqs[0]))
		r->reqs[r->n++] = h->req;
	switch (h->req) {
	case SET_MEM_TABLE:
		if (f->mem_fd < 0 && rfd >= 0) {
			f->mem_fd = dup(rfd);
			memcpy(&f->gpa, p + 8, 8);
			memcpy(&f->mem_size, p + 16, 8);
			memcpy(&f->mem_uva, p + 24, 8);
		}
		break;
	case SET_VRING_NUM:
		memcpy(&f->num, p + 4, 4);
		break;
	case SET_VRING_BASE:
		memcpy(&r->base, p + 4, 4);
		break;
	case SET_VRING_ADDR:
		memcpy(&f->desc, p + 8, 8);
		memcpy(&f->used, p + 16, 8);
		memcpy(&f->avail, p + 24, 8);
		break;
	case SET_INFLIGHT_FD:
		if (rfd >= 0 && fstat(rfd, &st) == 0)
			r->inflight_ino = st.st_ino;
		memcpy(&r->inflight_size, p, 8);
		break;
	}
}

/* Answers as a plain blk back end with REPLY_ACK, CONFIG and INFLIGHT_SHMFD. */
static void answer(struct fake *f, int fd, const struct hdr *h, const uint8_t *p)
{
	uint64_t u = 0;
	uint8_t cfg[12 + 256] = { 0 };
	struct inflight_msg in;
	struct stat st;

	switch (h->req) {
	case GET_FEATURES:
		u = (1ull << 32) | (1ull << 30);        /* VERSION_1 PROTOCOL_FEATURES */
		if (f->packed)
			u |= 1ull << 34;                /* RING_PACKED */
		break;
	case GET_PROTOCOL_FEATURES:
		u = (1ull << 3) | (1ull << 9) | (1ull << 12);
		break;
	case GET_CONFIG: {
		uint32_t size;
		uint64_t cap = 2048;

		memcpy(&size, p + 4, 4);
		size = size > 256 ? 256 : size;
		memcpy(cfg, p, 12);
		if (size >= 8)
			memcpy(cfg + 12, &cap, 8);
		reply(fd, h->req, cfg, 12 + size, -1);
		return;
	}
	case GET_VRING_BASE:
		memcpy(cfg, p, 4);
		reply(fd, h->req, cfg, 8, -1);
		return;
	case GET_INFLIGHT_FD:
		memcpy(&in, p, sizeof(in));
		in.mmap_size = f->ia == IA_EMPTY ? 0 : INFLIGHT_BYTES;
		in.mmap_offset = 0;
		if (f->ia == IA_WRONG_ECHO)
			in.queue_size++;
		if (f->inflight_fd < 0) {
			f->inflight_fd = memfd_create("fake-inflight", MFD_CLOEXEC);
			if (ftruncate(f->inflight_fd, INFLIGHT_BYTES) == 0 &&
			    fstat(f->inflight_fd, &st) == 0)
				f->given_ino = st.st_ino;
		}
		reply(fd, h->req, &in, sizeof(in),
		      f->ia == IA_NO_FD || f->ia == IA_EMPTY ? -1 : f->inflight_fd);
		return;
	default:
		if (!(h->flags & NEED_REPLY))
			return;
	}
	reply(fd, h->req, &u, 8, -1);
}

/* Serves one connection until the front end closes it or the test asks
 * for a hang-up; false when it ended by a hang-up. */
static bool serve(struct fake *f, int fd, struct conn_rec *r)
{
	static uint8_t p[4096];
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	struct hdr h;

	for (;;) {
		int rfd = -1;

		if (poll(&pf, 1, 10) == 0) {
			if (__atomic_exchange_n(&f->hangup, 0, __ATOMIC_ACQ_REL)) {
				if (f->packed)
					packed_last_batch(f);
				else
					complete_first(f);
				return false;
			}
			continue;
		}
		if (!read_all(fd, &h, sizeof(h), &rfd) || h.size > sizeof(p) ||
		    (h.size && !read_all(fd, p, h.size, &rfd))) {
			if (rfd >= 0)
				close(rfd);
			return true;
		}
		note(f, r, &h, p, rfd);
		answer(f, fd, &h, p);
		if (rfd >= 0)
			close(rfd);
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	unsigned c;

	for (c = 0; c < 2; c++) {
		int fd = accept(f->lfd, NULL, NULL);
		bool closed_by_peer;

		if (fd < 0)
			break;
		closed_by_peer = serve(f, fd, &f->rec[c]);
		close(fd);
		if (closed_by_peer || f->one_connection)
			break;
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *path, bool one_connection,
		       enum inflight_answer ia)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->ia = ia;
	f->inflight_fd = -1;
	f->mem_fd = -1;
	f->one_connection = one_connection;
	unlink(path);
	strcpy(sa.sun_path, path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(f->lfd >= 0 && bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		listen(f->lfd, 1) == 0, "fake back end listens at %s", path);
	REQUIRE(pthread_create(&f->th, NULL, fake_main, f) == 0, "fake thread");
}

/* After the fake's last connection: nobody listens at path any more. */
static void fake_stop(struct fake *f, const char *path)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(path);
	if (f->inflight_fd >= 0)
		close(f->inflight_fd);
	if (f->mem_fd >= 0)
		close(f->mem_fd);
}

/* Position of req in a connection's record, or -1. */
static int pos(const struct conn_rec *r, uint32_t req)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->reqs[i] == req)
			return (int)i;
	return -1;
}

static bool before(const struct conn_rec *r, uint32_t a, uint32_t b)
{
	return pos(r, a) >= 0 && pos(r, b) >= 0 && pos(r, a) < pos(r, b);
}

static unsigned completed;

static void on_done(void *opaque, int res)
{
	completed++;
	if (res)
		CHECK(0, "request %s: %d", (const char *)opaque, res);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void open_two_in_flight(const char *path, int reconnect_ms, struct uvdpa_virtio **v,
			       struct uvdpa_blk **b, bool packed)
{
	static uint8_t data[4096];
	struct uvdpa_vhost_user_opts o = { .reconnect_ms = reconnect_ms, .timeout_ms = 2000 };
	struct uvdpa_blk_opts bo = { .queue_size = 8, .queue_depth = 2,
				     .flags = packed ? UVDPA_BLK_PACKED : 0 };
	struct uvdpa_blk_req req = { .op = UVDPA_BLK_OP_WRITE, .buf = data, .len = 4096 };

	REQUIRE(fe_open(path, &o, v) == 0, "open the fake with reconnect_ms %d", reconnect_ms);
	REQUIRE(uvdpa_blk_open(*v, &bo, b) == 0, "blk open");
	REQUIRE(uvdpa_blk_submit(*b, 0, &req, on_done, "first") == 0, "submit the first");
	req.sector = 8;
	REQUIRE(uvdpa_blk_submit(*b, 0, &req, on_done, "second") == 0, "submit the second");
}

static void replay(const char *path)
{
	const struct conn_rec *r1, *r2;
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fake f;
	int r;

	fake_start(&f, path, false, IA_GOOD);
	open_two_in_flight(path, 5000, &v, &b, false);
	r1 = &f.rec[0];
	r2 = &f.rec[1];
	CHECK(before(r1, GET_INFLIGHT_FD, SET_INFLIGHT_FD) &&
	      before(r1, SET_INFLIGHT_FD, SET_VRING_NUM),
	      "first connection: GET_INFLIGHT_FD, SET_INFLIGHT_FD, then the ring");
	CHECK(r1->inflight_ino == f.given_ino && r1->inflight_size == INFLIGHT_BYTES,
	      "  ... handing back the area it was given");

	__atomic_store_n(&f.hangup, 1, __ATOMIC_RELEASE);
	r = uvdpa_blk_wait(b, 0, 1, 3000);
	CHECK(r == 1 && completed == 1, "the completion the dead back end left is reaped (%d)", r);
	r = uvdpa_blk_wait(b, 0, 1, 500);
	CHECK(r == 0, "the next wait finds the hang-up, reconnects, and times out: %d", r);
	CHECK(pos(r2, GET_FEATURES) == 0 && before(r2, SET_OWNER, SET_FEATURES) &&
	      before(r2, SET_FEATURES, SET_MEM_TABLE) && before(r2, SET_MEM_TABLE, SET_INFLIGHT_FD) &&
	      before(r2, SET_INFLIGHT_FD, SET_VRING_NUM) && before(r2, SET_VRING_NUM, SET_VRING_BASE) &&
	      before(r2, SET_VRING_BASE, SET_VRING_ADDR) && before(r2, SET_VRING_ADDR, SET_VRING_KICK),
	      "second connection replays: features, mem table, inflight fd, ring (%u messages)",
	      r2->n);
	CHECK(pos(r2, GET_INFLIGHT_FD) < 0 && r2->inflight_ino == f.given_ino &&
	      r2->inflight_size == INFLIGHT_BYTES,
	      "  ... with the same inflight file, not a new one");
	CHECK(r2->base == 1, "  ... and the ring resumed at the used index in our memory: %u",
	      r2->base);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	fake_stop(&f, path);
}

/*
 * A packed ring: nothing in the ring says where the back end got to, so
 * the second connection resumes it where the inflight area says the dead
 * back end's last batch ended (old_used_idx, old_used_wrap_counter), both
 * halves of SET_VRING_BASE.
 */
static void replay_packed(const char *path)
{
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fake f;
	int r;

	fake_start(&f, path, false, IA_GOOD);
	f.packed = true;
	open_two_in_flight(path, 5000, &v, &b, true);
	CHECK(f.rec[0].base == 0x80008000u, "packed: a fresh ring starts at 0x80008000 (0x%x)",
	      f.rec[0].base);
	CHECK(before(&f.rec[0], SET_INFLIGHT_FD, SET_VRING_NUM),
	      "packed: the inflight area before the ring");
	__atomic_store_n(&f.hangup, 1, __ATOMIC_RELEASE);
	r = uvdpa_blk_wait(b, 0, 1, 1000);
	CHECK(r == 0, "packed: the wait finds the hang-up, reconnects, and times out: %d", r);
	CHECK(f.rec[1].inflight_ino == f.given_ino && before(&f.rec[1], SET_INFLIGHT_FD,
							      SET_VRING_BASE),
	      "packed: the same area handed back before the ring");
	CHECK(f.rec[1].base == (PACKED_OLD_USED | PACKED_OLD_USED << 16),
	      "packed: resumed at the area's old_used_idx %u, wrap 0: 0x%x", PACKED_OLD_USED,
	      f.rec[1].base);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	fake_stop(&f, path);
}

/* An area that lies: the front end refuses to resume from it (the
 * reconnect fails, the wait ends with -ECONNRESET) and does not crash on a
 * file shorter than the back end said. */
static void replay_packed_lie(const char *path, int lie, const char *what)
{
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fake f;
	int r;

	fake_start(&f, path, false, IA_GOOD);
	f.packed = true;
	f.packed_lie = lie;
	open_two_in_flight(path, 300, &v, &b, true);
	__atomic_store_n(&f.hangup, 1, __ATOMIC_RELEASE);
	r = uvdpa_blk_wait(b, 0, 1, 5000);
	CHECK(r == -ECONNRESET, "packed, %s: the wait ends with -ECONNRESET (%d)", what, r);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	fake_stop(&f, path);
}

struct later {
	struct fake *f;
	const char *path;
};

/* While the application sleeps in its wait: complete a request, hang up,
 * and stop listening for good. */
static void *hang_up_later(void *arg)
{
	struct later *l = arg;
	struct timespec ts = { .tv_nsec = 200 * 1000000L };

	nanosleep(&ts, NULL);
	__atomic_store_n(&l->f->hangup, 1, __ATOMIC_RELEASE);
	pthread_join(l->f->th, NULL);
	close(l->f->lfd);
	l->f->lfd = -1;
	unlink(l->path);
	return NULL;
}

static void not_back(const char *path)
{
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fake f;
	struct later l = { &f, path };
	pthread_t th;
	int64_t t0;
	int r;

	completed = 0;
	fake_start(&f, path, true, IA_GOOD);
	open_two_in_flight(path, 300, &v, &b, false);
	REQUIRE(pthread_create(&th, NULL, hang_up_later, &l) == 0, "hang-up thread");
	/* Asleep when the back end leaves a completion and hangs up: the wait
	 * wakes on the hang-up, retries in vain, and still hands the completion
	 * over before any error. */
	t0 = now_ms();
	r = uvdpa_blk_wait(b, 0, 1, 3000);
	pthread_join(th, NULL);
	CHECK(r == 1 && completed == 1, "the completion the dead back end left is reaped (%d)", r);
	r = uvdpa_blk_wait(b, 0, 1, 20000);
	CHECK(r == -ECONNRESET, "a back end not back within reconnect_ms: %d (%s)", r, strerror(-r));
	CHECK(now_ms() - t0 >= 250 && now_ms() - t0 < 3000,
	      "  ... after retrying for %lld ms (reconnect_ms 300)", (long long)(now_ms() - t0));
	t0 = now_ms();
	r = uvdpa_blk_wait(b, 0, 1, 20000);
	CHECK(r == -ECONNRESET && now_ms() - t0 < 100, "  ... and at once from then on: %d", r);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	if (f.inflight_fd >= 0)
		close(f.inflight_fd);
	if (f.mem_fd >= 0)
		close(f.mem_fd);
}

static int count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void bad_answer(const char *path, enum inflight_answer ia, int want, const char *what)
{
	struct uvdpa_vhost_user_opts o = { .reconnect_ms = 300, .timeout_ms = 2000 };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	struct fake f;
	int fds, r;

	fds = count_fds();
	fake_start(&f, path, true, ia);
	REQUIRE(fe_open(path, &o, &v) == 0, "[%s] open", what);
	r = uvdpa_blk_open(v, NULL, &b);
	CHECK(r == want, "[%s] blk open: %d (%s)", what, r, strerror(-r));
	if (!r) {
		CHECK(uvdpa_blk_capacity(b) == 2048, "[%s] the device stays usable (capacity %llu)",
		      what, (unsigned long long)uvdpa_blk_capacity(b));
		uvdpa_blk_close(b);
	}
	uvdpa_virtio_close(v);
	fake_stop(&f, path);
	CHECK(count_fds() == fds, "[%s] no fd left behind", what);
}

int main(void)
{
	char dir[] = "/tmp/uvdpa-fe-replay.XXXXXX", path[64];

	REQUIRE(mkdtemp(dir), "temporary directory");
	snprintf(path, sizeof(path), "%s/fake.sock", dir);
	replay(path);
	replay_packed(path);
	replay_packed_lie(path, 1, "old_used_idx past the ring");
	replay_packed_lie(path, 2, "the area's file cut to 0 bytes");
	not_back(path);
	bad_answer(path, IA_NO_FD, -EPROTO, "GET_INFLIGHT_FD without an fd");
	bad_answer(path, IA_WRONG_ECHO, -EPROTO, "GET_INFLIGHT_FD echoing another queue size");
	bad_answer(path, IA_EMPTY, 0, "GET_INFLIGHT_FD with no area");
	rmdir(dir);
	return fe_done();
}
