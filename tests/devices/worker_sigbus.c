// SPDX-License-Identifier: MIT
/*
 * A driver that shrinks its memory under the device makes the worker's next
 * ring access raise SIGBUS. The vhost face contains that with a SIGBUS
 * handler that maps zero pages over the hole; that only works if the
 * worker does not block SIGBUS (a synchronous SIGBUS on a thread that blocks
 * it kills the process). Here the handler must run on the worker, and the
 * process must live on.
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tdev.h"

static atomic_int fault_tid;
static atomic_int faults;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)si->si_addr & ~((uintptr_t)pg - 1);

	(void)sig;
	(void)uc;
	atomic_store(&fault_tid, (int)syscall(SYS_gettid));
	atomic_fetch_add(&faults, 1);
	/* What the vhost face does: a zero page where the memory was. */
	if (mmap((void *)a, (size_t)pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		_exit(3);
}

int main(void)
{
	struct sigaction sa;
	uint8_t frame[60];
	uint32_t len;
	struct tdev t;
	int mfd, tid, i;

	twatchdog(30, "SIGBUS on the worker");
	tdev_open(&t, NULL, "vdpasim_net", "net0", NULL);
	/* Guest memory becomes a memfd the "driver" can truncate. */
	mfd = memfd_create("guest", MFD_CLOEXEC);
	REQUIRE(mfd >= 0 && ftruncate(mfd, (off_t)t.size) == 0, "memfd");
	REQUIRE(mmap(t.mem, t.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) ==
		t.mem, "memfd over the guest memory");
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 2, 64);
	memset(frame, 0xff, 6);
	memset(frame + 6, 7, sizeof(frame) - 6);
	tnet_post_rx(&t, 0, 256, 1, false);
	tnet_send(&t, 0, frame, sizeof(frame), 1, false);
	REQUIRE(tvq_wait(&t, 0, &len, 5000), "loopback before");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	REQUIRE(sigaction(SIGBUS, &sa, NULL) == 0, "sigaction");
	tid = tworker_tid("net0");
	REQUIRE(tid > 0, "worker");
	REQUIRE(ftruncate(mfd, 0) == 0, "shrink the guest memory");
	t.ops->kick_vq(t.d, 1);
	for (i = 0; i < 200 && !atomic_load(&faults); i++)
		tsleep_ms(5);
	CHECK(atomic_load(&faults) > 0 && atomic_load(&fault_tid) == tid,
	      "the ring access faulted on the worker, whose handler ran (%d faults)",
	      atomic_load(&faults));
	CHECK(tdev_status(&t) & UVDPA_STATUS_DRIVER_OK, "and the process lives on");
	uvdpa_device_reset(t.d);
	tdev_close(&t);
	close(mfd);
	return 0;
}
