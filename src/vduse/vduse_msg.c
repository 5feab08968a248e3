// SPDX-License-Identifier: MIT
/*
 * The kernel's side of the conversation: VDUSE_SET_STATUS, VDUSE_GET_VQ_STATE
 * and VDUSE_UPDATE_IOTLB, read from /dev/vduse/NAME without blocking and
 * answered at once (the kernel's caller waits for each answer, up to its
 * msg_timeout). Interrupts and config changes come from the device as
 * eventfd writes and leave as ioctls from here, outside any device lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vduse/vduse_priv.h"

#define F_RING_PACKED 34

const char vduse_owner[] = "the kernel (VDUSE)";

int vduse_kioctl(struct vduse_dev *v, unsigned long req, void *arg)
{
	return v->kops ? v->kops->ioctl(v, req, arg) : ioctl(v->fd, req, arg);
}

static void drain_eventfd(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}

void vduse_set_callbacks(struct vduse_dev *v)
{
	struct uvdpa_callback cb = { .fn = NULL, .opaque = NULL, .trigger_fd = v->cfg_fd };

	if (v->d->ops->set_config_cb)
		v->d->ops->set_config_cb(v->d, &cb);
}

/*
 * The queue records what it takes and completes in its area of the record,
 * so that a uvdpad after us resubmits what was in flight (blk completes out
 * of order: the used index alone does not say) and gives back the receive
 * buffers net had taken. Taking over, the area says where the queue is.
 */
static int attach_inflight(struct uvdpa_vduse_face *f, struct vduse_dev *v, uint32_t idx,
			   uint32_t num)
{
	size_t len;
	void *area = vduse_record_area(v, idx, &len);
	int err;

	if (!area || !v->d->ops->set_vq_inflight)
		return 0;
	if (v->resuming && vduse_record_check_area(v, idx, num) < 0) {
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: queue %u: the record's inflight area "
			  "is not for a queue of %u entries", v->name, idx, num);
		return -EBADMSG;
	}
	err = v->d->ops->set_vq_inflight(v->d, (uint16_t)idx, area, len);
	if (err < 0)
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: queue %u: inflight area refused: %s",
			  v->name, idx, strerror(-err));
	return err;
}

/* Programs queue idx from what the kernel's driver set up (VDUSE_VQ_GET_INFO). */
static int setup_vq(struct uvdpa_vduse_face *f, struct vduse_dev *v, uint32_t idx)
{
	struct uvdpa_device *d = v->d;
	struct vduse_vq_info info = { .index = idx };
	struct vduse_vq_eventfd kick = { .index = idx, .fd = v->kick_fds[idx] };
	struct uvdpa_callback cb = { .trigger_fd = v->irq_fds[idx] };
	struct uvdpa_vq_state st;
	int err;

	if (vduse_kioctl(v, VDUSE_VQ_GET_INFO, &info) < 0)
		return -errno;
	if (!info.ready) {
		d->ops->set_vq_ready(d, idx, false);
		return 0;
	}
	d->ops->set_vq_num(d, idx, info.num);
	err = d->ops->set_vq_address(d, idx, info.desc_addr, info.driver_addr, info.device_addr);
	if (err < 0) {
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: queue %u: addresses refused: %s",
			  v->name, idx, strerror(-err));
		return err;
	}
	memset(&st, 0, sizeof(st));
	if ((d->ops->get_driver_features(d) >> F_RING_PACKED) & 1) {
		st.packed.last_avail_counter = info.packed.last_avail_counter & 1;
		st.packed.last_avail_idx = info.packed.last_avail_idx & 0x7fff;
		st.packed.last_used_counter = info.packed.last_used_counter & 1;
		st.packed.last_used_idx = info.packed.last_used_idx & 0x7fff;
	} else {
		st.split.avail_index = info.split.avail_index;
	}
	if (d->ops->set_vq_state && (err = d->ops->set_vq_state(d, idx, &st)) < 0)
		return err;
	if ((err = attach_inflight(f, v, idx, info.num)) < 0)
		return err;
	if (vduse_kioctl(v, VDUSE_VQ_SETUP_KICKFD, &kick) < 0)
		return -errno;
	err = d->ops->set_vq_kick_fd(d, idx, v->kick_fds[idx]);
	if (err < 0)
		return err;
	d->ops->set_vq_cb(d, idx, &cb);
	d->ops->set_vq_ready(d, idx, true);
	return 0;
}

/* DRIVER_OK: the map, then every queue, before the device starts. */
static int driver_ok(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	uint32_t i;
	int err = vduse_iotlb_refresh(f, v);

	/* A driver starting afresh: nothing of a previous one is in flight. */
	if (!v->resuming)
		vduse_record_clear_areas(v);

	if (err < 0) {
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: cannot map the kernel's IOTLB: %s",
			  v->name, strerror(-err));
		return err;
	}
	for (i = 0; i < v->nvqs; i++) {
		err = setup_vq(f, v, i);
		if (err < 0) {
			vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: queue %u: %s", v->name, i,
				  strerror(-err));
			return err;
		}
	}
	vduse_set_callbacks(v);
	return 0;
}

static int features_ok(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	uint64_t feat;
	int err;

	if (vduse_kioctl(v, VDUSE_DEV_GET_FEATURES, &feat) < 0)
		return -errno;
	v->driver_features = feat & v->features;
	/* ACCESS_PLATFORM is VDUSE's: the device translates through its map anyway. */
	feat &= v->d->ops->get_device_features(v->d);
	err = uvdpa_device_set_features(v->d, feat);
	if (err < 0)
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: driver features 0x%llx refused: %s",
			  v->name, (unsigned long long)feat, strerror(-err));
	return err;
}

/* Status 0: the device lets go of the kernel's driver. */
static void reset(struct vduse_dev *v)
{
	if (v->claimed) {
		uvdpa_device_reset(v->d);
		/* The kernel reset its bounce map too: nothing we mapped is current. */
		vduse_iotlb_clear(v);
		uvdpa_device_release(v->d, vduse_owner);
		v->claimed = false;
	}
	v->status = 0;
	v->start_pending = false;
}

/* Status bits that say a driver is on the device. */
#define DRIVING (UVDPA_STATUS_DRIVER | UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK)

/* A driver starts: it may not while another one (a vhost-user front end)
 * has the device; the kernel's driver then sees its status change fail. */
static int claim(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	const char *holder = NULL;

	if (v->claimed)
		return 0;
	if (uvdpa_device_claim(v->d, vduse_owner, &holder) < 0) {
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: the kernel's driver refused: the device "
			  "is driven by %s", v->name, holder ? holder : "another driver");
		return -EBUSY;
	}
	v->claimed = true;
	return 0;
}

/* What the kernel's driver did, for a uvdpad after us; taking over, the
 * record is only read until the device is back where it says. */
static void record_status(struct vduse_dev *v)
{
	if (!v->resuming)
		vduse_record_status(v);
}

static int set_status(struct uvdpa_vduse_face *f, struct vduse_dev *v, uint8_t status)
{
	uint8_t added = status & ~v->status;
	int err;

	vduse_log(f, UVDPA_VDUSE_LOG_DEBUG, "%s: status 0x%02x -> 0x%02x", v->name, v->status, status);
	if (!v->d)
		return status == 0 ? 0 : -ENODEV;
	if (status == 0) {
		reset(v);
		record_status(v);
		return 0;
	}
	/* ACKNOWLEDGE (and FAILED) alone: the virtio core noticed the device, no
	 * driver is on it (it stays so between drivers): the device is not
	 * touched, a front end may be driving it. */
	if (!v->claimed && !(status & DRIVING)) {
		v->status = status;
		record_status(v);
		return 0;
	}
	if ((err = claim(f, v)) < 0)
		return err;
	if ((added & UVDPA_STATUS_FEATURES_OK) && (err = features_ok(f, v)) < 0)
		return err;
	/* A driver that sets DRIVER_OK twice (or after FAILED) gets one setup. */
	if (added & UVDPA_STATUS_DRIVER_OK) {
		err = driver_ok(f, v);
		if (err < 0)
			return err;
		/* virtio_net's probe holds rtnl_lock while it waits for this
		 * answer; a device whose start takes it (net_tap's TAP ioctls)
		 * would wait until the kernel gave up (msg_timeout) and broke
		 * the device. Everything that can fail is done: the device
		 * starts once the kernel has its answer (vduse_msg_after). */
		v->status = status;
		record_status(v);
		v->start_pending = true;
		return 0;
	}
	v->d->ops->set_status(v->d, status);
	v->status = status;
	record_status(v);
	return 0;
}

void vduse_msg_after(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	if (!v->start_pending)
		return;
	v->start_pending = false;
	if (!v->d || !v->claimed)
		return;
	v->d->ops->set_status(v->d, v->status);
	if (v->d->ops->get_status(v->d) & UVDPA_STATUS_NEEDS_RESET)
		vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: the device did not start (it needs a reset)",
			  v->name);
}

/* Before DRIVER_OK the device holds no queue: the state is the one the
 * kernel's driver set (VDUSE keeps it and hands it over at DRIVER_OK). */
static int vq_state_kernel(struct vduse_dev *v, uint32_t idx, struct vduse_vq_state *out)
{
	struct vduse_vq_info info = { .index = idx };

	if (vduse_kioctl(v, VDUSE_VQ_GET_INFO, &info) < 0)
		return -errno;
	out->index = idx;
	out->packed = info.packed;
	out->split = info.split;
	return 0;
}

static int vq_state(struct vduse_dev *v, uint32_t idx, struct vduse_vq_state *out)
{
	struct uvdpa_vq_state st;
	int err;

	if (!v->d || idx >= v->nvqs || !v->d->ops->get_vq_state)
		return -EINVAL;
	if (!v->claimed || !(v->status & UVDPA_STATUS_DRIVER_OK))
		return vq_state_kernel(v, idx, out);
	err = v->d->ops->get_vq_state(v->d, (uint16_t)idx, &st);
	if (err < 0)
		return err;
	out->index = idx;
	if ((v->d->ops->get_driver_features(v->d) >> F_RING_PACKED) & 1) {
		out->packed.last_avail_counter = st.packed.last_avail_counter;
		out->packed.last_avail_idx = st.packed.last_avail_idx;
		out->packed.last_used_counter = st.packed.last_used_counter;
		out->packed.last_used_idx = st.packed.last_used_idx;
	} else {
		out->split.avail_index = st.split.avail_index;
	}
	return 0;
}

/* The kernel changed mappings in [start, last]: whatever the device holds
 * there may be stale, so the map is rebuilt (only while the device runs:
 * before DRIVER_OK the device holds no map). */
static int update_iotlb(struct uvdpa_vduse_face *f, struct vduse_dev *v,
			const struct vduse_iova_range *r)
{
	vduse_log(f, UVDPA_VDUSE_LOG_DEBUG, "%s: IOTLB update 0x%llx-0x%llx", v->name,
		  (unsigned long long)r->start, (unsigned long long)r->last);
	/* Not driving the device (another driver may be): nothing of ours to change. */
	if (!v->d || !v->claimed)
		return 0;
	if (!(v->status & UVDPA_STATUS_DRIVER_OK)) {
		vduse_iotlb_clear(v);
		return 0;
	}
	return vduse_iotlb_refresh(f, v);
}

void vduse_msg_handle(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		      const struct vduse_dev_request *req, struct vduse_dev_response *resp)
{
	int err;

	memset(resp, 0, sizeof(*resp));
	resp->request_id = req->request_id;
	switch (req->type) {
	case VDUSE_SET_STATUS:
		err = set_status(f, v, req->s.status);
		break;
	case VDUSE_GET_VQ_STATE:
		err = vq_state(v, req->vq_state.index, &resp->vq_state);
		break;
	case VDUSE_UPDATE_IOTLB:
		err = update_iotlb(f, v, &req->iova);
		break;
	default:
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: unknown request type %u refused",
			  v->name, req->type);
		err = -EOPNOTSUPP;
	}
	resp->result = err < 0 ? VDUSE_REQ_RESULT_FAILED : VDUSE_REQ_RESULT_OK;
}

static void handle(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		   const struct vduse_dev_request *req)
{
	struct vduse_dev_response resp;

	vduse_msg_handle(f, v, req, &resp);
	/* The kernel takes the answer without waiting; if it gave up on the
	 * request (timeout) the write fails and there is nothing more to do. */
	if (write(v->fd, &resp, sizeof(resp)) != (ssize_t)sizeof(resp))
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: answer to request %u not taken: %s",
			  v->name, req->request_id, strerror(errno));
	vduse_msg_after(f, v);
}

void vduse_msg_drain(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	struct vduse_dev_request req;
	unsigned budget = 64;   /* other devices get their turn */

	while (budget--) {
		ssize_t n = read(v->fd, &req, sizeof(req));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;     /* EAGAIN: all read */
		if (n != (ssize_t)sizeof(req)) {
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: short request (%zd bytes) ignored",
				  v->name, n);
			continue;
		}
		handle(f, v, &req);
	}
}

void vduse_irq(struct uvdpa_vduse_face *f, struct vduse_dev *v, uint32_t idx)
{
	drain_eventfd(v->irq_fds[idx]);
	/* A queue reset or not ready answers EINVAL: nothing to signal. */
	if (ioctl(v->fd, VDUSE_VQ_INJECT_IRQ, &idx) < 0 && errno != EINVAL)
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: queue %u: interrupt not injected: %s",
			  v->name, idx, strerror(errno));
}

void vduse_cfg_changed(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	size_t size = v->d ? v->d->ops->get_config_size(v->d) : 0;
	struct vduse_config_data *cd;

	drain_eventfd(v->cfg_fd);
	if (!size)
		return;
	cd = calloc(1, sizeof(*cd) + size);
	if (!cd)
		return;
	cd->offset = 0;
	cd->length = (uint32_t)size;
	uvdpa_device_get_config(v->d, 0, cd->buffer, (unsigned)size);
	if (ioctl(v->fd, VDUSE_DEV_SET_CONFIG, cd) < 0 ||
	    ioctl(v->fd, VDUSE_DEV_INJECT_CONFIG_IRQ) < 0)
		vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: config change not passed on: %s",
			  v->name, strerror(errno));
	else
		vduse_record_config(v, cd->buffer, size);
	free(cd);
}

/* A vhost_vdpa user shrank the file behind a mapping: the guard put
 * anonymous memory there; the device loses the whole map, so its queues stop
 * at their next access instead of reading stand-in zeros. */
void vduse_fault(struct uvdpa_vduse_face *f, struct vduse_dev *v)
{
	drain_eventfd(v->fault.wake_fd);
	if (!atomic_exchange(&v->fault.faulted, 0))
		return;
	vduse_log(f, UVDPA_VDUSE_LOG_ERROR, "%s: memory behind the kernel's IOTLB vanished "
		  "(a vhost-vdpa user shrank its file); the device's map is dropped", v->name);
	vduse_iotlb_clear(v);
}

/*
 * Taking over (vduse_dev.c take_over): the device is brought to the status
 * the record says the kernel's driver set, through the same steps the
 * driver took, with what the kernel still holds (its driver's features,
 * each queue's setup, the IOTLB) and new kick eventfds. The device then
 * resubmits what its inflight areas hold, every ring is polled once (kicks
 * sent while nobody listened are lost) and every queue gets an interrupt
 * (completions the dead daemon made without signalling them).
 */
int vduse_msg_resume(struct uvdpa_vduse_face *f, struct vduse_dev *v, char *msg, size_t size)
{
	uint8_t want = v->rec->status;
	uint64_t feat = 0;
	uint32_t i;
	int err = 0;

	if (want & UVDPA_STATUS_FEATURES_OK) {
		if (vduse_kioctl(v, VDUSE_DEV_GET_FEATURES, &feat) < 0)
			err = -errno;
		else if ((feat & v->rec->features) != v->rec->driver_features)
			err = -ESTALE;
		if (err < 0) {
			snprintf(msg, size, "vdpa: VDUSE device \"%s\" not taken over: the kernel's "
				 "driver features 0x%llx are not the record's 0x%llx%s%s", v->name,
				 (unsigned long long)feat,
				 (unsigned long long)v->rec->driver_features, err == -ESTALE ? "" : ": ",
				 err == -ESTALE ? "" : strerror(-err));
			goto out;
		}
	}
	if (want & DRIVING) {
		err = set_status(f, v, want & ~(UVDPA_STATUS_FEATURES_OK | UVDPA_STATUS_DRIVER_OK));
		if (!err && (want & UVDPA_STATUS_FEATURES_OK))
			err = set_status(f, v, want & ~UVDPA_STATUS_DRIVER_OK);
		if (!err && (want & UVDPA_STATUS_DRIVER_OK))
			err = set_status(f, v, want);
		if (err < 0)
			snprintf(msg, size, "vdpa: VDUSE device \"%s\" not taken over: the device "
				 "refuses status 0x%02x as recorded: %s", v->name, want, strerror(-err));
	} else {
		v->status = want;
	}
out:
	v->resuming = false;
	if (err < 0) {
		reset(v);
		return err;
	}
	vduse_msg_after(f, v);
	for (i = 0; (want & UVDPA_STATUS_DRIVER_OK) && i < v->nvqs; i++) {
		uint64_t one = 1;

		if (write(v->kick_fds[i], &one, sizeof(one)) != sizeof(one))
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: queue %u: cannot poll it once",
				  v->name, i);
		if (vduse_kioctl(v, VDUSE_VQ_INJECT_IRQ, &i) < 0 && errno != EINVAL)
			vduse_log(f, UVDPA_VDUSE_LOG_WARN, "%s: queue %u: interrupt not injected: %s",
				  v->name, i, strerror(errno));
	}
	vduse_log(f, UVDPA_VDUSE_LOG_INFO, "%s: VDUSE device taken over from a previous uvdpad "
		  "(status 0x%02x, driver features 0x%llx)", v->name, want, (unsigned long long)feat);
	return 0;
}
