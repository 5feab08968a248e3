/* SPDX-License-Identifier: MIT */
/*
 * The state file: uvdpad's device list, kept across restarts and crashes.
 *
 * Each device is stored as the DEV_NEW request that created it (its
 * validated attributes, with DEV_ATTR_SET changes folded in), and recreated
 * at start-up by handing that request back to the management face, so a
 * restored device goes through the same parsing, checks and errors as a
 * client's, and an attribute added to DEV_NEW's policy is persisted with no
 * change here. The file format is in state_fmt.c and uvdpad(8).
 */
#ifndef UVDPAD_STATE_H
#define UVDPAD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvdpa/vdpa_abi.h>
#include "mgmt/mgmt.h"

/*
 * One device: its name, its DEV_NEW attributes other than DEV_NAME, and the
 * DEV_ATTR_SET attributes applied since (the latest of each type), which are
 * replayed as a DEV_ATTR_SET after the DEV_NEW, as they happened: a MAC set
 * on a device provisioned without VIRTIO_NET_F_MAC is not a DEV_NEW MAC.
 */
struct state_rec {
	char name[UVDPA_DEV_NAME_MAX + 1];
	uint8_t cmd;            /* the line's: DEV_NEW ("dev") or DEV_ATTR_SET ("set") */
	unsigned line;          /* where it was read from; 0 if a client added it */
	bool failed;            /* could not be recreated at start-up: kept anyway */
	size_t len;
	unsigned char *attrs;   /* nlattr stream of cmd, owned */
	size_t set_len;
	unsigned char *set_attrs;       /* DEV_ATTR_SET's, owned */
};

/* state_fmt.c: the text format, one line per device. */
#define STATE_MAGIC "uvdpa-state"
#define STATE_VERSION 1
#define STATE_LINE_MAX 65536

/* Writes the header, then a "dev" line per record, each followed by its "set"
 * line if it has one. -1 with errno on failure. */
int state_fmt_write(int fd, const struct state_rec *recs, unsigned n);

/*
 * Parses one line without its newline: a "dev" or "set" line into *rec
 * (rec->cmd says which; attrs allocated), or nothing for a comment or blank
 * line (returns 0, rec->name empty). header tells whether the version line has been seen; a version
 * line sets it. -1 with the reason in err.
 */
int state_fmt_parse_line(const char *line, size_t len, bool *header, struct state_rec *rec,
			 char *err, size_t err_size);

void state_rec_clear(struct state_rec *rec);

/* state.c: the device list and its file. */
struct state;

/*
 * opt: -S PATH as given (NULL if not given, "" for none). explicit_rundir:
 * the run directory was chosen (-r, $UVDPA_RUNDIR), in which case there is
 * no default state file, so two daemons never share one. *out is NULL when
 * the daemon runs without a state file. -1 with a message.
 */
int state_open(const char *opt, bool explicit_rundir, struct state **out);
void state_free(struct state *st);
const char *state_path(const struct state *st);

/*
 * Reads the file and recreates its devices through srv, logging each one
 * that cannot be and why (it stays in the file). A corrupt or unreadable
 * file is logged line by line, recreates nothing and is moved aside before
 * the first write. Never fails: the daemon starts regardless.
 */
void state_load(struct state *st, struct mgmt_server *srv);

/* The mgmt_commit_fn that keeps the file up to date (opaque: the state). */
int state_commit(void *opaque, uint8_t cmd, const char *dev_name, const void *attrs,
		 size_t len, char *msg, size_t msg_size);

#endif
