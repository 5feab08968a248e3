/* SPDX-License-Identifier: MIT */
/*
 * The faces uvdpad puts devices on (today: the vhost-user face, when it is
 * built). The bus has one listener; the registry fans its add/remove events
 * out to every face and answers "which socket serves this device".
 */
#ifndef UVDPAD_FACES_H
#define UVDPAD_FACES_H

#include <uvdpa/bus.h>

struct face_ops {
	const char *name;
	void *(*create)(struct uvdpa_bus *bus, const char *rundir);
	void (*destroy)(void *face);
	/* 0, or a negative errno with msg[size] saying why ("vdpa: ..."):
	 * the device is then refused and every face already done undone. */
	int (*device_added)(void *face, struct uvdpa_device *d, char *msg, size_t size);
	void (*device_removed)(void *face, struct uvdpa_device *d);
	const char *(*socket_path)(void *face, struct uvdpa_device *d);   /* optional */
	/* optional: NULL when the face does not put d on the kernel's bus, else
	 * the features the kernel refused ("" for none) */
	const char *(*kernel_without)(void *face, struct uvdpa_device *d);
};

#ifdef UVDPAD_HAVE_VHOST_FACE
extern const struct face_ops vhost_face_ops;   /* face_vhost.c */
#endif

#ifdef UVDPAD_HAVE_VDUSE_FACE
extern const struct face_ops vduse_face_ops;   /* face_vduse.c */
#endif

#define FACES_MAX 4

struct faces {
	struct uvdpa_bus *bus;
	enum uvdpa_poll_mode poll;      /* every new device's datapath mode */
	char msg[512];                  /* why the last device was refused */
	unsigned n;
	struct {
		const struct face_ops *ops;
		void *face;
	} f[FACES_MAX];
	/* The kernel face (VDUSE): per device, started at its first use. */
	struct {
		const struct face_ops *ops;     /* NULL: not built */
		void *face;                     /* NULL until a device wants it */
		const char *rundir;
		bool by_default;                /* uvdpad -K */
		int next;                       /* the next device: -1 default, 0 no, 1 yes */
	} kernel;
};

/*
 * Creates every built-in face and becomes the bus's checked listener (a
 * device that a face cannot serve is refused); new devices get datapath mode
 * poll. Device faces live in rundir (vhost-user sockets: rundir/NAME.sock).
 * -1 on failure.
 */
int faces_start(struct faces *fs, struct uvdpa_bus *bus, const char *rundir,
		enum uvdpa_poll_mode poll);
/*
 * Makes the kernel face (VDUSE) available after faces_start, before any device
 * exists: devices that ask for it (faces_next_kernel) are put on the kernel's
 * vdpa bus too, every device when by_default (`uvdpad --vduse`; the face is
 * then started at once so that a failure shows at start-up). -1 on failure.
 */
int faces_set_kernel(struct faces *fs, const struct face_ops *ops, const char *rundir,
		     bool by_default);
/*
 * For mgmt_server_set_export_fn: whether the next device added goes on the
 * kernel's bus (-1: the default). 0, or -EOPNOTSUPP with *msg when asked for
 * a kernel face this uvdpad does not have.
 */
int faces_next_kernel(void *fs, int want, const char **msg);
/* Detaches from the bus and destroys the faces (devices must be gone). */
void faces_stop(struct faces *fs);
/* For mgmt_server_set_vduse_fn: the first kernel face's answer for d. */
const char *faces_kernel_without(void *fs, struct uvdpa_device *d);
/* For mgmt_server_set_socket_path_fn: the first face's socket for d. */
const char *faces_socket_path(void *fs, struct uvdpa_device *d);

#endif
