// SPDX-License-Identifier: MIT
/*
 * uvdpad's device list on disk: read once at start-up (each device fed back
 * to the management face as a DEV_NEW), rewritten whole and atomically
 * (temporary file, fsync, rename, fsync of the directory) by the commit hook
 * after each change, before the client is answered. It runs on the event
 * loop's thread and holds no lock: a slow disk delays answers, never a
 * device's datapath or another thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "daemon/log.h"
#include "daemon/state.h"

#define STATE_FILE_NAME "devices"
/* Far more than any real device list; a larger file is not ours. */
#define STATE_FILE_MAX (16u << 20)

struct state {
	char path[PATH_MAX];
	struct state_rec *recs;
	unsigned n, cap;
	/* The file there could not be used: move it aside before writing one. */
	bool blocked;
	int dir_fd;             /* the file's directory, flock()ed: one daemon per list */
};

static int make_dir(const char *path);

const char *state_path(const struct state *st)
{
	return st->path;
}

/* ---- where ---- */

static int default_path(char *buf, size_t size)
{
	const char *sd = getenv("STATE_DIRECTORY");   /* systemd's StateDirectory= */
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (sd && sd[0] == '/')
		n = snprintf(buf, size, "%.*s/" STATE_FILE_NAME, (int)strcspn(sd, ":"), sd);
	else if (geteuid() == 0)
		n = snprintf(buf, size, "/var/lib/uvdpa/" STATE_FILE_NAME);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/uvdpa/" STATE_FILE_NAME, xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/uvdpa/" STATE_FILE_NAME, home);
	else {
		dlog(DLOG_ERROR, "no state file location: set $XDG_STATE_HOME or $HOME, "
		     "or use -S PATH (or --no-state)");
		return -1;
	}
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Relative paths are made absolute: -d changes to / before any write. */
static int given_path(const char *opt, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (opt[0] == '/')
		n = snprintf(buf, size, "%s", opt);
	else if (getcwd(cwd, sizeof(cwd)))
		n = snprintf(buf, size, "%s/%s", cwd, opt);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/*
 * Two daemons writing one list would each drop the other's devices. The
 * lock is on the directory (the file itself is replaced by every write) and
 * lives as long as the daemon, -d's child included.
 */
static int lock_dir(struct state *st)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", st->path);
	*(strrchr(dir, '/') == dir ? dir + 1 : strrchr(dir, '/')) = '\0';
	if (make_dir(st->path) < 0 ||
	    (st->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		/* Not fatal: each change will say why it cannot be saved. */
		dlog(DLOG_WARN, "state directory %s: %s", dir, strerror(errno));
		return 0;
	}
	if (flock(st->dir_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		dlog(DLOG_ERROR, "the state file %s belongs to another uvdpad (%s is locked)",
		     st->path, dir);
	else
		dlog(DLOG_ERROR, "cannot lock %s: %s", dir, strerror(errno));
	return -1;
}

int state_open(const char *opt, bool explicit_rundir, struct state **out)
{
	struct state *st;

	*out = NULL;
	if ((opt && !opt[0]) || (!opt && explicit_rundir)) {
		dlog(DLOG_INFO, "no state file%s: devices last until the daemon stops",
		     opt ? "" : " (a run directory was given; -S PATH keeps devices)");
		return 0;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		dlog(DLOG_ERROR, "out of memory");
		return -1;
	}
	if ((opt ? given_path(opt, st->path, sizeof(st->path)) :
		   default_path(st->path, sizeof(st->path))) < 0) {
		if (opt)
			dlog(DLOG_ERROR, "state file path \"%s\" is unusable", opt);
		free(st);
		return -1;
	}
	st->dir_fd = -1;
	if (lock_dir(st) < 0) {
		state_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void state_free(struct state *st)
{
	unsigned i;

	if (!st)
		return;
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	for (i = 0; i < st->n; i++)
		state_rec_clear(&st->recs[i]);
	free(st->recs);
	free(st);
}

/* ---- the list ---- */

static int find_rec(const struct state *st, const char *name)
{
	unsigned i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->recs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Takes ownership of rec's attributes. */
static int push_rec(struct state *st, struct state_rec *rec)
{
	if (st->n == st->cap) {
		unsigned cap = st->cap ? 2 * st->cap : 8;
		struct state_rec *n = realloc(st->recs, cap * sizeof(*n));

		if (!n)
			return -1;
		st->recs = n;
		st->cap = cap;
	}
	st->recs[st->n++] = *rec;
	memset(rec, 0, sizeof(*rec));
	return 0;
}

static void drop_rec(struct state *st, unsigned i)
{
	state_rec_clear(&st->recs[i]);
	memmove(&st->recs[i], &st->recs[i + 1], (st->n - i - 1) * sizeof(st->recs[0]));
	st->n--;
}

static void drop_all(struct state *st)
{
	while (st->n)
		drop_rec(st, st->n - 1);
}

/* ---- reading ---- */

/* -errno; a file that is not regular (O_NONBLOCK: a FIFO must not hang us) is -EINVAL. */
static int open_file(const struct state *st, size_t *size)
{
	int fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat sb;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		err = -errno;
	else if (S_ISDIR(sb.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(sb.st_mode))
		err = -EINVAL;
	else if (sb.st_size > STATE_FILE_MAX)
		err = -EFBIG;
	if (err) {
		close(fd);
		return err;
	}
	*size = (size_t)sb.st_size;
	return fd;
}

static int read_file(const struct state *st, char **text, size_t *len)
{
	size_t size = 0, got = 0;
	int fd = open_file(st, &size);
	ssize_t n = 1;

	if (fd < 0)
		return fd;
	/* One byte more than fstat said, to see a file that grew. */
	*text = malloc(size + 1);
	while (*text && got <= size && n > 0) {
		n = read(fd, *text + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			got += (size_t)n;
	}
	if (!*text || n < 0) {
		int err = *text ? -errno : -ENOMEM;

		free(*text);
		close(fd);
		return err;
	}
	close(fd);
	*len = got;
	return 0;
}

/* A "set" line belongs to the "dev" line of its device, before it. */
static int take_set(struct state *st, struct state_rec *rec, int i)
{
	struct state_rec *dev = i >= 0 ? &st->recs[i] : NULL;

	if (!dev || dev->set_len) {
		dlog(DLOG_ERROR, dev ? "%s:%u: a second \"set\" line for device \"%s\"" :
		     "%s:%u: \"set\" for device \"%s\" without its \"dev\" line before it",
		     st->path, rec->line, rec->name);
		state_rec_clear(rec);
		return -1;
	}
	dev->set_attrs = rec->attrs;
	dev->set_len = rec->len;
	rec->attrs = NULL;
	state_rec_clear(rec);
	return 0;
}

static int take_line(struct state *st, const char *line, size_t len, unsigned lineno,
		     bool *header)
{
	struct state_rec rec;
	char err[200];
	int dup;

	if (len >= STATE_LINE_MAX) {
		dlog(DLOG_ERROR, "%s:%u: line longer than %u bytes", st->path, lineno,
		     STATE_LINE_MAX);
		return -1;
	}
	if (state_fmt_parse_line(line, len, header, &rec, err, sizeof(err)) < 0) {
		dlog(DLOG_ERROR, "%s:%u: %s", st->path, lineno, err);
		return -1;
	}
	if (!rec.name[0])
		return 0;
	rec.line = lineno;
	dup = find_rec(st, rec.name);
	if (rec.cmd == UVDPA_CMD_DEV_ATTR_SET)
		return take_set(st, &rec, dup);
	if (dup >= 0) {
		dlog(DLOG_ERROR, "%s:%u: device \"%s\" again (first on line %u)", st->path,
		     lineno, rec.name, st->recs[dup].line);
		state_rec_clear(&rec);
		return -1;
	}
	if (push_rec(st, &rec) < 0) {
		state_rec_clear(&rec);
		dlog(DLOG_ERROR, "out of memory");
		return -1;
	}
	return 0;
}

/* Every error is logged, so an admin fixes the file in one go; the count is returned. */
static unsigned parse_text(struct state *st, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0, errors = 0;
	bool header = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		lineno++;
		if (!nl) {
			dlog(DLOG_ERROR, "%s:%u: no newline at the end (a truncated line)",
			     st->path, lineno);
			return errors + 1;
		}
		if (take_line(st, p, (size_t)(nl - p), lineno, &header) < 0)
			errors++;
		p = nl + 1;
	}
	if (!header) {
		dlog(DLOG_ERROR, "%s:%u: no \"%s %d\" line", st->path, lineno ? lineno : 1,
		     STATE_MAGIC, STATE_VERSION);
		errors++;
	}
	return errors;
}

/* ---- recreating ---- */

struct reply {
	int err;
	char msg[256];
};

static void reply_sink(void *opaque, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsgerr *e;
	const struct nlattr *a;
	struct reply *r = opaque;

	if (len < NLMSG_HDRLEN + sizeof(*e) || !mnl_nlmsg_ok(nlh, (int)len) ||
	    nlh->nlmsg_type != NLMSG_ERROR)
		return;
	e = mnl_nlmsg_get_payload(nlh);
	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, sizeof(*e)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(r->msg, sizeof(r->msg), "%s", mnl_attr_get_str(a));
	}
}

/* Hands a saved request to the management face as a privileged client's. */
static int replay(struct mgmt_server *srv, uint8_t cmd, const struct state_rec *rec,
		  const unsigned char *attrs, size_t len, struct reply *rep)
{
	size_t cap = MNL_NLMSG_HDRLEN + GENL_HDRLEN + MNL_ATTR_HDRLEN +
		     MNL_ALIGN(sizeof(rec->name)) + len;
	struct mgmt_peer peer = { .pid = getpid(), .uid = geteuid(), .gid = getegid(),
				  .admin = true };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	char *buf = calloc(1, cap);

	if (!buf)
		return -ENOMEM;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = MGMT_VDPA_FAMILY_ID;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = rec->line;
	g = mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = UVDPA_GENL_VERSION;
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, rec->name);
	memcpy((char *)nlh + nlh->nlmsg_len, attrs, len);
	nlh->nlmsg_len += (uint32_t)len;
	rep->err = 1;   /* no answer at all is a failure too */
	rep->msg[0] = '\0';
	mgmt_handle_datagram(srv, buf, nlh->nlmsg_len, &peer, reply_sink, rep);
	free(buf);
	return rep->err > 0 ? -EPROTO : rep->err;
}

/* What DEV_ATTR_SET changed; a refusal leaves the device as DEV_NEW made it. */
static void restore_set(struct state *st, struct mgmt_server *srv, struct state_rec *rec)
{
	struct reply rep;
	int err;

	if (!rec->set_len)
		return;
	err = replay(srv, UVDPA_CMD_DEV_ATTR_SET, rec, rec->set_attrs, rec->set_len, &rep);
	if (err)
		dlog(DLOG_ERROR, "%s: device %s: cannot set again what \"uvdpa dev set\" "
		     "changed: %s%s%s; kept in the file", st->path, rec->name, rep.msg,
		     rep.msg[0] ? " - " : "", strerror(-err));
}

static void recreate_all(struct state *st, struct mgmt_server *srv)
{
	unsigned i, ok = 0;
	struct reply rep;
	int err;

	for (i = 0; i < st->n; i++) {
		struct state_rec *rec = &st->recs[i];

		err = replay(srv, UVDPA_CMD_DEV_NEW, rec, rec->attrs, rec->len, &rep);
		rec->failed = err != 0;
		if (!err) {
			ok++;
			dlog(DLOG_INFO, "restored device %s (%s:%u)", rec->name, st->path, rec->line);
			restore_set(st, srv, rec);
			continue;
		}
		dlog(DLOG_ERROR, "%s:%u: cannot restore device %s: %s%s%s; kept in the file "
		     "for the next start", st->path, rec->line, rec->name, rep.msg,
		     rep.msg[0] ? " - " : "", strerror(-err));
	}
	if (st->n)
		dlog(DLOG_INFO, "restored %u of %u devices from %s", ok, st->n, st->path);
}

void state_load(struct state *st, struct mgmt_server *srv)
{
	char *text = NULL;
	size_t len = 0;
	unsigned errors;
	int err = read_file(st, &text, &len);

	if (err == -ENOENT) {
		dlog(DLOG_INFO, "no state file %s yet: starting without devices", st->path);
		return;
	}
	if (err) {
		dlog(DLOG_ERROR, "cannot read the state file %s: %s; starting without devices. "
		     "It is moved aside (.corrupt-TIME) before the next one is written",
		     st->path, err == -EINVAL ? "not a regular file" : strerror(-err));
		st->blocked = true;
		return;
	}
	errors = parse_text(st, text, len);
	free(text);
	if (errors) {
		drop_all(st);
		st->blocked = true;
		dlog(DLOG_ERROR, "state file %s: %u bad line%s: no device restored from it. "
		     "It is kept as it is until a device is added or deleted, then moved "
		     "aside (.corrupt-TIME)", st->path, errors, errors > 1 ? "s" : "");
		return;
	}
	recreate_all(st, srv);
}

/* ---- writing ---- */

/* mkdir -p of the file's directory (mode 0700: the list names backing files). */
static int make_dir(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/* The unusable file becomes PATH.corrupt-TIME, never replaced or lost. */
static int move_aside(struct state *st)
{
	char dst[PATH_MAX + 40], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	for (i = 0; i < 100; i++) {
		snprintf(dst, sizeof(dst), i ? "%s.corrupt-%s-%d" : "%s.corrupt-%s", st->path,
			 stamp, i);
		if (renameat2(AT_FDCWD, st->path, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
			dlog(DLOG_WARN, "moved the unusable state file %s aside to %s", st->path,
			     dst);
			st->blocked = false;
			return 0;
		}
		if (errno == ENOENT) {  /* the admin took it away already */
			st->blocked = false;
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

static int write_tmp(const struct state *st, char *tmp)
{
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (state_fmt_write(fd, st->recs, st->n) < 0 || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* Replaces the file with the list; a crash leaves the old file or the new one. */
static int save(struct state *st, char *msg, size_t msg_size)
{
	char tmp[PATH_MAX + 16];

	if (make_dir(st->path) < 0) {
		snprintf(msg, msg_size, "cannot create the directory of %s: %s", st->path,
			 strerror(errno));
		return -errno;
	}
	if (st->blocked && move_aside(st) < 0) {
		snprintf(msg, msg_size, "cannot move the unusable %s aside: %s", st->path,
			 strerror(errno));
		return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", st->path);
	if (write_tmp(st, tmp) < 0 || rename(tmp, st->path) < 0) {
		int e = errno;

		unlink(tmp);
		snprintf(msg, msg_size, "cannot write %s: %s", st->path, strerror(e));
		return -e;
	}
	if (fsync_dir(st->path) < 0)
		dlog(DLOG_WARN, "fsync of the directory of %s: %s", st->path, strerror(errno));
	return 0;
}

/* ---- the commit hook ---- */

static int rec_from_request(struct state_rec *rec, const char *name, const void *attrs,
			    size_t len)
{
	const struct nlattr *a;
	size_t off;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	rec->attrs = calloc(1, NLA_ALIGN(len) + NLA_ALIGNTO);
	if (!rec->attrs)
		return -ENOMEM;
	/* The name is the record's own; the rest is kept as validated (the
	 * last attribute may come without its padding: it is added here). */
	for (off = 0; off + NLA_HDRLEN <= len; off += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)((const char *)attrs + off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len - off)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == UVDPA_ATTR_DEV_NAME)
			continue;
		memcpy(rec->attrs + rec->len, a, a->nla_len);
		rec->len += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

static int commit_new(struct state *st, const char *name, const void *attrs, size_t len,
		      char *msg, size_t msg_size)
{
	struct state_rec rec, old = { 0 };
	int i = find_rec(st, name), err;

	if (rec_from_request(&rec, name, attrs, len) < 0)
		return -ENOMEM;
	/* A record that failed at start-up gives way to the admin's new device. */
	if (i >= 0) {
		old = st->recs[i];
		st->recs[i] = rec;
	} else if (push_rec(st, &rec) < 0) {
		state_rec_clear(&rec);
		return -ENOMEM;
	}
	err = save(st, msg, msg_size);
	if (!err) {
		state_rec_clear(&old);
		return 0;
	}
	/* The device is deleted again: the list must not keep it. */
	if (i >= 0) {
		state_rec_clear(&st->recs[i]);
		st->recs[i] = old;
	} else {
		drop_rec(st, st->n - 1);
	}
	snprintf(msg + strlen(msg), msg_size - strlen(msg), "; device not created");
	return err;
}

static const struct nlattr *find_attr(const unsigned char *buf, size_t len, unsigned type)
{
	const struct nlattr *a;
	size_t off;

	for (off = 0; off + NLA_HDRLEN <= len; off += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(buf + off);
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	}
	return NULL;
}

static void put_attr(struct state_rec *out, const struct nlattr *a)
{
	memcpy(out->attrs + out->len, a, NLA_ALIGN(a->nla_len));
	out->len += NLA_ALIGN(a->nla_len);
}

/*
 * DEV_ATTR_SET's attributes replace earlier ones of the same type in the
 * record's set list (the device comes back with the last MAC set); new ones
 * go last.
 */
static int merge_attrs(struct state_rec *rec, const void *attrs, size_t len)
{
	struct state_rec upd, out = { 0 };
	const struct nlattr *a, *b;
	size_t off;

	if (rec_from_request(&upd, rec->name, attrs, len) < 0)
		return -ENOMEM;
	out.attrs = malloc(rec->set_len + upd.len + 1);
	if (!out.attrs) {
		state_rec_clear(&upd);
		return -ENOMEM;
	}
	for (off = 0; off + NLA_HDRLEN <= rec->set_len; off += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(rec->set_attrs + off);
		b = find_attr(upd.attrs, upd.len, a->nla_type & NLA_TYPE_MASK);
		put_attr(&out, b ? b : a);
	}
	for (off = 0; off + NLA_HDRLEN <= upd.len; off += NLA_ALIGN(b->nla_len)) {
		b = (const struct nlattr *)(upd.attrs + off);
		if (!find_attr(rec->set_attrs, rec->set_len, b->nla_type & NLA_TYPE_MASK))
			put_attr(&out, b);
	}
	state_rec_clear(&upd);
	free(rec->set_attrs);
	rec->set_attrs = out.attrs;
	rec->set_len = out.len;
	return 0;
}

static int commit_change(struct state *st, uint8_t cmd, const char *name, const void *attrs,
			 size_t len, char *msg, size_t msg_size)
{
	int i = find_rec(st, name), err;

	if (i < 0)
		return 0;
	if (cmd == UVDPA_CMD_DEV_DEL)
		drop_rec(st, (unsigned)i);
	else if (merge_attrs(&st->recs[i], attrs, len) < 0)
		return -ENOMEM;
	err = save(st, msg, msg_size);
	if (err)
		snprintf(msg + strlen(msg), msg_size - strlen(msg), cmd == UVDPA_CMD_DEV_DEL ?
			 "; deleted, but it comes back at restart" : "; set, but not kept");
	return err;
}

int state_commit(void *opaque, uint8_t cmd, const char *dev_name, const void *attrs,
		 size_t len, char *msg, size_t msg_size)
{
	struct state *st = opaque;

	if (cmd == UVDPA_CMD_DEV_NEW)
		return commit_new(st, dev_name, attrs, len, msg, msg_size);
	if (cmd == UVDPA_CMD_DEV_DEL || cmd == UVDPA_CMD_DEV_ATTR_SET)
		return commit_change(st, cmd, dev_name, attrs, len, msg, msg_size);
	return 0;
}
