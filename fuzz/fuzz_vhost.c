// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the vhost-user message handler: arbitrary sequences
 * of messages (header + payload straight from the input) against a
 * vdpasim_net or vdpasim_blk device. Messages that carry fds in real life
 * get real ones here (a small memfd as guest memory, eventfds for rings),
 * so the fuzzer can reach memory tables, ring start and the datapath.
 * Header flag bits 4-5 (ignored by the protocol) pick a hostile fd instead:
 * a pipe at EOF, a socket, or a memfd smaller than any region, so the fd
 * type checks are fuzzed too.
 * A handler error drops the "connection": the session is reset, as the
 * face does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/mman.h>

#include <uvdpa/bus.h>
#include "vhost/vhost_session.h"

#define MEM_SIZE   (1u << 20)
#define MAX_MSGS   64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uvdpa_bus *bus;
static struct uvdpa_device *devs[2];
static int memfd = -1;
static int small_memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const parents[2] = { "vdpasim_net", "vdpasim_blk" };
	struct uvdpa_dev_set_config cfg = { 0 };

	(void)argc;
	(void)argv;
	bus = uvdpa_bus_new();
	if (!bus || uvdpa_bus_register_builtin(bus))
		abort();
	for (int i = 0; i < 2; i++) {
		struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, parents[i]);
		char name[16];

		snprintf(name, sizeof(name), "fuzz%d", i);
		if (!m || uvdpa_bus_dev_add(bus, m, name, &cfg, &devs[i], NULL))
			abort();
	}
	memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	small_memfd = memfd_create("fuzz-small", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE) || small_memfd < 0 ||
	    ftruncate(small_memfd, 4096))
		abort();
	return 0;
}

/* A wrong fd of the kind flag bits 4-5 ask for (1..3). */
static int hostile_fd(unsigned kind)
{
	int p[2];

	switch (kind) {
	case 1:
		if (pipe2(p, O_CLOEXEC))
			return -1;
		close(p[1]);
		return p[0];
	case 2:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
			return -1;
		close(p[1]);
		return p[0];
	default:
		return dup(small_memfd);
	}
}

/* The fd a message would carry: the right kind, or a hostile one. */
static int fd_for(const struct vhost_user_msg *m, bool memory)
{
	unsigned kind = (m->hdr.flags >> 4) & 3;

	if (kind)
		return hostile_fd(kind);
	return memory ? dup(memfd) : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* The fds a message of this kind would carry. */
static unsigned make_fds(const struct vhost_user_msg *m, int *fds)
{
	unsigned n = 0;

	switch (m->hdr.request) {
	case VHOST_USER_SET_MEM_TABLE:
		n = m->hdr.size >= 4 ? m->p.memory.nregions : 0;
		if (n > VHOST_USER_MEM_TABLE_MAX)
			n = VHOST_USER_MEM_TABLE_MAX;
		for (unsigned i = 0; i < n; i++)
			fds[i] = fd_for(m, true);
		break;
	case VHOST_USER_ADD_MEM_REG:
	case VHOST_USER_SET_INFLIGHT_FD:
		fds[n++] = fd_for(m, true);
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		if (!(m->p.u64 & VHOST_USER_VRING_NOFD))
			fds[n++] = fd_for(m, false);
		break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhost_session *s;
	unsigned msgs = 0;

	if (size < 1)
		return 0;
	s = vhost_session_new(devs[data[0] & 1], NULL, NULL);
	if (!s)
		abort();
	data++;
	size--;
	while (size >= sizeof(struct vhost_user_hdr) && msgs++ < MAX_MSGS) {
		struct vhost_user_msg m, reply;
		int fds[VHOST_USER_MAX_FDS + 1];
		size_t take;
		unsigned nfds;
		bool has_reply;

		memset(&m, 0, sizeof(m));
		memcpy(&m.hdr, data, sizeof(m.hdr));
		data += sizeof(m.hdr);
		size -= sizeof(m.hdr);
		take = m.hdr.size < sizeof(m.p) ? m.hdr.size : sizeof(m.p);
		if (take > size)
			take = size;
		memcpy(&m.p, data, take);
		data += take;
		size -= take;
		nfds = make_fds(&m, fds);
		if (vhost_session_handle(s, &m, fds, nfds, &reply, &has_reply))
			vhost_session_reset(s);
	}
	vhost_session_free(s);
	return 0;
}
