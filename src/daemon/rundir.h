/* SPDX-License-Identifier: MIT */
/* The run directory: where it is, who owns it (a lock), and its socket. */
#ifndef UVDPAD_RUNDIR_H
#define UVDPAD_RUNDIR_H

#include <stddef.h>

#define UVDPAD_SOCK_NAME "uvdpa.sock"
#define UVDPAD_LOCK_NAME "uvdpad.lock"
/* Device sockets live here, apart from the daemon's own files, so that no
 * device name can reach uvdpa.sock or the lock: vhost/NAME.sock. */
#define UVDPAD_VHOST_DIR "vhost"

/*
 * -r DIR, else $UVDPA_RUNDIR, else /run/uvdpa for root, else
 * $XDG_RUNTIME_DIR/uvdpa (DESIGN.md). -1 with a message if none applies.
 */
int rundir_resolve(const char *opt, char *buf, size_t size);

/* Creates dir (and missing parents, mode 0755). */
int rundir_create(const char *dir);

/*
 * Takes $DIR/uvdpad.lock (flock, held for the process lifetime through the
 * returned fd). -1 with a message naming the running daemon if it is taken.
 */
int rundir_lock(const char *dir);
/* Removes the lock file and lets go of the lock (at exit). */
void rundir_unlock(const char *dir, int lock_fd);
/* Writes our pid into the lock file (after daemonizing). */
void rundir_lock_write_pid(int lock_fd);

/*
 * Listens on $DIR/uvdpa.sock (SOCK_SEQPACKET, mode 0660). A socket file left
 * by a crashed daemon (connect: ECONNREFUSED) is replaced; a live one is
 * refused. Returns the listening fd or -1 with a message.
 */
int rundir_listen(const char *dir, char *path, size_t size);

/*
 * Creates $DIR/vhost (mode 0755: front ends of other users must reach their
 * sockets) or takes the one a previous daemon left, if it is a real
 * directory of ours. Its path goes to path. -1 with a message.
 */
int rundir_vhost_dir(const char *dir, char *path, size_t size);
/* Removes $DIR/vhost at exit; anything still in it is logged and kept. */
void rundir_vhost_dir_remove(const char *path);

#endif
