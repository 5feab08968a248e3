// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tdev.h"

#define TDEV_IOVA 0x7e000000000ULL   /* anything but the host address */

struct uvdpa_bus *tbus_new(void)
{
	struct uvdpa_bus *bus = uvdpa_bus_new();

	REQUIRE(bus, "uvdpa_bus_new");
	REQUIRE(uvdpa_bus_register_builtin(bus) == 0, "register builtin");
	return bus;
}

void tdev_open(struct tdev *t, struct uvdpa_bus *bus, const char *mgmtdev,
	       const char *name, const struct uvdpa_dev_set_config *cfg)
{
	struct uvdpa_map_region r;
	struct uvdpa_mgmtdev *m;
	const char *msg = NULL;
	int ret, i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < TDEV_MAX_VQ; i++)
		t->vq[i].call_fd = -1;
	t->own_bus = !bus;
	t->bus = bus ? bus : tbus_new();
	m = uvdpa_bus_find_mgmtdev(t->bus, NULL, mgmtdev);
	REQUIRE(m, "mgmtdev %s", mgmtdev);
	ret = uvdpa_bus_dev_add(t->bus, m, name, cfg, &t->d, &msg);
	REQUIRE(ret == 0, "dev_add %s: %d %s", name, ret, msg ? msg : "");
	t->ops = t->d->ops;

	t->size = TDEV_MEM;
	t->mem = mmap(NULL, t->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	REQUIRE(t->mem != MAP_FAILED, "mmap");
	t->iova = TDEV_IOVA;
	t->map = uvdpa_memmap_new();
	REQUIRE(t->map, "memmap_new");
	r = (struct uvdpa_map_region){ .iova = t->iova, .size = t->size, .host = t->mem,
				       .perm = UVDPA_MAP_RW };
	REQUIRE(uvdpa_memmap_add(t->map, &r) == 0, "memmap_add");
	REQUIRE(t->ops->set_map(t->d, t->map) == 0, "set_map");
}

void tdev_close(struct tdev *t)
{
	int i;

	if (t->d) {
		uvdpa_device_reset(t->d);
		REQUIRE(uvdpa_bus_dev_del(t->bus, t->d->name) == 0, "dev_del");
	}
	for (i = 0; i < TDEV_MAX_VQ; i++) {
		if (t->vq[i].set_up)
			uvdpa_vq_drv_fini(&t->vq[i].drv);
		if (t->vq[i].call_fd >= 0)
			close(t->vq[i].call_fd);
	}
	uvdpa_memmap_free(t->map);
	munmap(t->mem, t->size);
	if (t->own_bus)
		uvdpa_bus_free(t->bus);
	memset(t, 0, sizeof(*t));
}

void *talloc(struct tdev *t, size_t size, size_t align)
{
	size_t off = (t->used + align - 1) & ~(align - 1);

	REQUIRE(off + size <= t->size, "guest memory exhausted");
	t->used = off + size;
	return t->mem + off;
}

uint64_t tiova(const struct tdev *t, const void *host)
{
	return t->iova + (uint64_t)((const uint8_t *)host - t->mem);
}

void tmem_reset(struct tdev *t)
{
	t->used = 0;
	t->mark = 0;
}

void tmem_rewind(struct tdev *t)
{
	t->used = t->mark;
}

uint8_t tdev_status(struct tdev *t)
{
	return t->ops->get_status(t->d);
}

uint64_t tdev_negotiate(struct tdev *t, uint64_t want)
{
	uint64_t f;
	int i;

	for (i = 0; i < TDEV_MAX_VQ; i++) {
		if (t->vq[i].set_up)
			uvdpa_vq_drv_fini(&t->vq[i].drv);
		t->vq[i].set_up = false;
	}
	tmem_reset(t);
	REQUIRE(uvdpa_device_reset(t->d) == 0, "reset");
	REQUIRE(tdev_status(t) == 0, "status 0 after reset");
	t->ops->set_status(t->d, UVDPA_STATUS_ACKNOWLEDGE);
	t->ops->set_status(t->d, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER);
	f = t->ops->get_device_features(t->d) & want;
	REQUIRE(uvdpa_device_set_features(t->d, f) == 0, "set features %#llx",
		(unsigned long long)f);
	t->ops->set_status(t->d, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
			   UVDPA_STATUS_FEATURES_OK);
	REQUIRE(tdev_status(t) & UVDPA_STATUS_FEATURES_OK, "FEATURES_OK");
	REQUIRE(t->ops->get_driver_features(t->d) == f, "features read back");
	t->features = f;
	t->packed = f & F_PACKED;
	return f;
}

void tdev_setup_vq(struct tdev *t, uint16_t idx, uint16_t num)
{
	struct tvq *q = &t->vq[idx];
	bool ev = t->features & F_EVENT_IDX;
	struct uvdpa_callback cb;
	void *desc, *drv, *dev;

	REQUIRE(idx < TDEV_MAX_VQ, "vq index");
	desc = talloc(t, uvdpa_vq_desc_size(num, t->packed), 4096);
	drv = talloc(t, uvdpa_vq_driver_size(num, t->packed, ev), 4096);
	dev = talloc(t, uvdpa_vq_device_size(num, t->packed, ev), 4096);
	REQUIRE(uvdpa_vq_drv_init(&q->drv, num, t->packed, ev, desc, drv, dev) == 0, "drv_init");
	q->drv.indirect = t->features & F_INDIRECT;
	q->set_up = true;
	q->num = num;
	q->desc_iova = tiova(t, desc);
	q->driver_iova = tiova(t, drv);
	q->device_iova = tiova(t, dev);
	if (q->call_fd < 0)
		q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	REQUIRE(q->call_fd >= 0, "eventfd");
	cb = (struct uvdpa_callback){ .fn = NULL, .opaque = NULL, .trigger_fd = q->call_fd };
	REQUIRE(t->ops->set_vq_address(t->d, idx, q->desc_iova, q->driver_iova,
				       q->device_iova) == 0, "set_vq_address");
	t->ops->set_vq_num(t->d, idx, num);
	t->ops->set_vq_cb(t->d, idx, &cb);
	t->ops->set_vq_ready(t->d, idx, true);
	REQUIRE(t->ops->get_vq_ready(t->d, idx), "vq %u ready", idx);
}

void tdev_driver_ok(struct tdev *t)
{
	t->ops->set_status(t->d, UVDPA_STATUS_ACKNOWLEDGE | UVDPA_STATUS_DRIVER |
			   UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK);
	REQUIRE(tdev_status(t) & UVDPA_STATUS_DRIVER_OK, "DRIVER_OK");
	t->mark = t->used;
}

uint64_t tdev_start(struct tdev *t, uint64_t want, unsigned nvqs, uint16_t num)
{
	uint64_t f = tdev_negotiate(t, want);
	unsigned i;

	for (i = 0; i < nvqs; i++)
		tdev_setup_vq(t, (uint16_t)i, num);
	tdev_driver_ok(t);
	return f;
}

int tvq_add(struct tdev *t, uint16_t idx, const struct uvdpa_vq_buf *bufs, unsigned n,
	    void *token, bool indirect)
{
	struct tvq *q = &t->vq[idx];
	int r;

	if (indirect) {
		void *table = talloc(t, 16 * (size_t)n, 16);

		r = uvdpa_vq_drv_add_indirect(&q->drv, bufs, n, table, tiova(t, table), token);
	} else {
		r = uvdpa_vq_drv_add(&q->drv, bufs, n, token);
	}
	if (r)
		return r;
	if (uvdpa_vq_drv_publish(&q->drv))
		t->ops->kick_vq(t->d, idx);
	return 0;
}

void *tvq_poll(struct tdev *t, uint16_t idx, uint32_t *len)
{
	return uvdpa_vq_drv_get_used(&t->vq[idx].drv, len);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void *tvq_wait(struct tdev *t, uint16_t idx, uint32_t *len, int ms)
{
	struct tvq *q = &t->vq[idx];
	int64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = q->call_fd, .events = POLLIN };
		uint64_t v;
		void *tok = uvdpa_vq_drv_get_used(&q->drv, len);
		int64_t left;

		if (tok)
			return tok;
		left = end - now_ms();
		if (left <= 0)
			return NULL;
		/* Interrupts may be suppressed by event idx: wake up now and then. */
		if (poll(&p, 1, left < 10 ? (int)left : 10) > 0 &&
		    read(q->call_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return NULL;
	}
}

bool tvq_idle(struct tdev *t, uint16_t idx, int ms)
{
	uint32_t len;

	return tvq_wait(t, idx, &len, ms) == NULL;
}

void tsleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int tsaturated_eventfd(void)
{
	uint64_t v = TSATURATED;
	int fd = eventfd(0, EFD_CLOEXEC);

	REQUIRE(fd >= 0 && write(fd, &v, 8) == 8, "saturated eventfd");
	return fd;
}

void tfill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* ------------------------------------------------------------------ */
/* virtio-net                                                          */
/* ------------------------------------------------------------------ */

unsigned tnet_hdr_len(const struct tdev *t)
{
	return (t->features & (F_VERSION_1 | F(15))) ? 12 : 10;
}

/* Splits [buf, buf+len) into at most nseg descriptors. */
static unsigned split_bufs(struct tdev *t, struct uvdpa_vq_buf *b, unsigned max,
			   const uint8_t *buf, size_t len, unsigned nseg, bool write)
{
	size_t per, off = 0;
	unsigned n = 0;

	if (nseg < 1)
		nseg = 1;
	per = (len + nseg - 1) / nseg;
	if (!per)
		per = 1;
	while (off < len && n < max) {
		size_t l = len - off < per ? len - off : per;

		b[n].addr = tiova(t, buf + off);
		b[n].len = (uint32_t)l;
		b[n].write = write;
		n++;
		off += l;
	}
	return n;
}

void tnet_send(struct tdev *t, unsigned p, const void *frame, size_t len, unsigned nseg,
	       bool indirect)
{
	unsigned hl = tnet_hdr_len(t), n;
	struct uvdpa_vq_buf b[65];
	uint8_t *buf;
	int r;

	REQUIRE(nseg <= 64, "nseg");
	buf = talloc(t, hl + len, 64);
	memset(buf, 0, hl);
	memcpy(buf + hl, frame, len);
	/* the header in a descriptor of its own, as Linux does without ANY_LAYOUT use */
	b[0] = (struct uvdpa_vq_buf){ .addr = tiova(t, buf), .len = hl, .write = false };
	n = 1 + split_bufs(t, b + 1, 64, buf + hl, len, nseg, false);
	r = tvq_add(t, (uint16_t)(2 * p + 1), b, n, buf, indirect);
	REQUIRE(r == 0, "tx add: %d", r);
}

/* One TX frame with its header in the same descriptor, as DPDK and QEMU send it. */
void tnet_send_flat(struct tdev *t, unsigned p, const void *frame, size_t len)
{
	unsigned hl = tnet_hdr_len(t);
	struct uvdpa_vq_buf b;
	uint8_t *buf;
	int r;

	buf = talloc(t, hl + len, 64);
	memset(buf, 0, hl);
	memcpy(buf + hl, frame, len);
	b = (struct uvdpa_vq_buf){ .addr = tiova(t, buf), .len = (uint32_t)(hl + len), .write = false };
	r = tvq_add(t, (uint16_t)(2 * p + 1), &b, 1, buf, false);
	REQUIRE(r == 0, "tx add: %d", r);
}

uint8_t *tnet_post_rx(struct tdev *t, unsigned p, size_t size, unsigned nseg, bool indirect)
{
	struct uvdpa_vq_buf b[64];
	uint8_t *buf = talloc(t, size, 64);
	unsigned n;
	int r;

	memset(buf, 0xee, size);
	n = split_bufs(t, b, 64, buf, size, nseg, true);
	r = tvq_add(t, (uint16_t)(2 * p), b, n, buf, indirect);
	REQUIRE(r == 0, "rx add: %d", r);
	return buf;
}

void tnet_reap_tx(struct tdev *t, unsigned p, unsigned n)
{
	uint32_t len;

	while (n--) {
		void *tok = tvq_wait(t, (uint16_t)(2 * p + 1), &len, 5000);

		REQUIRE(tok, "tx completion");
		REQUIRE(len == 0, "tx used len 0 (got %u)", len);
	}
}

int tnet_cvq(struct tdev *t, uint16_t cvq, uint8_t cls, uint8_t cmd, const void *data,
	     size_t len)
{
	uint8_t *buf = talloc(t, 2 + len + 1, 16);
	struct uvdpa_vq_buf b[3];
	uint32_t used;
	void *tok;

	buf[0] = cls;
	buf[1] = cmd;
	if (len)
		memcpy(buf + 2, data, len);
	buf[2 + len] = 0xaa;
	b[0] = (struct uvdpa_vq_buf){ .addr = tiova(t, buf), .len = 2, .write = false };
	b[1] = (struct uvdpa_vq_buf){ .addr = tiova(t, buf + 2), .len = (uint32_t)len,
				      .write = false };
	b[2] = (struct uvdpa_vq_buf){ .addr = tiova(t, buf + 2 + len), .len = 1, .write = true };
	if (len)
		REQUIRE(tvq_add(t, cvq, b, 3, buf, false) == 0, "cvq add");
	else
		REQUIRE(tvq_add(t, cvq, (struct uvdpa_vq_buf[]){ b[0], b[2] }, 2, buf, false) == 0,
			"cvq add");
	tok = tvq_wait(t, cvq, &used, 5000);
	if (!tok)
		return -1;
	REQUIRE(tok == buf, "cvq token");
	REQUIRE(used == 1, "cvq used len 1 (got %u)", used);
	return buf[2 + len];
}

int64_t tstat(struct tdev *t, uint16_t idx, const char *name)
{
	struct uvdpa_vq_stat st[UVDPA_MAX_VQ_STATS];
	int n = t->ops->get_vendor_vq_stats(t->d, idx, st, UVDPA_MAX_VQ_STATS), i;

	for (i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return (int64_t)st[i].value;
	return -1;
}

int tworker_tid(const char *name)
{
	char want[16];

	snprintf(want, sizeof(want), "vdev:%s", name);
	return tthread_tid(want);
}

int tthread_tid(const char *want)
{
	char path[300], comm[32];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int tid = 0;

	REQUIRE(d, "opendir /proc/self/task");
	while (!tid && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (strcmp(comm, want) == 0)
				tid = atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return tid;
}

bool tdev_needs_reset(struct tdev *t, int ms)
{
	for (; ms > 0; ms -= 5) {
		if (tdev_status(t) & UVDPA_STATUS_NEEDS_RESET)
			return true;
		tsleep_ms(5);
	}
	return false;
}

bool tthread_in(int tid, long nr1, long nr2, long arg4)
{
	char path[64], buf[128];
	unsigned long nr, a4;
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f) &&
	    sscanf(buf, "%lu %*s %*s %*s %lx", &nr, &a4) == 2)
		in = ((long)nr == nr1 || (long)nr == nr2) &&
		     (arg4 == -1 || (uint32_t)a4 == (uint32_t)arg4);
	if (f)
		fclose(f);
	return in;
}

bool tthread_wait_in(int tid, long nr1, long nr2, long arg4, int ms)
{
	double end = tnow_ms() + ms;

	if (!tid)
		return false;
	do {
		if (tthread_in(tid, nr1, nr2, arg4))
			return true;
		tsleep_ms(1);
	} while (tnow_ms() < end);
	return false;
}

bool tworker_asleep(const char *name, int ms)
{
	/* epoll_wait(2) or epoll_pwait(2) with no timeout (int -1) */
	return tthread_wait_in(tworker_tid(name), SYS_epoll_wait, SYS_epoll_pwait, 0xffffffff, ms);
}

bool tthread_waits(const char *comm, int ms)
{
	return tthread_wait_in(tthread_tid(comm), SYS_futex, SYS_futex, -1, ms);
}

uint64_t tthread_cpu_ns(int tid)
{
	/* The kernel's encoding of a thread's CPU clock (CPUCLOCK_SCHED,
	 * per thread), usable for any thread of this process. */
	clockid_t c = (clockid_t)(((unsigned)~tid << 3) | 6);
	struct timespec ts;

	REQUIRE(clock_gettime(c, &ts) == 0, "thread %d CPU clock", tid);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	REQUIRE(d, "opendir %s", path);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

unsigned tcount_threads(void)
{
	return count_dir("/proc/self/task");
}

unsigned tcount_fds(void)
{
	return count_dir("/proc/self/fd") - 1;   /* the DIR's own fd */
}

struct watchdog {
	unsigned sec;
	const char *what;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;

	tsleep_ms((int)w->sec * 1000);
	printf("FAIL - still running after %u s: %s\n", w->sec, w->what);
	fflush(stdout);
	_exit(1);
	return NULL;
}

void twatchdog(unsigned sec, const char *what)
{
	static struct watchdog w;   /* lives as long as the test */
	pthread_t th;

	w.sec = sec;
	w.what = what;
	REQUIRE(pthread_create(&th, NULL, watchdog_main, &w) == 0, "watchdog");
	pthread_detach(th);
}

double tnow_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
