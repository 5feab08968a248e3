/* SPDX-License-Identifier: MIT */
/* The kernel face's private parts (see vduse_face.h). */
#ifndef UVDPA_VDUSE_PRIV_H
#define UVDPA_VDUSE_PRIV_H

#include <pthread.h>
#include <sys/ioctl.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/vduse.h>

#include "vduse/vduse_face.h"
#include "vhost/vhost_fault.h"

#define VDUSE_CONTROL "/dev/vduse/control"
#define VDUSE_DEV_DIR "/dev/vduse/"

/* One IOTLB range of the kernel's domain, mapped into the daemon. */
struct vduse_mapping {
	uint64_t start, last;   /* IOVA range, inclusive */
	void *host;             /* mmap of the range */
	size_t len;
	uint32_t perm;          /* UVDPA_MAP_* */
	int fault_slot;         /* SIGBUS guard (a vhost_vdpa user's file); -1: none */
};

struct vduse_maps {
	struct vduse_mapping *m;
	unsigned n;
};

struct vduse_dev;

/* The kernel's end of /dev/vduse/NAME as the message handler sees it: the
 * fuzz harness puts a fake here; NULL is the real node (ioctl on fd). */
struct vduse_kernel_ops {
	/* As ioctl(2): -1 with errno, or the ioctl's result. */
	int (*ioctl)(struct vduse_dev *v, unsigned long req, void *arg);
};

struct vduse_dev {
	struct vduse_dev *next;
	const struct vduse_kernel_ops *kops;    /* NULL: the real node */
	uint32_t id;                    /* epoll key; never reused while the face lives */
	struct uvdpa_device *d;         /* NULL: orphan (uvdpa device gone, kernel's not) */
	char name[VDUSE_NAME_MAX];
	int fd;                         /* /dev/vduse/NAME, non-blocking */
	uint32_t nvqs;                  /* queues the kernel sees */
	int *kick_fds;                  /* given with VDUSE_VQ_SETUP_KICKFD, ours */
	int *irq_fds;                   /* the device writes them; we inject */
	int cfg_fd;                     /* config change: the device writes it */
	/* A vhost_vdpa user can shrink the file behind its mappings: a SIGBUS on
	 * them marks this and writes fault.wake_fd (ours). */
	struct vhost_fault_owner fault;
	uint64_t features;              /* offered to the kernel */
	uint8_t status;                 /* last status the kernel set */
	bool claimed;                   /* the kernel's driver holds d (uvdpa_device_claim) */
	bool start_pending;             /* DRIVER_OK answered; the device starts next */
	struct vduse_maps maps;         /* what the device's map points into */
	char subset[160];               /* features dropped for VDUSE, for dev show */
};

struct uvdpa_vduse_face {
	pthread_mutex_t lock;           /* the device list and everything in it */
	pthread_t thread;
	int epfd;
	int stop_fd;                    /* ends the thread */
	int wake_fd;                    /* an orphan appeared: re-arm the timer */
	uint32_t next_id;
	struct vduse_dev *devs;
	unsigned orphans;               /* devices with d == NULL: retry their destroy */
	uvdpa_vduse_log_fn *log;
	void *log_opaque;
};

void vduse_log(struct uvdpa_vduse_face *f, enum uvdpa_vduse_log_level level,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* epoll keys: device id in the high half, what in the low half. */
#define VDUSE_KEY_MSG 0u
#define VDUSE_KEY_CFG 1u
#define VDUSE_KEY_IRQ 2u    /* + queue index */
#define VDUSE_KEY_FAULT 0xfffffffeu
static inline uint64_t vduse_key(const struct vduse_dev *v, uint32_t what)
{
	return ((uint64_t)v->id << 32) | what;
}

/* vduse_dev.c: creation and destruction */
int vduse_dev_create(struct uvdpa_vduse_face *f, struct uvdpa_device *d,
		     struct vduse_dev **out, char *msg, size_t size);
/* Lets go of the uvdpa device (reset, empty map); the VDUSE side stays. */
void vduse_dev_detach(struct uvdpa_vduse_face *f, struct vduse_dev *v);
/* Closes the node and asks the kernel to destroy the device: 0, or -EBUSY
 * (reopened, still ours) or another negative errno. */
int vduse_dev_destroy(struct uvdpa_vduse_face *f, struct vduse_dev *v);
void vduse_dev_free(struct uvdpa_vduse_face *f, struct vduse_dev *v);
int vduse_dev_watch(struct uvdpa_vduse_face *f, struct vduse_dev *v);
void vduse_dev_unwatch(struct uvdpa_vduse_face *f, struct vduse_dev *v);

/* The driver claim's owner tag for the kernel's drivers. */
extern const char vduse_owner[];

/* ioctl on the node, or on the fake kernel. */
int vduse_kioctl(struct vduse_dev *v, unsigned long req, void *arg);

/* vduse_msg.c: the kernel's messages, interrupts and config changes */
void vduse_msg_drain(struct uvdpa_vduse_face *f, struct vduse_dev *v);
/* Answers one request (resp filled, not sent): what drain does per message,
 * then the answer goes to the kernel, then vduse_msg_after. */
void vduse_msg_handle(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		      const struct vduse_dev_request *req, struct vduse_dev_response *resp);
/* What waits for the kernel to have its answer: a device's start. */
void vduse_msg_after(struct uvdpa_vduse_face *f, struct vduse_dev *v);
void vduse_irq(struct uvdpa_vduse_face *f, struct vduse_dev *v, uint32_t idx);
void vduse_cfg_changed(struct uvdpa_vduse_face *f, struct vduse_dev *v);
void vduse_set_callbacks(struct vduse_dev *v);
void vduse_fault(struct uvdpa_vduse_face *f, struct vduse_dev *v);

/* vduse_iotlb.c: the kernel's IOTLB as the device's memory map */
/* Maps every range of the kernel's domain and gives them to the device;
 * then unmaps what the previous map held. */
int vduse_iotlb_refresh(struct uvdpa_vduse_face *f, struct vduse_dev *v);
/* Empty map for the device, then unmaps everything. */
void vduse_iotlb_clear(struct vduse_dev *v);

#endif
