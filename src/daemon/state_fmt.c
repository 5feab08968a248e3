// SPDX-License-Identifier: MIT
/*
 * The state file's text format, version 1:
 *
 *   # comment (whole lines only)
 *   uvdpa-state 1
 *   dev NAME KEY=VALUE ...
 *   set NAME KEY=VALUE ...
 *
 * One "dev" line per device, in creation order, with the attributes of the
 * DEV_NEW that created it; a "set" line after it holds what DEV_ATTR_SET
 * changed since. KEY is an attribute the line's command takes:
 * the kernel's VDPA_ATTR_ name in lower case without the prefix
 * (mgmtdev_dev_name, dev_net_cfg_mtu, ...) or, for an attribute this table
 * has no name for, its number. VALUE is written as DEV_NEW's policy types
 * the attribute: integers in decimal (0x hex is read too), strings and NAME
 * with every byte outside '!'..'~' and the backslash as \xHH, binary as hex
 * bytes joined by ':'. Anything else is an error with its line number: the
 * file is meant to be read and diffed by people, and only trusted whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "daemon/state.h"

/* The kernel's names (include/uapi/linux/vdpa.h), for the keys. */
static const char *const attr_names[UVDPA_ATTR_MAX] = {
	[UVDPA_ATTR_MGMTDEV_BUS_NAME] = "mgmtdev_bus_name",
	[UVDPA_ATTR_MGMTDEV_DEV_NAME] = "mgmtdev_dev_name",
	[UVDPA_ATTR_DEV_NAME] = "dev_name",
	[UVDPA_ATTR_DEV_NET_CFG_MACADDR] = "dev_net_cfg_macaddr",
	[UVDPA_ATTR_DEV_NET_CFG_MAX_VQP] = "dev_net_cfg_max_vqp",
	[UVDPA_ATTR_DEV_NET_CFG_MTU] = "dev_net_cfg_mtu",
	[UVDPA_ATTR_DEV_QUEUE_INDEX] = "dev_queue_index",
	[UVDPA_ATTR_DEV_FEATURES] = "dev_features",
	[UVDPA_ATTR_DEV_BLK_CFG_CAPACITY] = "dev_blk_cfg_capacity",
	[UVDPA_ATTR_DEV_BLK_CFG_SIZE_MAX] = "dev_blk_cfg_size_max",
	[UVDPA_ATTR_DEV_BLK_CFG_BLK_SIZE] = "dev_blk_cfg_blk_size",
	[UVDPA_ATTR_DEV_BLK_CFG_SEG_MAX] = "dev_blk_cfg_seg_max",
	[UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES] = "dev_blk_cfg_num_queues",
	[UVDPA_ATTR_DEV_BLK_READ_ONLY] = "dev_blk_read_only",
	[UVDPA_ATTR_DEV_BLK_FLUSH] = "dev_blk_flush",
};

#define NLA_HDR ((size_t)NLA_HDRLEN)

void state_rec_clear(struct state_rec *rec)
{
	free(rec->attrs);
	free(rec->set_attrs);
	memset(rec, 0, sizeof(*rec));
}

static const char *attr_key(unsigned type, char *buf, size_t size)
{
	if (type < UVDPA_ATTR_MAX && attr_names[type])
		return attr_names[type];
	snprintf(buf, size, "%u", type);
	return buf;
}

/* -1 if key names no attribute cmd takes. */
static int attr_lookup(uint8_t cmd, const char *key, size_t len)
{
	unsigned type;
	char *end;

	for (type = 0; type < UVDPA_ATTR_MAX; type++)
		if (attr_names[type] && strlen(attr_names[type]) == len &&
		    memcmp(attr_names[type], key, len) == 0)
			break;
	if (type == UVDPA_ATTR_MAX) {
		if (len == 0 || len > 5 || key[0] < '1' || key[0] > '9')
			return -1;
		type = (unsigned)strtoul(key, &end, 10);
		if (end != key + len)
			return -1;
	}
	return mgmt_attr_kind(cmd, type) == MGMT_ATTR_NONE ? -1 : (int)type;
}

/* ---- writing ---- */

static void put_escaped(FILE *f, const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		if (s[i] > ' ' && s[i] <= '~' && s[i] != '\\')
			fputc(s[i], f);
		else
			fprintf(f, "\\x%02x", s[i]);
	}
}

static uint64_t get_uint(const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	uint32_t v32;
	uint16_t v16;

	if (len == 1)
		v = p[0];
	else if (len == 2)
		v = (memcpy(&v16, p, 2), v16);
	else if (len == 4)
		v = (memcpy(&v32, p, 4), v32);
	else if (len == 8)
		memcpy(&v, p, 8);
	return v;
}

static void put_value(FILE *f, uint8_t cmd, unsigned type, const unsigned char *p, size_t len)
{
	size_t i;

	switch (mgmt_attr_kind(cmd, type)) {
	case MGMT_ATTR_STRING:
		put_escaped(f, p, len);
		break;
	case MGMT_ATTR_BINARY:
		for (i = 0; i < len; i++)
			fprintf(f, "%s%02x", i ? ":" : "", p[i]);
		break;
	default:
		/* Feature bits read better in hex; both forms are read back. */
		fprintf(f, type == UVDPA_ATTR_DEV_FEATURES ? "0x%llx" : "%llu",
			(unsigned long long)get_uint(p, len));
		break;
	}
}

static void put_line(FILE *f, uint8_t cmd, const char *name, const unsigned char *attrs,
		     size_t len)
{
	const struct nlattr *a;
	size_t off;
	char num[16];

	fputs(cmd == UVDPA_CMD_DEV_NEW ? "dev " : "set ", f);
	put_escaped(f, (const unsigned char *)name, strlen(name));
	for (off = 0; off + NLA_HDR <= len; off += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(attrs + off);
		fprintf(f, " %s=", attr_key(a->nla_type & NLA_TYPE_MASK, num, sizeof(num)));
		put_value(f, cmd, a->nla_type & NLA_TYPE_MASK, attrs + off + NLA_HDR,
			  a->nla_len - NLA_HDR);
	}
	fputc('\n', f);
}

static void put_rec(FILE *f, const struct state_rec *r)
{
	put_line(f, UVDPA_CMD_DEV_NEW, r->name, r->attrs, r->len);
	if (r->set_len)
		put_line(f, UVDPA_CMD_DEV_ATTR_SET, r->name, r->set_attrs, r->set_len);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int state_fmt_write(int fd, const struct state_rec *recs, unsigned n)
{
	char *text = NULL;
	size_t len = 0;
	unsigned i;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -1;
	fputs("# uvdpad's devices, one per line as the DEV_NEW request that made it;\n"
	      "# written by uvdpad after every change. Edit only while it is stopped.\n", f);
	fprintf(f, "%s %d\n", STATE_MAGIC, STATE_VERSION);
	for (i = 0; i < n; i++)
		put_rec(f, &recs[i]);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	ret = write_all(fd, text, len);
	free(text);
	return ret;
}

/* ---- reading ---- */

struct tok {
	const char *p;
	size_t len;
};

/* The next blank-separated token of [*pos, end); false at the end. */
static bool next_tok(const char **pos, const char *end, struct tok *t)
{
	const char *p = *pos;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	t->p = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	t->len = (size_t)(p - t->p);
	*pos = p;
	return t->len > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undoes put_escaped into out (at most cap bytes); -1 if malformed or too long. */
static ssize_t unescape(const struct tok *t, char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < t->len; i++) {
		int c = (unsigned char)t->p[i];

		if (c == '\\') {
			if (i + 3 >= t->len)
				return -1;
			if (t->p[i + 1] != 'x' || hexval(t->p[i + 2]) < 0 || hexval(t->p[i + 3]) < 0)
				return -1;
			c = hexval(t->p[i + 2]) << 4 | hexval(t->p[i + 3]);
			i += 3;
		} else if (c <= ' ' || c > '~') {
			return -1;
		}
		if (n == cap)
			return -1;
		out[n++] = (char)c;
	}
	return (ssize_t)n;
}

static int parse_uint(const char *s, size_t len, unsigned bytes, uint64_t *out)
{
	char buf[32], *end;
	uint64_t max = bytes == 8 ? UINT64_MAX : (1ULL << (8 * bytes)) - 1;
	int base = 10;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		base = 16;
	else if (len > 1 && buf[0] == '0')
		return -1;      /* not octal, not a typo read as one */
	errno = 0;
	*out = strtoull(buf + (base == 16 ? 2 : 0), &end, base);
	if (errno || *end || end == buf + (base == 16 ? 2 : 0) || *out > max)
		return -1;
	return 0;
}

static ssize_t parse_hex_bytes(const char *s, size_t len, unsigned char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < len; i += 3) {
		if (i + 2 > len || hexval(s[i]) < 0 || hexval(s[i + 1]) < 0 ||
		    (i + 2 < len && s[i + 2] != ':') || (i + 2 < len && i + 3 == len) || n == cap)
			return -1;
		out[n++] = (unsigned char)(hexval(s[i]) << 4 | hexval(s[i + 1]));
	}
	return (ssize_t)n;
}

/* Encodes VALUE as DEV_NEW's policy types attribute type; payload length or -1. */
static ssize_t parse_value(uint8_t cmd, unsigned type, const char *s, size_t len,
			   unsigned char *out, size_t cap)
{
	static const unsigned width[] = {
		[MGMT_ATTR_U8] = 1, [MGMT_ATTR_U16] = 2, [MGMT_ATTR_U32] = 4, [MGMT_ATTR_U64] = 8,
	};
	enum mgmt_attr_kind kind = mgmt_attr_kind(cmd, type);
	struct tok t = { s, len };
	uint64_t v;
	ssize_t n;

	if (kind == MGMT_ATTR_STRING) {
		n = unescape(&t, (char *)out, cap - 1);
		if (n < 0 || memchr(out, '\0', (size_t)n))
			return -1;
		out[n] = '\0';
		return n + 1;
	}
	if (kind == MGMT_ATTR_BINARY)
		return parse_hex_bytes(s, len, out, cap);
	if (parse_uint(s, len, width[kind], &v) < 0)
		return -1;
	if (width[kind] == 1)
		out[0] = (unsigned char)v;
	else if (width[kind] == 2)
		memcpy(out, &(uint16_t){ (uint16_t)v }, 2);
	else if (width[kind] == 4)
		memcpy(out, &(uint32_t){ (uint32_t)v }, 4);
	else
		memcpy(out, &v, 8);
	return width[kind];
}

static const char *kind_name(uint8_t cmd, unsigned type)
{
	static const char *const names[] = {
		[MGMT_ATTR_U8] = "an integer 0-255", [MGMT_ATTR_U16] = "an integer 0-65535",
		[MGMT_ATTR_U32] = "a 32-bit integer", [MGMT_ATTR_U64] = "a 64-bit integer",
		[MGMT_ATTR_STRING] = "a string (bytes outside !-~ as \\xHH)",
		[MGMT_ATTR_BINARY] = "hex bytes joined by ':'",
	};

	return names[mgmt_attr_kind(cmd, type)];
}

static int rec_append(struct state_rec *rec, unsigned type, const unsigned char *p,
		      size_t len)
{
	size_t total = NLA_ALIGN(NLA_HDR + len);
	unsigned char *n = realloc(rec->attrs, rec->len + total);
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDR + len), .nla_type = (uint16_t)type };

	if (!n)
		return -1;
	rec->attrs = n;
	memset(n + rec->len, 0, total);
	memcpy(n + rec->len, &a, sizeof(a));
	memcpy(n + rec->len + NLA_HDR, p, len);
	rec->len += total;
	return 0;
}

static bool rec_has(const struct state_rec *rec, unsigned type)
{
	const struct nlattr *a;
	size_t off;

	for (off = 0; off + NLA_HDR <= rec->len; off += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(rec->attrs + off);
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return true;
	}
	return false;
}

static int parse_attr_value(const struct tok *t, size_t klen, unsigned type,
			    struct state_rec *rec, char *err, size_t esz)
{
	/* No encoding is longer than its text, plus a NUL or an integer's width. */
	unsigned char *val = malloc(t->len + 9);
	size_t vlen = t->len - klen - 1;
	ssize_t n;

	if (!val) {
		snprintf(err, esz, "out of memory");
		return -1;
	}
	n = parse_value(rec->cmd, type, t->p + klen + 1, vlen, val, t->len + 9);
	if (n < 0)
		snprintf(err, esz, "%.*s: bad value \"%.*s\" (want %s)", (int)klen, t->p,
			 (int)(vlen > 64 ? 64 : vlen), t->p + klen + 1, kind_name(rec->cmd, type));
	else if (rec_append(rec, type, val, (size_t)n) < 0)
		snprintf(err, esz, "out of memory");
	free(val);
	return n < 0 || err[0] ? -1 : 0;
}

static int parse_attr(const struct tok *t, struct state_rec *rec, char *err, size_t esz)
{
	const char *eq = memchr(t->p, '=', t->len);
	size_t klen;
	int type;

	if (!eq) {
		snprintf(err, esz, "\"%.*s\" is not KEY=VALUE", (int)(t->len > 64 ? 64 : t->len),
			 t->p);
		return -1;
	}
	klen = (size_t)(eq - t->p);
	type = attr_lookup(rec->cmd, t->p, klen);
	if (type < 0 || type == UVDPA_ATTR_DEV_NAME) {
		snprintf(err, esz, type < 0 ? "unknown attribute \"%.*s\"" :
			 "\"%.*s\": the name goes after \"dev\"", (int)(klen > 64 ? 64 : klen), t->p);
		return -1;
	}
	if (rec_has(rec, (unsigned)type)) {
		snprintf(err, esz, "attribute \"%.*s\" given twice", (int)klen, t->p);
		return -1;
	}
	err[0] = '\0';
	return parse_attr_value(t, klen, (unsigned)type, rec, err, esz);
}

static int parse_name(const struct tok *t, struct state_rec *rec, char *err, size_t esz)
{
	ssize_t n = unescape(t, rec->name, UVDPA_DEV_NAME_MAX);

	if (n <= 0 || memchr(rec->name, '\0', (size_t)n) || memchr(rec->name, '/', (size_t)n)) {
		snprintf(err, esz, "bad device name \"%.*s\" (1-%d bytes, no '/' or NUL)",
			 (int)(t->len > 80 ? 80 : t->len), t->p, UVDPA_DEV_NAME_MAX);
		memset(rec->name, 0, sizeof(rec->name));
		return -1;
	}
	rec->name[n] = '\0';
	return 0;
}

static int parse_dev(const char *pos, const char *end, struct state_rec *rec, char *err,
		     size_t esz)
{
	struct tok t;

	if (!next_tok(&pos, end, &t)) {
		snprintf(err, esz, "\"%s\" without a name",
			 rec->cmd == UVDPA_CMD_DEV_NEW ? "dev" : "set");
		return -1;
	}
	if (parse_name(&t, rec, err, esz) < 0)
		return -1;
	while (next_tok(&pos, end, &t))
		if (parse_attr(&t, rec, err, esz) < 0)
			return -1;
	return 0;
}

static int parse_header(const char *pos, const char *end, bool *header, char *err,
			size_t esz)
{
	struct tok t;
	uint64_t v;

	if (!next_tok(&pos, end, &t) || parse_uint(t.p, t.len, 4, &v) < 0 ||
	    next_tok(&pos, end, &t)) {
		snprintf(err, esz, "expected \"%s %d\"", STATE_MAGIC, STATE_VERSION);
		return -1;
	}
	if (v != STATE_VERSION) {
		snprintf(err, esz, "version %llu: this uvdpad reads version %d",
			 (unsigned long long)v, STATE_VERSION);
		return -1;
	}
	*header = true;
	return 0;
}

int state_fmt_parse_line(const char *line, size_t len, bool *header, struct state_rec *rec,
			 char *err, size_t err_size)
{
	const char *pos = line, *end = line + len;
	struct tok t;
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (memchr(line, '\0', len)) {
		snprintf(err, err_size, "NUL byte in line");
		return -1;
	}
	if (!next_tok(&pos, end, &t) || t.p[0] == '#')
		return 0;
	if (t.len == strlen(STATE_MAGIC) && memcmp(t.p, STATE_MAGIC, t.len) == 0) {
		if (*header) {
			snprintf(err, err_size, "second \"%s\" line", STATE_MAGIC);
			return -1;
		}
		return parse_header(pos, end, header, err, err_size);
	}
	if (!*header) {
		snprintf(err, err_size, "expected \"%s %d\" before anything else", STATE_MAGIC,
			 STATE_VERSION);
		return -1;
	}
	if (t.len == 3 && memcmp(t.p, "dev", 3) == 0) {
		rec->cmd = UVDPA_CMD_DEV_NEW;
	} else if (t.len == 3 && memcmp(t.p, "set", 3) == 0) {
		rec->cmd = UVDPA_CMD_DEV_ATTR_SET;
	} else {
		snprintf(err, err_size, "unknown keyword \"%.*s\" (want \"dev\" or \"set\")",
			 (int)(t.len > 64 ? 64 : t.len), t.p);
		return -1;
	}
	ret = parse_dev(pos, end, rec, err, err_size);
	if (ret < 0)
		state_rec_clear(rec);
	return ret;
}
