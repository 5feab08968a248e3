// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the VDUSE message handler (src/vduse/vduse_msg.c):
 * struct vduse_dev_request messages from the input, answered for a
 * vdpasim_net or vdpasim_blk device as they would be for /dev/vduse/NAME.
 * The kernel's side of the ioctls the handler makes is faked from the
 * input too: the driver's features (VDUSE_DEV_GET_FEATURES), each queue's
 * size, addresses and indexes (VDUSE_VQ_GET_INFO), and up to four IOTLB
 * ranges (VDUSE_IOTLB_GET_FD) with any start, end, offset and permission,
 * served from a 1 MiB memfd, a 4 KiB one, or refused. So SET_STATUS reaches
 * FEATURES_OK and DRIVER_OK with hostile queues and maps, UPDATE_IOTLB
 * rebuilds a map from hostile ranges, GET_VQ_STATE takes any index, and
 * unknown types are refused.
 *
 * The record a uvdpad keeps for the next one (vduse_record.c) is fuzzed too:
 * byte 0 bit 1 takes one from the input (after the fake kernel): bit 2
 * set, raw bytes (a 16-bit length, then the file) for the parser; clear, a
 * header made valid for the device with the status, driver features and
 * inflight areas from the input. A record the parser takes is then taken
 * over (vduse_msg_resume) against the fake kernel before the requests run:
 * hostile areas may break a queue, never the daemon.
 *
 * Input: byte 0 picks the device (bit 0) and the record (bits 1-2); then
 * struct fake_kernel (zero-padded when short); then the record if any;
 * then records of one control byte and one request. Control bits
 * 0-1: SET_STATUS, GET_VQ_STATE, UPDATE_IOTLB, or the request's own type;
 * bit 2: another driver (a vhost-user front end) holds the device during
 * the request. A device that runs into a hole in its map (an IOTLB range
 * beyond its file) faults, and the face drops the map as it would. Checked:
 * every answer echoes its id with OK or FAILED; the
 * kernel's driver never holds the device while another driver does, and
 * holds no mapping unless it holds the device; a final status 0 lets go.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <uvdpa/bus.h>
#include "vduse/vduse_priv.h"

#define MEM_SIZE  (1u << 20)
#define MAX_REQS  48
#define FAKE_VQS  2
#define FAKE_TLB  4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the fake kernel answers, straight from the input. */
struct fake_kernel {
	uint64_t features;
	struct {
		uint32_t num;
		uint64_t desc, driver, device;
		uint16_t avail;         /* split avail index, or packed last_avail_idx */
		uint8_t ready;
	} __attribute__((packed)) vq[FAKE_VQS];
	struct {
		uint64_t start, last, offset;
		uint8_t perm;
		uint8_t fd_kind;        /* 0: the 1 MiB memfd, 1: the 4 KiB one, else refused */
	} __attribute__((packed)) tlb[FAKE_TLB];
	uint8_t ntlb;
} __attribute__((packed));

static struct uvdpa_bus *bus;
static struct uvdpa_device *devs[2];
static int memfd = -1, small_memfd = -1;
static struct fake_kernel fk;
static struct uvdpa_vduse_face face;
static const char other_owner[] = "the fuzzer's front end";

static void face_log(void *opaque, enum uvdpa_vduse_log_level level, const char *line)
{
	(void)opaque;
	(void)level;
	fprintf(stderr, "vduse: %s\n", line);
}

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
	memfd = memfd_create("fuzz-domain", MFD_CLOEXEC);
	small_memfd = memfd_create("fuzz-small", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE) || small_memfd < 0 ||
	    ftruncate(small_memfd, 4096))
		abort();
	if (getenv("FUZZ_VDUSE_LOG"))
		face.log = face_log;
	vhost_fault_install();
	return 0;
}

/* VDUSE_IOTLB_GET_FD as drivers/vdpa/vdpa_user answers it: the first range
 * that overlaps [start, last], here whatever the input says it is. */
static int fake_iotlb(struct vduse_iotlb_entry *e)
{
	for (unsigned i = 0; i < fk.ntlb % (FAKE_TLB + 1); i++) {
		if (fk.tlb[i].last < e->start || fk.tlb[i].start > e->last)
			continue;
		if (fk.tlb[i].fd_kind > 1)
			break;
		e->start = fk.tlb[i].start;
		e->last = fk.tlb[i].last;
		e->offset = fk.tlb[i].offset;
		e->perm = fk.tlb[i].perm;
		return dup(fk.tlb[i].fd_kind ? small_memfd : memfd);
	}
	errno = EINVAL;
	return -1;
}

static int fake_ioctl(struct vduse_dev *v, unsigned long req, void *arg)
{
	(void)v;
	if (req == VDUSE_DEV_GET_FEATURES) {
		*(uint64_t *)arg = fk.features;
		return 0;
	}
	if (req == VDUSE_VQ_GET_INFO) {
		struct vduse_vq_info *info = arg;
		uint32_t i = info->index;

		if (i >= FAKE_VQS) {
			errno = EINVAL;
			return -1;
		}
		info->num = fk.vq[i].num;
		info->desc_addr = fk.vq[i].desc;
		info->driver_addr = fk.vq[i].driver;
		info->device_addr = fk.vq[i].device;
		info->split.avail_index = fk.vq[i].avail;
		info->ready = fk.vq[i].ready;
		return 0;
	}
	if (req == VDUSE_VQ_SETUP_KICKFD || req == VDUSE_VQ_INJECT_IRQ)
		return 0;
	if (req == VDUSE_IOTLB_GET_FD)
		return fake_iotlb(arg);
	errno = ENOTTY;
	return -1;
}

static const struct vduse_kernel_ops fake_kops = { .ioctl = fake_ioctl };

/* What vduse_dev_create leaves, without the kernel: the device's queues as
 * the kernel sees them (net: one pair), eventfds, no node. */
static struct vduse_dev *fake_dev(struct uvdpa_device *d)
{
	struct vduse_dev *v = calloc(1, sizeof(*v));
	uint32_t i;

	if (!v)
		abort();
	v->kops = &fake_kops;
	v->d = d;
	v->fd = -1;
	snprintf(v->name, sizeof(v->name), "%s", d->name);
	v->nvqs = d->nvqs < FAKE_VQS ? d->nvqs : FAKE_VQS;
	v->features = d->ops->get_device_features(d) | (1ULL << 33);   /* ACCESS_PLATFORM */
	v->kick_fds = malloc(v->nvqs * sizeof(int));
	v->irq_fds = malloc(v->nvqs * sizeof(int));
	if (!v->kick_fds || !v->irq_fds)
		abort();
	for (i = 0; i < v->nvqs; i++) {
		v->kick_fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		v->irq_fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}
	v->cfg_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	v->fault.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return v;
}

static void check(struct vduse_dev *v, const struct vduse_dev_request *req,
		  const struct vduse_dev_response *resp, bool other)
{
	if (resp->request_id != req->request_id ||
	    (resp->result != VDUSE_REQ_RESULT_OK && resp->result != VDUSE_REQ_RESULT_FAILED))
		abort();
	/* One driver at a time, and no map without the device. */
	if (other && v->claimed)
		abort();
	if (v->claimed && uvdpa_device_owner(v->d) != vduse_owner)
		abort();
	if (!v->claimed && v->maps.n)
		abort();
}

/* Takes what the input says of a record (see top) and, if the parser
 * accepts it, takes the device over with it. Returns the record's memory
 * (to free once the device has let go of it) or NULL. */
static void *record_input(struct vduse_dev *v, struct uvdpa_device *d, bool raw,
			  const uint8_t **data, size_t *size)
{
	struct vduse_rec_want w;
	size_t len, alloc, hdr, take;
	uint8_t *buf;
	char msg[512];

	vduse_record_want(&w, d, d->ops->get_device_id(d), v->features, v->nvqs);
	len = vduse_record_size(v->nvqs, w.vq_num_max);
	if (raw) {
		if (*size < 2)
			return NULL;
		take = ((size_t)(*data)[0] | (size_t)(*data)[1] << 8);
		*data += 2;
		*size -= 2;
		if (take > *size)
			take = *size;
		len = take;
	}
	alloc = (len + 4095) & ~(size_t)4095;
	buf = aligned_alloc(4096, alloc ? alloc : 4096);
	if (!buf)
		abort();
	memset(buf, 0, alloc ? alloc : 4096);
	if (raw) {
		memcpy(buf, *data, take);
	} else {
		struct vduse_rec_hdr *h = (struct vduse_rec_hdr *)buf;

		vduse_record_fill(h, &w, len);
		hdr = (sizeof(*h) + 63) & ~(size_t)63;
		uint8_t sf[9] = { 0 };  /* status, driver features */

		take = *size < sizeof(sf) ? *size : sizeof(sf);
		memcpy(sf, *data, take);
		h->status = sf[0];
		memcpy(&h->driver_features, sf + 1, sizeof(h->driver_features));
		*data += take;
		*size -= take;
		take = *size < len - hdr ? *size : len - hdr;
		memcpy(buf + hdr, *data, take);
	}
	*data += take;
	*size -= take;
	if (vduse_record_check(buf, len, &w, msg, sizeof(msg)) < 0) {
		free(buf);
		return NULL;
	}
	v->rec = (struct vduse_rec_hdr *)buf;
	v->rec_len = len;
	v->resuming = true;
	if (vduse_msg_resume(&face, v, msg, sizeof(msg)) < 0 && v->claimed)
		abort();        /* a refused takeover lets go of the device */
	if (v->resuming)
		abort();
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t types[3] = { VDUSE_SET_STATUS, VDUSE_GET_VQ_STATE,
					   VDUSE_UPDATE_IOTLB };
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	struct uvdpa_device *d;
	struct vduse_dev *v;
	unsigned n = 0;
	void *rec = NULL;
	uint8_t mode;
	size_t take;

	if (size < 1)
		return 0;
	d = devs[data[0] & 1];
	mode = data[0];
	data++;
	size--;
	memset(&fk, 0, sizeof(fk));
	take = size < sizeof(fk) ? size : sizeof(fk);
	memcpy(&fk, data, take);
	data += take;
	size -= take;
	v = fake_dev(d);
	if (mode & 2)
		rec = record_input(v, d, mode & 4, &data, &size);
	while (size >= 1 && n++ < MAX_REQS) {
		uint8_t ctl = data[0];
		bool other = false;

		memset(&req, 0, sizeof(req));
		take = size - 1 < sizeof(req) ? size - 1 : sizeof(req);
		memcpy(&req, data + 1, take);
		data += 1 + take;
		size -= 1 + take;
		if ((ctl & 3) != 3)
			req.type = types[ctl & 3];
		if (ctl & 4)
			other = uvdpa_device_claim(d, other_owner, NULL) == 0;
		vduse_msg_handle(&face, v, &req, &resp);
		vduse_msg_after(&face, v);
		check(v, &req, &resp, other);
		/* The device ran into a hole in its map (the SIGBUS guard):
		 * what the face thread does when the guard wakes it. */
		if (atomic_load(&v->fault.faulted))
			vduse_fault(&face, v);
		if (other)
			uvdpa_device_release(d, other_owner);
	}
	/* The kernel's reset: the device is free and maps nothing of ours. */
	memset(&req, 0, sizeof(req));
	req.type = VDUSE_SET_STATUS;
	vduse_msg_handle(&face, v, &req, &resp);
	vduse_msg_after(&face, v);
	if (resp.result != VDUSE_REQ_RESULT_OK || v->claimed || v->maps.n ||
	    uvdpa_device_owner(d) != NULL)
		abort();
	/* Not a mapping: the harness's own memory, free now the device is reset. */
	v->rec = NULL;
	free(rec);
	vduse_dev_free(&face, v);
	return 0;
}
