/* SPDX-License-Identifier: MIT */
/* The kernel face's private parts (see vduse_face.h). */
#ifndef UVDPA_VDUSE_PRIV_H
#define UVDPA_VDUSE_PRIV_H

#include <pthread.h>
#include <sys/ioctl.h>
#include <stdbool.h>
#include <limits.h>
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

/* The record a device leaves for the next uvdpad (vduse_record.c). */
#define VDUSE_REC_MAGIC "uvdpaVDR"
#define VDUSE_REC_VERSION 1
#define VDUSE_REC_CONFIG_MAX 256
#define VDUSE_REC_BOOT_ID 40
struct vduse_rec_hdr {
	char magic[8];
	uint32_t version;               /* written last */
	uint32_t hdr_size;
	uint64_t file_size;
	char boot_id[VDUSE_REC_BOOT_ID];   /* /proc/sys/kernel/random/boot_id */
	uint64_t node_ino, node_rdev;   /* /dev/vduse/NAME: which kernel device */
	uint64_t features;              /* offered to the kernel */
	uint64_t driver_features;       /* as of FEATURES_OK */
	uint32_t device_id, nvqs;       /* nvqs: the kernel's view */
	uint32_t config_size, vq_num_max;
	uint8_t status;                 /* last status the kernel set and we took */
	uint8_t pad[7];
	uint8_t config[VDUSE_REC_CONFIG_MAX];
};

/* What a record must say to describe the device being exported. */
struct vduse_rec_want {
	char boot_id[VDUSE_REC_BOOT_ID];
	uint64_t node_ino, node_rdev;
	uint64_t features;
	uint32_t device_id, nvqs, config_size, vq_num_max;
	uint8_t config[VDUSE_REC_CONFIG_MAX];
};

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
	uint64_t driver_features;       /* the kernel's driver's, as of FEATURES_OK */
	uint8_t status;                 /* last status the kernel set */
	bool claimed;                   /* the kernel's driver holds d (uvdpa_device_claim) */
	bool start_pending;             /* DRIVER_OK answered; the device starts next */
	struct vduse_maps maps;         /* what the device's map points into */
	char subset[160];               /* features dropped for VDUSE, for dev show */
	/* What survives us (vduse_record.c); NULL: nothing (no run directory). */
	struct vduse_rec_hdr *rec;
	size_t rec_len;
	char rec_path[PATH_MAX];
	bool resuming;                  /* taking over: the inflight areas hold the truth */
};

struct uvdpa_vduse_face {
	pthread_mutex_t lock;           /* the device list and everything in it */
	pthread_t thread;
	int epfd;
	int stop_fd;                    /* ends the thread */
	int wake_fd;                    /* an orphan appeared: re-arm the timer */
	uint32_t next_id;
	char recdir[PATH_MAX];          /* $UVDPA_RUNDIR/vduse: records; "": none */
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
/* Takes over the kernel's device as the record says (v->resuming): 0, or
 * a negative errno with msg saying why (the device is reset then). */
int vduse_msg_resume(struct uvdpa_vduse_face *f, struct vduse_dev *v, char *msg, size_t size);
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

/* vduse_record.c: what a device leaves for the next uvdpad */
size_t vduse_record_size(uint32_t nvqs, uint32_t vq_num_max);
void vduse_record_want(struct vduse_rec_want *w, struct uvdpa_device *d, uint32_t id,
		       uint64_t features, uint32_t nvqs);
/* The parser: 0 if buf[len] is a record of the device w describes; else
 * -EINVAL with msg saying why. Never trusts a field it has not bounded. */
int vduse_record_check(const void *buf, size_t len, const struct vduse_rec_want *w,
		       char *msg, size_t size);
/* A fresh record for a device just created (v->fd open). */
int vduse_record_create(struct uvdpa_vduse_face *f, struct vduse_dev *v,
			const struct vduse_rec_want *w);
/* A record's header for the device w describes, len bytes in all. */
void vduse_record_fill(struct vduse_rec_hdr *h, const struct vduse_rec_want *w, size_t len);
/* The record a previous uvdpad left for the kernel's device on v->fd. */
int vduse_record_open(struct uvdpa_vduse_face *f, struct vduse_dev *v,
		      const struct vduse_rec_want *w, char *msg, size_t size);
/* Queue idx's inflight area (len: its size); NULL without a record. */
void *vduse_record_area(const struct vduse_dev *v, uint32_t idx, size_t *len);
/* 0 if queue idx's area is empty or made for num entries; -EBADMSG. */
int vduse_record_check_area(const struct vduse_dev *v, uint32_t idx, uint32_t num);
void vduse_record_clear_areas(struct vduse_dev *v);
/* Writes v->status (and the driver's features) through. */
void vduse_record_status(struct vduse_dev *v);
void vduse_record_config(struct vduse_dev *v, const void *cfg, size_t len);
void vduse_record_close(struct vduse_dev *v);       /* unmaps, the file stays */
void vduse_record_remove(struct vduse_dev *v);      /* and deletes it */
int vduse_record_dir(struct uvdpa_vduse_face *f, const char *rundir);

#endif
