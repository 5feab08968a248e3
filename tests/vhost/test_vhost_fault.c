// SPDX-License-Identifier: MIT
/*
 * The SIGBUS guard on its own: a registered mapping whose file shrinks
 * faults harmlessly (the access completes, the owner is marked and woken);
 * an unregistered one still kills the process with SIGBUS; a sealed memfd
 * cannot shrink at all.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "fe.h"
#include "vhost/vhost_fault.h"

#define LEN (64u << 10)

static uint8_t *shrunk_mapping(int *memfd)
{
	uint8_t *p;

	*memfd = memfd_create("fault-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(*memfd >= 0 && !ftruncate(*memfd, LEN), "memfd");
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, *memfd, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	memset(p, 0xab, LEN);
	REQUIRE(!ftruncate(*memfd, 0), "truncate");
	return p;
}

int main(void)
{
	struct vhost_fault_owner owner = { .wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	volatile uint8_t *p;
	uint64_t v = 0;
	int memfd, slot, st;
	pid_t pid;

	vhost_fault_install();
	p = shrunk_mapping(&memfd);
	slot = vhost_fault_register((void *)p, LEN, &owner);
	REQUIRE(slot >= 0, "register");
	p[100] = 1;
	CHECK(p[100] == 1 && p[LEN - 1] == 0,
	      "an access to a shrunk registered region completes (anonymous memory now)");
	CHECK(atomic_load(&owner.faulted), "the owner is marked faulted");
	CHECK(read(owner.wake_fd, &v, 8) == 8 && v == 1, "and woken through its eventfd");
	vhost_fault_unregister(slot);
	munmap((void *)p, LEN);
	close(memfd);

	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (!pid) {
		p = shrunk_mapping(&memfd);
		p[0] = 1;           /* not registered: a real crash */
		_exit(0);
	}
	REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
	      "a SIGBUS outside every region still kills the process");

	memfd = memfd_create("sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(memfd >= 0 && !ftruncate(memfd, LEN), "memfd");
	REQUIRE(!fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), "seal");
	CHECK(ftruncate(memfd, 0) < 0, "a memfd sealed F_SEAL_SHRINK cannot shrink");
	close(memfd);
	close(owner.wake_fd);
	return 0;
}
