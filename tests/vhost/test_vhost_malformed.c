// SPDX-License-Identifier: MIT
/*
 * Hostile and confused front ends: wrong sizes, ring indexes, fd counts,
 * unknown requests, messages out of order, memory that is not shareable.
 * With REPLY_ACK each gets a non-zero ack and the session goes on; without
 * it, or when the stream itself is broken, the connection is dropped and
 * the device reset. Either way the back end keeps serving: the test ends
 * with a working loopback.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define GPA_BASE 0x300000000ull
#define MEM      (4u << 20)
#define ACK      F(VHOST_USER_PROTOCOL_F_REPLY_ACK)

static void fresh(struct fe *f, struct harness *h, uint64_t proto)
{
	fe_open(f, h->sock, MEM);
	fe_add_region(f, 0, MEM, GPA_BASE);
	REQUIRE(!fe_negotiate(f, F(VIRTIO_F_VERSION_1), proto), "negotiate");
}

static bool alive(struct fe *f)
{
	uint64_t v;

	return !fe_get_u64(f, VHOST_USER_GET_FEATURES, &v) && (v & F(FE_PROTO_FEATURES));
}

static void refused(struct fe *f, const char *what, uint32_t req, const void *p, uint32_t size,
		    const int *fds, unsigned nfds)
{
	int64_t a = fe_acked(f, req, p, size, fds, nfds);

	CHECK(a > 0 && alive(f), "%s: ack %lld, session goes on", what, (long long)a);
}

static void dropped(struct fe *f, struct harness *h, const char *what)
{
	CHECK(fe_closed_by_peer(f, 2000), "%s: connection dropped", what);
	fe_close(f);
	CHECK(wait_device_status(h->dev, 0, 2000), "%s: device reset", what);
}

static void table_cases(struct fe *f)
{
	struct vhost_user_memory mem = { .nregions = 1 };
	int fds[10], pipefd[2];
	uint32_t size1 = 8 + sizeof(struct vhost_user_region);

	mem.regions[0] = (struct vhost_user_region){ .guest_phys_addr = GPA_BASE,
		.memory_size = MEM, .userspace_addr = (uintptr_t)f->mem };
	refused(f, "SET_MEM_TABLE without fds (not shared)", VHOST_USER_SET_MEM_TABLE, &mem,
		size1, NULL, 0);
	for (int i = 0; i < 10; i++)
		fds[i] = f->memfd;
	refused(f, "SET_MEM_TABLE with 10 fds", VHOST_USER_SET_MEM_TABLE, &mem, size1, fds, 10);
	refused(f, "SET_MEM_TABLE with 2 fds for 1 region", VHOST_USER_SET_MEM_TABLE, &mem, size1,
		fds, 2);
	mem.nregions = 9;
	refused(f, "SET_MEM_TABLE with 9 regions", VHOST_USER_SET_MEM_TABLE, &mem,
		sizeof(mem), fds, 8);
	mem.nregions = 1;
	refused(f, "SET_MEM_TABLE shorter than its regions", VHOST_USER_SET_MEM_TABLE, &mem, 20,
		fds, 1);
	mem.regions[0].memory_size = 2 * MEM;
	refused(f, "region larger than its file", VHOST_USER_SET_MEM_TABLE, &mem, size1, fds, 1);
	mem.regions[0].memory_size = 0;
	refused(f, "region of size 0", VHOST_USER_SET_MEM_TABLE, &mem, size1, fds, 1);
	mem.regions[0].memory_size = MEM;
	mem.regions[0].guest_phys_addr = ~0ull - 4096;
	refused(f, "region wrapping around", VHOST_USER_SET_MEM_TABLE, &mem, size1, fds, 1);
	mem.regions[0].guest_phys_addr = GPA_BASE;
	REQUIRE(!pipe2(pipefd, O_CLOEXEC), "pipe");
	refused(f, "region backed by a pipe", VHOST_USER_SET_MEM_TABLE, &mem, size1, pipefd, 1);
	close(pipefd[0]);
	close(pipefd[1]);
	mem.nregions = 2;
	mem.regions[1] = mem.regions[0];
	mem.regions[1].userspace_addr += MEM;
	refused(f, "overlapping regions", VHOST_USER_SET_MEM_TABLE, &mem, 8 + 2 * 32, fds, 2);
}

static void ring_cases(struct fe *f)
{
	struct vhost_vring_state st = { .index = 200, .num = 256 };
	struct vhost_vring_addr a = { .index = 0 };
	uint64_t u;

	refused(f, "SET_VRING_NUM for ring 200", VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	st.index = 0;
	st.num = 100;
	refused(f, "split ring size 100", VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	st.num = 4096;
	refused(f, "ring size above the device maximum", VHOST_USER_SET_VRING_NUM, &st,
		sizeof(st), NULL, 0);
	a.desc_user_addr = a.avail_user_addr = a.used_user_addr = (uintptr_t)f->mem;
	refused(f, "SET_VRING_ADDR before SET_MEM_TABLE", VHOST_USER_SET_VRING_ADDR, &a,
		sizeof(a), NULL, 0);
	u = 0;
	refused(f, "SET_VRING_KICK before NUM/ADDR", VHOST_USER_SET_VRING_KICK, &u, 8,
		&f->memfd, 1);
	u = 5;
	refused(f, "SET_VRING_CALL for ring 5 of 2", VHOST_USER_SET_VRING_CALL, &u, 8,
		&f->memfd, 1);
	u = 0;
	refused(f, "SET_VRING_CALL without its fd", VHOST_USER_SET_VRING_CALL, &u, 8, NULL, 0);
	u = 1ull << 20;
	refused(f, "SET_VRING_ERR with reserved bits", VHOST_USER_SET_VRING_ERR, &u, 8,
		&f->memfd, 1);
	st.index = 1;
	st.num = 7;
	refused(f, "SET_VRING_ENABLE 7", VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
	st.num = 0x10000;
	refused(f, "split SET_VRING_BASE above 16 bits", VHOST_USER_SET_VRING_BASE, &st,
		sizeof(st), NULL, 0);
}

/* SET_BACKEND_REQ_FD: only with BACKEND_REQ, and only with its socket. */
static void backend_channel_cases(struct fe *f)
{
	uint64_t p = ACK;
	int sv[2], pp[2], dg;

	REQUIRE(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
	refused(f, "SET_BACKEND_REQ_FD before BACKEND_REQ was negotiated",
		VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1);
	p |= F(VHOST_USER_PROTOCOL_F_BACKEND_REQ);
	CHECK(fe_acked(f, VHOST_USER_SET_PROTOCOL_FEATURES, &p, 8, NULL, 0) == 0,
	      "BACKEND_REQ negotiated");
	refused(f, "SET_BACKEND_REQ_FD without its fd", VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0,
		NULL, 0);
	REQUIRE(!pipe(pp) && (dg = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0,
		"pipe and datagram socket");
	refused(f, "SET_BACKEND_REQ_FD with a pipe", VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0,
		&pp[1], 1);
	refused(f, "SET_BACKEND_REQ_FD with a datagram socket", VHOST_USER_SET_BACKEND_REQ_FD,
		NULL, 0, &dg, 1);
	close(pp[0]);
	close(pp[1]);
	close(dg);
	CHECK(fe_acked(f, VHOST_USER_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1) == 0,
	      "SET_BACKEND_REQ_FD with a socket accepted");
	close(sv[0]);
	close(sv[1]);
	p = ACK;
	fe_acked(f, VHOST_USER_SET_PROTOCOL_FEATURES, &p, 8, NULL, 0);
}

static void misc_cases(struct fe *f)
{
	uint64_t v = F(VIRTIO_F_ACCESS_PLATFORM) | F(VIRTIO_F_VERSION_1);
	struct vhost_user_config cfg = { .offset = 1000, .size = 4 };
	struct vhost_user_msg m;

	refused(f, "SET_FEATURES with a 4-byte payload", VHOST_USER_SET_FEATURES, &v, 4, NULL, 0);
	refused(f, "SET_FEATURES with a bit never offered", VHOST_USER_SET_FEATURES, &v, 8,
		NULL, 0);
	v = F(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD);
	refused(f, "SET_PROTOCOL_FEATURES with INFLIGHT_SHMFD", VHOST_USER_SET_PROTOCOL_FEATURES,
		&v, 8, NULL, 0);
	refused(f, "unknown request 99", 99, NULL, 0, NULL, 0);
	refused(f, "SET_LOG_BASE (not offered)", VHOST_USER_SET_LOG_BASE, &v, 8, NULL, 0);
	refused(f, "GET_INFLIGHT_FD (not offered)", VHOST_USER_GET_INFLIGHT_FD, NULL, 0, NULL, 0);
	v = 9999999;
	refused(f, "NET_SET_MTU 9999999", VHOST_USER_NET_SET_MTU, &v, 8, NULL, 0);
	v = 0x1ff;
	refused(f, "SET_STATUS before STATUS was negotiated", VHOST_USER_SET_STATUS, &v, 8,
		NULL, 0);
	CHECK(!fe_send(f, VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HDR_SIZE + 4, NULL, 0) &&
	      !fe_recv(f, &m, 2000) && m.hdr.size == 0 && alive(f),
	      "GET_CONFIG at offset 1000: empty reply, session goes on");
	CHECK(!fe_send(f, VHOST_USER_GET_CONFIG, 0, &cfg, 5, NULL, 0) &&
	      !fe_recv(f, &m, 2000) && m.hdr.size == 0 && alive(f),
	      "GET_CONFIG of 5 bytes: empty reply, session goes on");
	v = 68;
	CHECK(fe_acked(f, VHOST_USER_NET_SET_MTU, &v, 8, NULL, 0) == 0, "NET_SET_MTU 68 accepted");
	backend_channel_cases(f);
}

int main(void)
{
	struct vhost_vring_state st = { .index = 77 };
	struct harness h;
	uint64_t u = 0;
	struct fe f;
	uint8_t junk[64] = { VHOST_USER_SET_FEATURES, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0 };

	printf("# malformed and out-of-order vhost-user messages\n");
	harness_open(&h, "vdpasim_net", "vnet-bad", NULL);

	fresh(&f, &h, ACK);
	table_cases(&f);
	ring_cases(&f);
	misc_cases(&f);
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "clean after the session");

	fresh(&f, &h, 0);
	CHECK(!fe_send(&f, VHOST_USER_SET_VRING_NUM, 0, &st, sizeof(st), NULL, 0), "sent");
	dropped(&f, &h, "bad ring index without REPLY_ACK");

	fresh(&f, &h, ACK);
	CHECK(!fe_send(&f, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0), "sent");
	dropped(&f, &h, "GET_VRING_BASE for ring 77");

	fresh(&f, &h, ACK);
	CHECK(!fe_send(&f, VHOST_USER_GET_FEATURES, 0, NULL, 0, &f.memfd, 1), "sent");
	dropped(&f, &h, "GET_FEATURES carrying an fd");

	fresh(&f, &h, ACK);
	CHECK(send(f.sock, junk, 12, MSG_NOSIGNAL) == 12, "sent");
	dropped(&f, &h, "payload size 65535");

	fresh(&f, &h, ACK);
	CHECK(send(f.sock, junk, 7, MSG_NOSIGNAL) == 7, "sent");
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "half a header then hang-up: device reset");

	fresh(&f, &h, ACK);
	CHECK(!fe_send(&f, VHOST_USER_SET_VRING_KICK, VHOST_USER_REPLY, &u, 8, NULL, 0), "sent");
	dropped(&f, &h, "a message flagged as a reply");

	fresh(&f, &h, ACK);
	CHECK(fe_send_mem_table(&f) == 0, "after all that: memory table");
	CHECK(fe_ring_start(&f, 0, 256, false, false, 0) == 0 &&
	      fe_ring_start(&f, 1, 256, false, false, 0) == 0, "rings started");
	CHECK(fe_net_loopback(&f, 0, 1, 64, 21, 0) == 64, "the back end still loops frames back");
	fe_close(&f);
	harness_close(&h);
	return 0;
}
