// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fe.h"

/* ------------------------------------------------------------------ */
/* harness                                                             */
/* ------------------------------------------------------------------ */

void harness_open(struct harness *h, const char *mgmtdev, const char *name,
		  const struct uvdpa_dev_set_config *cfg)
{
	struct uvdpa_dev_set_config none = { 0 };
	struct uvdpa_mgmtdev *m;
	const char *msg = NULL;
	int err;

	memset(h, 0, sizeof(*h));
	strcpy(h->rundir, "/tmp/uvdpa-vhost-XXXXXX");
	REQUIRE(mkdtemp(h->rundir), "mkdtemp: %s", strerror(errno));
	h->bus = uvdpa_bus_new();
	REQUIRE(h->bus && !uvdpa_bus_register_builtin(h->bus), "bus");
	m = uvdpa_bus_find_mgmtdev(h->bus, NULL, mgmtdev);
	REQUIRE(m, "mgmtdev %s", mgmtdev);
	err = uvdpa_bus_dev_add(h->bus, m, name, cfg ? cfg : &none, &h->dev, &msg);
	REQUIRE(!err, "dev add %s: %s %s", name, strerror(-err), msg ? msg : "");
	h->face = uvdpa_vhost_face_new(h->bus, h->rundir);
	REQUIRE(h->face, "face");
	err = uvdpa_vhost_face_device_added(h->face, h->dev);
	REQUIRE(!err, "device_added: %s", strerror(-err));
	h->sock = uvdpa_vhost_face_socket_path(h->face, h->dev);
	REQUIRE(h->sock, "socket path");
}

void harness_close(struct harness *h)
{
	uvdpa_vhost_face_device_removed(h->face, h->dev);
	uvdpa_vhost_face_free(h->face);
	uvdpa_bus_free(h->bus);
	rmdir(h->rundir);
}

bool wait_device_status(struct uvdpa_device *d, uint8_t want, int timeout_ms)
{
	for (int t = 0; t < timeout_ms; t += 5) {
		if (d->ops->get_status(d) == want)
			return true;
		usleep(5000);
	}
	return d->ops->get_status(d) == want;
}

/* ------------------------------------------------------------------ */
/* connection and memory                                               */
/* ------------------------------------------------------------------ */

void fe_open(struct fe *f, const char *path, size_t mem_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < FE_MAX_RINGS; i++)
		f->ring[i].kick = f->ring[i].call = -1;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(f->sock >= 0, "socket");
	for (i = 0; i < 200; i++) {
		if (!connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		usleep(10000);
	}
	REQUIRE(i < 200, "connect %s: %s", path, strerror(errno));
	f->memfd = -1;
	if (!mem_size)
		return;
	f->memfd = memfd_create("fe-guest", MFD_CLOEXEC);
	REQUIRE(f->memfd >= 0 && !ftruncate(f->memfd, (off_t)mem_size), "memfd");
	f->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	REQUIRE(f->mem != MAP_FAILED, "mmap");
	f->mem_size = mem_size;
}

static int fe_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, i;

	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0, "socket");
	for (i = 0; i < 200; i++) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		usleep(10000);
	}
	REQUIRE(i < 200, "connect %s: %s", path, strerror(errno));
	return fd;
}

void fe_reconnect(struct fe *f, const char *path)
{
	if (f->sock >= 0)
		close(f->sock);
	f->proto = f->features = 0;
	f->sock = fe_connect(path);
}

void fe_close(struct fe *f)
{
	for (int i = 0; i < FE_MAX_RINGS; i++) {
		struct fe_ring *r = &f->ring[i];

		if (r->kick >= 0) {
			close(r->kick);
			close(r->call);
			uvdpa_vq_drv_fini(&r->drv);
		}
		r->kick = r->call = -1;
	}
	if (f->sock >= 0)
		close(f->sock);
	if (f->mem)
		munmap(f->mem, f->mem_size);
	if (f->memfd >= 0)
		close(f->memfd);
	f->sock = f->memfd = -1;
	f->mem = NULL;
}

void fe_add_region(struct fe *f, uint64_t off, uint64_t size, uint64_t gpa)
{
	REQUIRE(f->nreg < FE_MAX_REGIONS && off + size <= f->mem_size, "region");
	f->reg[f->nreg++] = (struct fe_region){ .gpa = gpa, .off = off, .size = size };
}

uint64_t fe_gpa(const struct fe *f, const void *p)
{
	uint64_t off = (uint64_t)((const uint8_t *)p - f->mem);

	for (unsigned i = 0; i < f->nreg; i++)
		if (off >= f->reg[i].off && off < f->reg[i].off + f->reg[i].size)
			return f->reg[i].gpa + (off - f->reg[i].off);
	REQUIRE(0, "pointer %p outside guest memory", p);
	return 0;
}

void *fe_alloc(struct fe *f, unsigned region, size_t size, size_t align)
{
	struct fe_region *r = &f->reg[region];
	uint64_t at = (r->used + align - 1) & ~(uint64_t)(align - 1);

	REQUIRE(region < f->nreg && at + size <= r->size, "guest memory exhausted");
	r->used = at + size;
	return f->mem + r->off + at;
}

/* ------------------------------------------------------------------ */
/* messages                                                            */
/* ------------------------------------------------------------------ */

int fe_send(struct fe *f, uint32_t req, uint32_t flags, const void *payload,
	    uint32_t size, const int *fds, unsigned nfds)
{
	struct vhost_user_hdr hdr = { .request = req, .flags = flags | VHOST_USER_VERSION,
				      .size = size };
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *c;

		REQUIRE(nfds <= 16, "too many fds for the test");
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(f->sock, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(hdr) + size))
		return -errno ? -errno : -EIO;
	return 0;
}

static int recv_all(struct fe *f, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = f->sock, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) == 0)
			return -ETIMEDOUT;
		n = recv(f->sock, (char *)buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}

int fe_recv(struct fe *f, struct vhost_user_msg *m, int timeout_ms)
{
	int err = recv_all(f, &m->hdr, sizeof(m->hdr), timeout_ms);

	if (err)
		return err;
	if (m->hdr.size > sizeof(m->p))
		return -EPROTO;
	return m->hdr.size ? recv_all(f, &m->p, m->hdr.size, timeout_ms) : 0;
}

int fe_recv_fd(struct fe *f, struct vhost_user_msg *m, int *fd, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = f->sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	if (poll(&p, 1, timeout_ms) == 0)
		return -ETIMEDOUT;
	/* the fd rides on the header's first byte; the header is sent whole */
	n = recvmsg(f->sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)sizeof(m->hdr))
		return n < 0 ? -errno : -EPROTO;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (m->hdr.size > sizeof(m->p))
		return -EPROTO;
	return m->hdr.size ? recv_all(f, &m->p, m->hdr.size, timeout_ms) : 0;
}

bool fe_closed_by_peer(struct fe *f, int timeout_ms)
{
	struct vhost_user_msg m;

	return fe_recv(f, &m, timeout_ms) == -ECONNRESET;
}

int fe_get_u64(struct fe *f, uint32_t req, uint64_t *v)
{
	struct vhost_user_msg m;
	int err = fe_send(f, req, 0, NULL, 0, NULL, 0);

	if (!err)
		err = fe_recv(f, &m, 5000);
	if (err)
		return err;
	if (m.hdr.request != req || m.hdr.size != 8 || !(m.hdr.flags & VHOST_USER_REPLY))
		return -EPROTO;
	*v = m.p.u64;
	return 0;
}

int64_t fe_acked(struct fe *f, uint32_t req, const void *payload, uint32_t size,
		 const int *fds, unsigned nfds)
{
	struct vhost_user_msg m;
	int err;

	/* Without REPLY_ACK there is nothing to wait for. */
	if (!(f->proto & F(VHOST_USER_PROTOCOL_F_REPLY_ACK)))
		return fe_send(f, req, 0, payload, size, fds, nfds);
	err = fe_send(f, req, VHOST_USER_NEED_REPLY, payload, size, fds, nfds);
	if (!err)
		err = fe_recv(f, &m, 5000);
	if (err)
		return err;
	if (m.hdr.request != req || m.hdr.size != 8)
		return -EPROTO;
	return (int64_t)(m.p.u64 & 0x7fffffffffffffffull);
}

int fe_negotiate(struct fe *f, uint64_t features, uint64_t proto)
{
	uint64_t offered, offered_proto;
	int err;

	err = fe_send(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	if (!err)
		err = fe_get_u64(f, VHOST_USER_GET_FEATURES, &offered);
	if (!err)
		err = fe_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &offered_proto);
	if (err)
		return err;
	if ((features & ~offered) || (proto & ~offered_proto))
		return -ENOTSUP;
	err = fe_send(f, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &proto, 8, NULL, 0);
	if (err)
		return err;
	f->proto = proto;
	f->features = features | F(FE_PROTO_FEATURES);
	if (proto & F(VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
		int64_t a = fe_acked(f, VHOST_USER_SET_FEATURES, &f->features, 8, NULL, 0);

		return a ? (a < 0 ? (int)a : -EINVAL) : 0;
	}
	return fe_send(f, VHOST_USER_SET_FEATURES, 0, &f->features, 8, NULL, 0);
}

int64_t fe_send_mem_table(struct fe *f)
{
	struct vhost_user_memory mem = { .nregions = f->nreg };
	int fds[VHOST_USER_MEM_TABLE_MAX];

	REQUIRE(f->nreg <= VHOST_USER_MEM_TABLE_MAX, "table too big");
	for (unsigned i = 0; i < f->nreg; i++) {
		mem.regions[i] = (struct vhost_user_region){
			.guest_phys_addr = f->reg[i].gpa,
			.memory_size = f->reg[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)(f->mem + f->reg[i].off),
			.mmap_offset = f->reg[i].off,
		};
		fds[i] = f->memfd;
	}
	return fe_acked(f, VHOST_USER_SET_MEM_TABLE, &mem,
			8 + f->nreg * sizeof(struct vhost_user_region), fds, f->nreg);
}

/* ------------------------------------------------------------------ */
/* rings                                                               */
/* ------------------------------------------------------------------ */

int64_t fe_ring_start(struct fe *f, uint16_t idx, uint16_t num, bool packed, bool event_idx,
		      uint32_t base)
{
	struct fe_ring *r = &f->ring[idx];

	REQUIRE(idx < FE_MAX_RINGS && r->kick < 0, "ring %u", idx);
	r->idx = idx;
	r->num = num;
	r->desc = fe_alloc(f, 0, uvdpa_vq_desc_size(num, packed), 4096);
	r->driver = fe_alloc(f, 0, uvdpa_vq_driver_size(num, packed, event_idx), 64);
	r->device = fe_alloc(f, 0, uvdpa_vq_device_size(num, packed, event_idx), 64);
	REQUIRE(!uvdpa_vq_drv_init(&r->drv, num, packed, event_idx, r->desc, r->driver, r->device),
		"drv init");
	r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	REQUIRE(r->kick >= 0 && r->call >= 0, "eventfd");
	return fe_ring_resume(f, idx, base);
}

int64_t fe_ring_resume(struct fe *f, uint16_t idx, uint32_t base)
{
	struct fe_ring *r = &f->ring[idx];
	struct vhost_vring_state st = { .index = idx, .num = r->num };
	struct vhost_vring_addr a = {
		.index = idx,
		.desc_user_addr = (uint64_t)(uintptr_t)r->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)r->driver,
		.used_user_addr = (uint64_t)(uintptr_t)r->device,
	};
	struct vhost_vring_state en = { .index = idx, .num = 1 };
	uint64_t u = idx;
	int64_t e;

	if ((e = fe_acked(f, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0)))
		return e;
	st.num = base;
	if ((e = fe_acked(f, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0)))
		return e;
	if ((e = fe_acked(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0)))
		return e;
	if ((e = fe_acked(f, VHOST_USER_SET_VRING_CALL, &u, 8, &r->call, 1)))
		return e;
	if ((e = fe_acked(f, VHOST_USER_SET_VRING_KICK, &u, 8, &r->kick, 1)))
		return e;
	if (!(f->features & F(FE_PROTO_FEATURES)))
		return 0;   /* legacy front end: rings are enabled from the start */
	return fe_acked(f, VHOST_USER_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0);
}

int64_t fe_ring_restart(struct fe *f, uint16_t idx, uint32_t base)
{
	struct fe_ring *r = &f->ring[idx];
	struct vhost_vring_state st = { .index = idx, .num = base };
	uint64_t u = idx;
	int64_t e;

	if ((e = fe_acked(f, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0)))
		return e;
	return fe_acked(f, VHOST_USER_SET_VRING_KICK, &u, 8, &r->kick, 1);
}

void fe_kick(struct fe_ring *r)
{
	uint64_t one = 1;

	REQUIRE(write(r->kick, &one, 8) == 8, "kick");
}

bool fe_wait_call(struct fe_ring *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->call, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return read(r->call, &v, 8) == 8;
}

void fe_drain_call(struct fe_ring *r)
{
	uint64_t v;

	while (read(r->call, &v, 8) == 8)
		;
}

int fe_get_vring_base(struct fe *f, uint16_t idx, uint32_t *base)
{
	struct vhost_vring_state st = { .index = idx };
	struct vhost_user_msg m;
	int err = fe_send(f, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);

	if (!err)
		err = fe_recv(f, &m, 5000);
	if (err)
		return err;
	if (m.hdr.request != VHOST_USER_GET_VRING_BASE || m.hdr.size != 8 ||
	    m.p.state.index != idx)
		return -EPROTO;
	*base = m.p.state.num;
	return 0;
}

/* ------------------------------------------------------------------ */
/* net traffic                                                         */
/* ------------------------------------------------------------------ */

#define NET_HDR 12      /* virtio_net_hdr_v1 (VERSION_1) */
#define RX_BUF  2048

static unsigned frame_len(unsigned i)
{
	return 60 + (i * 97) % 1400;
}

static void fill_frame(uint8_t *p, unsigned len, unsigned seed)
{
	memset(p, 0, NET_HDR);
	memset(p + NET_HDR, 0xff, 6);                     /* broadcast: passes the filter */
	for (unsigned k = 6; k < len; k++)
		p[NET_HDR + k] = (uint8_t)(seed * 31 + k * 7);
}

unsigned fe_net_loopback(struct fe *f, uint16_t rx_idx, uint16_t tx_idx, unsigned n,
			 unsigned seed, unsigned region)
{
	struct fe_ring *rx = &f->ring[rx_idx], *tx = &f->ring[tx_idx];
	uint8_t **rxb = calloc(n, sizeof(*rxb)), **txb = calloc(n, sizeof(*txb));
	unsigned got = 0, tx_done = 0, i;

	REQUIRE(rxb && txb, "oom");
	for (i = 0; i < n; i++) {
		struct uvdpa_vq_buf b;

		rxb[i] = fe_alloc(f, region, RX_BUF, 64);
		b = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, rxb[i]), .len = RX_BUF, .write = true };
		REQUIRE(!uvdpa_vq_drv_add(&rx->drv, &b, 1, rxb[i]), "rx add %u", i);
	}
	uvdpa_vq_drv_publish(&rx->drv);
	fe_kick(rx);
	for (i = 0; i < n; i++) {
		unsigned len = frame_len(seed + i);
		struct uvdpa_vq_buf b;

		txb[i] = fe_alloc(f, region, NET_HDR + len, 64);
		fill_frame(txb[i], len, seed + i);
		b = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, txb[i]), .len = NET_HDR + len };
		REQUIRE(!uvdpa_vq_drv_add(&tx->drv, &b, 1, txb[i]), "tx add %u", i);
	}
	uvdpa_vq_drv_publish(&tx->drv);
	fe_kick(tx);
	for (int t = 0; t < 200 && (got < n || tx_done < n); t++) {
		uint32_t len;
		uint8_t *p;

		fe_wait_call(rx, 50);
		while ((p = uvdpa_vq_drv_get_used(&rx->drv, &len))) {
			unsigned want = frame_len(seed + got);
			uint8_t ref[NET_HDR + 1500];

			REQUIRE(p == rxb[got], "rx buffer %u out of order", got);
			REQUIRE(len == NET_HDR + want, "frame %u: %u bytes, want %u", got, len,
				NET_HDR + want);
			fill_frame(ref, want, seed + got);
			REQUIRE(!memcmp(p + NET_HDR, ref + NET_HDR, want),
				"frame %u differs", got);
			got++;
		}
		while (uvdpa_vq_drv_get_used(&tx->drv, &len))
			tx_done++;
	}
	free(rxb);
	free(txb);
	return got == n && tx_done == n ? got : 0;
}
