// SPDX-License-Identifier: MIT
/*
 * Runs in the test guest against /dev/vhost-vdpa-N, a uvdpa device that the
 * guest kernel's vhost_vdpa drives through VDUSE: the ioctls QEMU would use
 * (device id, config, features, queue count and size, status, queue setup
 * and state), then hostile input from the kernel's side (IOTLB updates that
 * overlap or have no file behind them, a ring the map does not hold set
 * ready with DRIVER_OK and kicked, a reset in the middle). Prints
 * "PASS name detail" / "FAIL name why" lines.
 *
 *   vhost_vdpa_probe DEV WANT_DEVICE_ID [shrink]
 *
 * shrink: the memfd behind the ring is truncated while the device runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vhost.h>

static int fails;

static void check(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s vhost-vdpa/%s ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fails += !ok;
}

static int set_status(int fd, uint8_t s)
{
	return ioctl(fd, VHOST_VDPA_SET_STATUS, &s);
}

/* One IOTLB message (v2), as QEMU sends them; returns write's errno or 0. */
static int iotlb(int fd, uint8_t type, uint64_t iova, uint64_t size, void *uaddr)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = (uint64_t)(uintptr_t)uaddr;
	m.iotlb.perm = VHOST_ACCESS_RW;
	m.iotlb.type = type;
	return write(fd, &m, sizeof(m)) == (ssize_t)sizeof(m) ? 0 : errno;
}

static void basics(int fd, uint32_t want_id, uint64_t *features)
{
	uint32_t id = 0, nvqs = 0, csize = 0;
	uint16_t vnum = 0;
	struct vhost_vdpa_config *cfg = calloc(1, sizeof(*cfg) + 8);
	uint64_t cap = 0;
	int r;

	/* Each ioctl before its check: argument order is unspecified. */
	r = ioctl(fd, VHOST_VDPA_GET_DEVICE_ID, &id);
	check(r == 0 && id == want_id, "device-id", "%u (want %u)", id, want_id);
	r = ioctl(fd, VHOST_GET_FEATURES, features);
	check(r == 0 && (*features >> 33 & 1), "features", "0x%" PRIx64 " (ACCESS_PLATFORM set)",
	      *features);
	r = ioctl(fd, VHOST_VDPA_GET_VQS_COUNT, &nvqs);
	check(r == 0 && nvqs > 0, "vqs-count", "%u", nvqs);
	r = ioctl(fd, VHOST_VDPA_GET_VRING_NUM, &vnum);
	check(r == 0 && vnum > 0, "vring-num", "%u", vnum);
	r = ioctl(fd, VHOST_VDPA_GET_CONFIG_SIZE, &csize);
	check(r == 0 && csize > 0, "config-size", "%u", csize);
	if (!cfg)
		return;
	cfg->off = 0;
	cfg->len = 8;
	r = ioctl(fd, VHOST_VDPA_GET_CONFIG, cfg);
	memcpy(&cap, cfg->buf, 8);
	/* blk: capacity in sectors, non-zero */
	check(r == 0 && cap > 0, "config", "first 8 bytes %" PRIu64, cap);
	free(cfg);
}

/* Negotiates, sets up queue 0 and reads its state back (GET_VQ_STATE). */
static void queue_setup(int fd, uint64_t features, void *mem, size_t len)
{
	uint64_t acked = features & ((1ULL << 32) | (1ULL << 33));
	struct vhost_vring_state num = { .index = 0, .num = 64 };
	struct vhost_vring_state base = { .index = 0, .num = 7 };
	struct vhost_vring_addr addr = { .index = 0, .desc_user_addr = 0x10000,
					 .avail_user_addr = 0x11000, .used_user_addr = 0x12000 };
	int err;

	check(ioctl(fd, VHOST_SET_OWNER) == 0 || errno == EBUSY, "set-owner", "%s", strerror(errno));
	check(set_status(fd, 0) == 0, "reset", "ok");
	set_status(fd, 1);
	set_status(fd, 3);
	check(ioctl(fd, VHOST_SET_FEATURES, &acked) == 0, "set-features", "0x%" PRIx64, acked);
	check(set_status(fd, 0xb) == 0, "features-ok", "ok");
	err = iotlb(fd, VHOST_IOTLB_UPDATE, 0x10000, len, mem);
	check(err == 0, "iotlb-update", "%s", strerror(err));
	check(ioctl(fd, VHOST_SET_VRING_NUM, &num) == 0, "vring-num-set", "64");
	check(ioctl(fd, VHOST_SET_VRING_BASE, &base) == 0, "vring-base-set", "7");
	check(ioctl(fd, VHOST_SET_VRING_ADDR, &addr) == 0, "vring-addr", "ok");
	base.num = 0;
	/* Answered by uvdpad: VDUSE asks the daemon (VDUSE_GET_VQ_STATE). */
	err = ioctl(fd, VHOST_GET_VRING_BASE, &base);
	check(err == 0 && base.num == 7, "vring-base-get", "%u (want 7)", base.num);
}

/* Things a driver in the kernel could do to the device; uvdpad must survive. */
static void hostile(int fd, int mfd, void *mem, size_t len, int shrink)
{
	struct vhost_vring_file kick = { .index = 0, .fd = eventfd(0, 0) };
	struct vhost_vring_state ready = { .index = 0, .num = 1 };
	void *priv = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t one = 1;
	int err;

	/* Overlapping the range queue_setup mapped; the kernel may refuse it. */
	err = iotlb(fd, VHOST_IOTLB_UPDATE, 0x18000, len, mem);
	check(1, "iotlb-overlap", "kernel says %s", err ? strerror(err) : "ok");
	/* Anonymous private memory: no file for VDUSE_IOTLB_GET_FD. */
	err = iotlb(fd, VHOST_IOTLB_UPDATE, 0x40000000, 65536, priv);
	check(1, "iotlb-no-file", "kernel says %s", err ? strerror(err) : "ok");
	/* An empty ring (avail index 0 = where the device starts): the device
	 * reads the ring at DRIVER_OK and again at each kick. */
	struct vhost_vring_state base = { .index = 0, .num = 0 };

	memset(mem, 0, len);
	ioctl(fd, VHOST_SET_VRING_BASE, &base);
	err = ioctl(fd, VHOST_SET_VRING_KICK, &kick) ? errno : 0;
	check(1, "vring-kick", "%s", strerror(err));
	err = ioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &ready) ? errno : 0;
	check(1, "vring-enable", "%s", strerror(err));
	check(1, "driver-ok", "status set: %s", set_status(fd, 0xf) ? strerror(errno) : "ok");
	/* The file behind the ring shrinks under uvdpad's mapping: its next
	 * access faults (SIGBUS), which must cost the device, not the daemon. */
	if (shrink)
		check(ftruncate(mfd, 0) == 0, "shrink-under-device", "memfd truncated to 0");
	if (write(kick.fd, &one, sizeof(one)) != sizeof(one))
		perror("kick");
	usleep(500000);
	check(set_status(fd, 0) == 0, "reset-mid-io", "ok");
	err = iotlb(fd, VHOST_IOTLB_INVALIDATE, 0x10000, len, mem);
	check(1, "iotlb-invalidate", "kernel says %s", err ? strerror(err) : "ok");
	close(kick.fd);
	munmap(priv, 65536);
}

int main(int argc, char **argv)
{
	uint64_t features = 0, backend = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	size_t len = 1 << 20;
	void *mem;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s /dev/vhost-vdpa-N DEVICE_ID [shrink]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("FAIL vhost-vdpa/open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* Shared and file-backed (memfd): what vhost_vdpa's VA mode passes on. */
	int mfd = memfd_create("probe", 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)len) < 0)
		return 1;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 0, len);
	ioctl(fd, VHOST_SET_BACKEND_FEATURES, &backend);
	basics(fd, (uint32_t)strtoul(argv[2], NULL, 0), &features);
	queue_setup(fd, features, mem, len);
	hostile(fd, mfd, mem, len, argc > 3 && strcmp(argv[3], "shrink") == 0);
	close(fd);
	munmap(mem, len);
	close(mfd);
	return fails ? 1 : 0;
}
