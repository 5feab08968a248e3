// SPDX-License-Identifier: MIT
/*
 * The kernel's IOTLB (VDUSE's bounce domain, or vhost-vdpa's user mappings)
 * becomes the device's memory map: every range is fetched with
 * VDUSE_IOTLB_GET_FD and mapped whole, so the device's datapath never has to
 * ask the kernel (the map API has no miss path).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vduse/vduse_priv.h"

static void maps_unmap(struct vduse_maps *ms)
{
	unsigned i;

	for (i = 0; i < ms->n; i++) {
		vhost_fault_unregister(ms->m[i].fault_slot);
		munmap(ms->m[i].host, ms->m[i].len);
	}
	free(ms->m);
	ms->m = NULL;
	ms->n = 0;
}

static uint32_t perm_of(uint8_t vduse_perm)
{
	/* VDUSE_ACCESS_RO: the device reads only (driver -> device data). */
	switch (vduse_perm) {
	case VDUSE_ACCESS_RO: return UVDPA_MAP_READ;
	case VDUSE_ACCESS_WO: return UVDPA_MAP_WRITE;
	case VDUSE_ACCESS_RW: return UVDPA_MAP_RW;
	default: return 0;
	}
}

/* Maps one entry the kernel returned; its fd is closed here either way. */
static int map_entry(struct uvdpa_vduse_face *f, struct vduse_dev *v, int fd,
		     const struct vduse_iotlb_entry *e, bool guard, struct vduse_mapping *out)
{
	uint32_t perm = perm_of(e->perm);
	uint64_t len = e->last - e->start + 1;
	int prot = (perm & UVDPA_MAP_WRITE) ? PROT_READ | PROT_WRITE : PROT_READ;
	void *p;

	if (!perm || len == 0 || len > SIZE_MAX) {
		close(fd);
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: IOTLB range 0x%llx-0x%llx with perm %u ignored",
			  v->name, (unsigned long long)e->start, (unsigned long long)e->last, e->perm);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)len, prot, MAP_SHARED, fd, (off_t)e->offset);
	close(fd);
	if (p == MAP_FAILED) {
		int err = -errno;

		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: cannot map IOTLB range 0x%llx-0x%llx: %s",
			  v->name, (unsigned long long)e->start, (unsigned long long)e->last,
			  strerror(-err));
		return err;
	}
	*out = (struct vduse_mapping){ .start = e->start, .last = e->last, .host = p,
				       .len = (size_t)len, .perm = perm, .fault_slot = -1 };
	if (guard) {
		out->fault_slot = vhost_fault_register(p, (size_t)len, &v->fault);
		if (out->fault_slot < 0) {
			munmap(p, (size_t)len);
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: IOTLB range 0x%llx-0x%llx left out: "
				  "no SIGBUS guard slot", v->name, (unsigned long long)e->start,
				  (unsigned long long)e->last);
			return -ENOSPC;
		}
	}
	vduse_log(f, UVDPA_VDUSE_LOG_DEBUG, "%s: IOTLB 0x%llx-0x%llx at %p%s", v->name,
		  (unsigned long long)e->start, (unsigned long long)e->last, p,
		  guard ? " (SIGBUS guard)" : "");
	return 0;
}

static int maps_push(struct vduse_maps *ms, const struct vduse_mapping *m)
{
	struct vduse_mapping *n = realloc(ms->m, (ms->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	ms->m = n;
	ms->m[ms->n++] = *m;
	return 0;
}

#define VDUSE_BOUNCE_DEFAULT (64ull << 20)   /* Linux 6.12 VDUSE_BOUNCE_SIZE */

/* The bounce buffer's size (sysfs since Linux 6.0; the default before). */
static uint64_t bounce_size(const struct vduse_dev *v)
{
	char path[64 + VDUSE_NAME_MAX], buf[32];
	unsigned long long n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/class/vduse/%s/bounce_size", v->name);
	fp = fopen(path, "re");
	if (fp) {
		if (!fgets(buf, sizeof(buf), fp) || sscanf(buf, "%llu", &n) != 1)
			n = 0;
		fclose(fp);
	}
	return n ? n : VDUSE_BOUNCE_DEFAULT;
}

/*
 * The kernel adds its bounce range [0, bounce_size) to the IOTLB only at the
 * first streaming DMA mapping, after DRIVER_OK, and says nothing when it does:
 * a device mapped at DRIVER_OK would refuse every buffer. The bounce range
 * lives in the same domain file as the coherent ranges (file offset = IOVA),
 * so it is mapped from there ahead of time; its pages exist by the time a
 * driver posts a buffer in them.
 */
static void add_bounce(struct uvdpa_vduse_face *f, struct vduse_dev *v, struct vduse_maps *ms,
		       int domain_fd)
{
	struct vduse_iotlb_entry e = { .start = 0, .perm = VDUSE_ACCESS_RW };
	struct vduse_mapping m;
	unsigned i;

	e.last = bounce_size(v) - 1;
	for (i = 0; i < ms->n; i++)
		if (ms->m[i].start <= e.last)
			return;     /* the kernel has it (or something overlaps): as is */
	/* The kernel's own pages: nobody can shrink them, no guard. */
	if (map_entry(f, v, dup(domain_fd), &e, false, &m) == 0 && maps_push(ms, &m) < 0)
		munmap(m.host, m.len);
}

/*
 * Only the kernel's own bounce domain has a bounce range: its file is the
 * anonymous inode "[vduse-domain]" (drivers/vdpa/vdpa_user/iova_domain.c).
 * Ranges that vhost_vdpa's user set are the user's files, never mapped
 * beyond what the kernel names.
 */
static bool is_bounce_domain(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[vduse-domain]") == 0;
}

/* Walks the domain from IOVA 0 upwards: the kernel answers the first range
 * that overlaps [start, ~0]. No domain yet (before `vdpa dev add`): empty. */
static int maps_fetch(struct uvdpa_vduse_face *f, struct vduse_dev *v, struct vduse_maps *ms)
{
	uint64_t start = 0;
	int domain_fd = -1;

	while (ms->n < UVDPA_MAP_MAX_REGIONS) {
		struct vduse_iotlb_entry e = { .start = start, .last = UINT64_MAX };
		struct vduse_mapping m;
		bool bounce;
		int fd = vduse_kioctl(v, VDUSE_IOTLB_GET_FD, &e);

		if (fd < 0)
			break;       /* nothing more mapped */
		if (e.last < e.start || e.last < start) {
			close(fd);
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: kernel IOTLB answer out of order", v->name);
			break;
		}
		vduse_log(f, UVDPA_VDUSE_LOG_DEBUG, "%s: IOTLB 0x%llx-0x%llx offset 0x%llx perm %u",
			  v->name, (unsigned long long)e.start, (unsigned long long)e.last,
			  (unsigned long long)e.offset, e.perm);
		bounce = is_bounce_domain(fd);
		if (domain_fd < 0 && bounce)
			domain_fd = dup(fd);
		/* Anything else is a vhost_vdpa user's file, which it may shrink. */
		if (map_entry(f, v, fd, &e, !bounce, &m) == 0 && maps_push(ms, &m) < 0) {
			vhost_fault_unregister(m.fault_slot);
			munmap(m.host, m.len);
			break;
		}
		if (e.last == UINT64_MAX)
			break;
		start = e.last + 1;
	}
	if (domain_fd >= 0) {
		add_bounce(f, v, ms, domain_fd);
		close(domain_fd);
	}
	return 0;
}

static struct uvdpa_memmap *memmap_of(struct uvdpa_vduse_face *f, struct vduse_dev *v,
				      const struct vduse_maps *ms)
{
	struct uvdpa_memmap *map = uvdpa_memmap_new();
	unsigned i;

	for (i = 0; map && i < ms->n; i++) {
		struct uvdpa_map_region r = { .iova = ms->m[i].start, .size = ms->m[i].len,
					      .host = ms->m[i].host, .perm = ms->m[i].perm };
		int err = uvdpa_memmap_add(map, &r);

		/* Overlapping ranges (a hostile or confused IOTLB): the first wins. */
		if (err < 0)
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: IOTLB range 0x%llx+0x%llx left out: %s",
				  v->name, (unsigned long long)r.iova, (unsigned long long)r.size,
				  strerror(-err));
	}
	return map;
}

int vduse_iotlb_refresh(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	struct vduse_maps fresh = { 0 }, old;
	struct uvdpa_memmap *map;
	int err = maps_fetch(f, v, &fresh);

	map = err ? NULL : memmap_of(f, v, &fresh);
	if (!map) {
		maps_unmap(&fresh);
		return err ? err : -ENOMEM;
	}
	err = v->d->ops->set_map(v->d, map);
	uvdpa_memmap_free(map);
	if (err < 0) {
		maps_unmap(&fresh);
		return err;
	}
	/* The device no longer points into the old mappings. */
	old = v->maps;
	v->maps = fresh;
	maps_unmap(&old);
	vduse_log(f, UVDPA_VDUSE_LOG_DEBUG, "%s: %u IOTLB ranges mapped", v->name, v->maps.n);
	return 0;
}

void vduse_iotlb_clear(struct vduse_dev *v)
{
	/* Only the driver holding the device gave it a map. */
	if (v->d && v->claimed)
		v->d->ops->set_map(v->d, NULL);
	maps_unmap(&v->maps);
}
