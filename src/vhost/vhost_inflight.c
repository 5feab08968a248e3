// SPDX-License-Identifier: MIT
/*
 * The inflight area of vhost-user blk (INFLIGHT_SHMFD): GET_INFLIGHT_FD
 * makes a zeroed one in a memfd and hands it to the front end, which keeps
 * it across back-end restarts and reconnects; SET_INFLIGHT_FD maps the one
 * it hands back. Each ring gets its queue's region when it starts; what the
 * regions hold is the virtqueue engine's business (uvdpa_vq_dev_set_inflight).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "virtio/vq.h"
#include "vhost_fdcheck.h"
#include "vhost_session_priv.h"

/* Queue regions start on a cache line, as DPDK lays them out. */
#define INFLIGHT_ALIGN 64

static bool is_packed(const struct vhost_session *s)
{
	return s->features & BIT_ULL(VIRTIO_F_RING_PACKED);
}

static size_t queue_stride(uint16_t queue_size, bool packed)
{
	size_t n = uvdpa_vq_inflight_size(queue_size, packed);

	return (n + INFLIGHT_ALIGN - 1) & ~(size_t)(INFLIGHT_ALIGN - 1);
}

/* The spec defines the area for blk; net front ends never ask for one. */
bool vhost_inflight_offered(const struct vhost_session *s)
{
	return s->ops->set_vq_inflight && s->ops->get_device_id(s->dev) == VIRTIO_ID_BLOCK;
}

static int check_request(struct vhost_session *s, const struct vhost_user_inflight *in,
			 const char *what)
{
	if (!vhost_inflight_offered(s) ||
	    !vhost_has_proto(s, VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD)) {
		vhost_logf(s, "%s without the INFLIGHT_SHMFD protocol feature", what);
		return -EOPNOTSUPP;
	}
	if (!in->num_queues || in->num_queues > s->nrings) {
		vhost_logf(s, "%s: %u queues, the device has %u", what, in->num_queues, s->nrings);
		return -EINVAL;
	}
	if (!in->queue_size || in->queue_size > UVDPA_VQ_MAX_NUM) {
		vhost_logf(s, "%s: queue size %u is not 1..%u", what, in->queue_size,
			   UVDPA_VQ_MAX_NUM);
		return -EINVAL;
	}
	/* the device may be writing in the current area */
	if (vhost_any_ring_live(s)) {
		vhost_logf(s, "%s while rings run (GET_VRING_BASE stops them)", what);
		return -EBUSY;
	}
	return 0;
}

void vhost_inflight_clear(struct vhost_session *s)
{
	struct vhost_inflight *in = &s->inflight;

	if (s->ops->set_vq_inflight) {
		for (unsigned i = 0; i < s->nrings; i++) {
			if (!s->ops->set_vq_inflight(s->dev, i, NULL, 0))
				continue;
			/* never unmap what a running queue writes into */
			if (s->rings[i].live)
				vhost_ring_halt(s, i, true);
			s->ops->set_vq_inflight(s->dev, i, NULL, 0);
		}
	}
	if (in->map) {
		vhost_fault_unregister(in->fault_slot);
		munmap(in->map, in->map_len);
	}
	if (in->fd >= 0)
		close(in->fd);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->fault_slot = -1;
}

void vhost_h_get_inflight_fd(struct vhost_session *s, const struct vhost_user_msg *m,
			     struct vhost_user_msg *reply)
{
	const struct vhost_user_inflight *req = &m->p.inflight;
	struct vhost_user_inflight *out = &reply->p.inflight;
	size_t stride, size;
	void *map;
	int fd;

	/* A failure answers mmap_size 0: QEMU then carries on without an area. */
	*out = (struct vhost_user_inflight){ .num_queues = req->num_queues,
					     .queue_size = req->queue_size };
	reply->hdr.size = sizeof(*out);
	if (check_request(s, req, "GET_INFLIGHT_FD"))
		return;
	stride = queue_stride(req->queue_size, is_packed(s));
	size = stride * req->num_queues;
	/* a new file reads as zeroes: version 0, nothing recorded yet. Sealed
	 * before the front end sees it, so it can never shrink under us. */
	fd = memfd_create("uvdpa-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		vhost_logf(s, "GET_INFLIGHT_FD: cannot create a %zu-byte memfd: %s", size,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		vhost_logf(s, "GET_INFLIGHT_FD: mmap: %s", strerror(errno));
		close(fd);
		return;
	}
	vhost_inflight_clear(s);
	s->inflight = (struct vhost_inflight){
		.map = map, .map_len = size, .base = map, .fd = fd,
		.num_queues = req->num_queues, .queue_size = req->queue_size, .stride = stride,
		.fault_slot = -1,
	};
	out->mmap_size = size;
	out->mmap_offset = 0;
	s->reply_fd = fd;
}

int vhost_h_set_inflight_fd(struct vhost_session *s, const struct vhost_user_msg *m,
			    int *fds, unsigned nfds)
{
	const struct vhost_user_inflight *in = &m->p.inflight;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), need, end, off, lead;
	const char *why;
	bool sealed;
	size_t stride;
	void *map;
	int slot, err = check_request(s, in, "SET_INFLIGHT_FD");

	if (err)
		return err;
	if (nfds != 1 || fds[0] < 0) {
		vhost_logf(s, "SET_INFLIGHT_FD without a file descriptor");
		return -EINVAL;
	}
	stride = queue_stride(in->queue_size, is_packed(s));
	need = (uint64_t)stride * in->num_queues;
	if (in->mmap_size < need || in->mmap_size > SIZE_MAX / 2 ||
	    __builtin_add_overflow(in->mmap_offset, in->mmap_size, &end)) {
		vhost_logf(s, "SET_INFLIGHT_FD: %llu bytes at offset %llu, %u queues of %u "
			   "need %llu", (unsigned long long)in->mmap_size,
			   (unsigned long long)in->mmap_offset, in->num_queues, in->queue_size,
			   (unsigned long long)need);
		return -EINVAL;
	}
	if (in->mmap_offset % 8) {
		vhost_logf(s, "SET_INFLIGHT_FD: offset %llu is not 8-byte aligned",
			   (unsigned long long)in->mmap_offset);
		return -EINVAL;
	}
	/* touching a page past EOF would SIGBUS the whole daemon */
	err = vhost_fd_check_memory(fds[0], end, &sealed, &why);
	if (err) {
		vhost_logf(s, "SET_INFLIGHT_FD: fd refused (%llu bytes needed): %s",
			   (unsigned long long)end, why);
		return err;
	}
	off = in->mmap_offset & ~(page - 1);
	lead = in->mmap_offset - off;
	map = mmap(NULL, in->mmap_size + lead, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0],
		   (off_t)off);
	if (map == MAP_FAILED) {
		err = -errno;
		vhost_logf(s, "SET_INFLIGHT_FD: mmap: %s", strerror(-err));
		return err;
	}
	slot = sealed ? -1 : vhost_fault_register(map, in->mmap_size + lead, &s->fault);
	if (!sealed && slot < 0) {
		vhost_logf(s, "SET_INFLIGHT_FD: too many unsealed areas mapped; seal the memfd "
			   "(F_SEAL_SHRINK)");
		munmap(map, in->mmap_size + lead);
		return -ENOSPC;
	}
	vhost_inflight_clear(s);
	s->inflight = (struct vhost_inflight){
		.map = map, .map_len = in->mmap_size + lead, .base = (uint8_t *)map + lead,
		.fd = -1, .num_queues = in->num_queues, .queue_size = in->queue_size,
		.stride = stride, .fault_slot = slot,
	};
	return 0;
}

int vhost_inflight_attach(struct vhost_session *s, unsigned i)
{
	const struct vhost_inflight *in = &s->inflight;
	uint32_t num = s->rings[i].num;
	void *area = NULL;
	int err;

	if (!s->ops->set_vq_inflight)
		return 0;
	if (in->map && i < in->num_queues) {
		if (num > UVDPA_VQ_MAX_NUM ||
		    uvdpa_vq_inflight_size((uint16_t)num, is_packed(s)) > in->stride) {
			vhost_logf(s, "ring %u: %u %s entries do not fit its inflight region, "
				   "made for queues of %u", i, num, is_packed(s) ? "packed" : "split",
				   in->queue_size);
			return -EINVAL;
		}
		area = in->base + (size_t)i * in->stride;
	}
	err = s->ops->set_vq_inflight(s->dev, i, area, area ? in->stride : 0);
	if (err)
		vhost_logf(s, "ring %u: device refused its inflight region: %s", i, strerror(-err));
	return err;
}
