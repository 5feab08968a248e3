// SPDX-License-Identifier: MIT
/*
 * uvdpa's OBJECT COMMAND grammar: iproute2 vdpa's keywords, prefix matching
 * and tie order, its messages and exit codes, with the places where iproute2
 * is wrong fixed (see uvdpa(8), "DIFFERENCES FROM IPROUTE2"):
 *  - a lone trailing token is an error instead of being ignored;
 *  - numbers and MAC addresses are checked strictly and errors name the
 *    option and the reason;
 *  - names of 64 characters or more are refused instead of crashing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <uvdpa/vdpa_abi.h>

#include "cli/cmd.h"

#define PROG "uvdpa"

/* iproute2's matches(): a non-empty prefix of the keyword. */
static bool matches(const char *word, const char *keyword)
{
	size_t n = strlen(word);

	return n && strncmp(word, keyword, n) == 0;
}

void cli_usage(FILE *err)
{
	fprintf(err,
		"Usage: " PROG " [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"where  OBJECT := { mgmtdev | dev }\n"
		"       OPTIONS := { -V[ersion] | -n[o-nice-names] | -j[son] | -p[retty] }\n");
}

static void mgmtdev_help(FILE *err)
{
	fprintf(err, "Usage: " PROG " mgmtdev show [ DEV ]\n");
}

static void dev_help(FILE *err)
{
	static const char add[] = "       " PROG " dev add name NAME mgmtdev MANAGEMENTDEV ";
	int pad = (int)sizeof(add) - 1;

	fprintf(err, "Usage: " PROG " dev show [ DEV ]\n");
	fprintf(err, "%s[ mac MACADDR ] [ mtu MTU ]\n", add);
	fprintf(err, "%*s[ max_vqp MAX_VQ_PAIRS ]\n", pad, "");
	fprintf(err, "%*s[ device_features DEVICE_FEATURES ]\n", pad, "");
	fprintf(err, "%*s[ capacity SECTORS ] [ num_queues NUM_QUEUES ]\n", pad, "");
	fprintf(err, "%*s[ path PATH ] [ readonly ] [ direct { on | off } ] [ serial SERIAL ]\n",
		pad, "");
	fprintf(err, "%*s[ tap IFNAME ]\n", pad, "");
	fprintf(err, "       " PROG " dev del DEV\n");
	fprintf(err, "       " PROG " dev set name NAME mac MACADDR\n");
	fprintf(err, "Usage: " PROG " dev config COMMAND [ OPTIONS ]\n");
	fprintf(err, "Usage: " PROG " dev vstats COMMAND\n");
}

static void config_help(FILE *err)
{
	fprintf(err, "Usage: " PROG " dev config show [ DEV ]\n");
}

static void vstats_help(FILE *err)
{
	fprintf(err, "Usage: " PROG " dev vstats show DEV [qidx QUEUE_INDEX]\n");
}

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

int cli_parse_udec(const char *what, const char *s, uint64_t max, uint64_t *out, FILE *err)
{
	uint64_t v = 0;
	const char *c;

	if (!*s)
		goto nan;
	for (c = s; *c; c++) {
		unsigned d = (unsigned)(*c - '0');

		if (d > 9)
			goto nan;
		if (v > (max - d) / 10)
			goto range;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
nan:
	fprintf(err, "Invalid %s \"%s\": not a decimal number.\n", what, s);
	return -1;
range:
	fprintf(err, "Invalid %s \"%s\": out of range (0-%llu).\n", what, s,
		(unsigned long long)max);
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cli_parse_uhex(const char *what, const char *s, uint64_t *out, FILE *err)
{
	const char *c = s;
	uint64_t v = 0;

	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X'))
		c += 2;
	if (!*c)
		goto nan;
	for (; *c; c++) {
		int d = hexval(*c);

		if (d < 0)
			goto nan;
		if (v >> 60) {
			fprintf(err, "Invalid %s \"%s\": out of range (more than 64 bits).\n",
				what, s);
			return -1;
		}
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
nan:
	fprintf(err, "Invalid %s \"%s\": not a hexadecimal number.\n", what, s);
	return -1;
}

/*
 * Exactly six colon-separated bytes of one or two hex digits. A bad byte
 * gets iproute2's message; a short or long address (which iproute2 pads with
 * zeros or truncates) is refused.
 */
int cli_parse_mac(const char *s, uint8_t mac[6], FILE *err)
{
	const char *p = s;
	int n = 0;

	for (;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (n == 6) {           /* a seventh byte */
			n++;
			break;
		}
		if (len < 1 || len > 2 || hexval(p[0]) < 0 ||
		    (len == 2 && hexval(p[1]) < 0)) {
			fprintf(err, "\"%.*s\" is invalid lladdr.\n", (int)len, p);
			return -1;
		}
		mac[n++] = (uint8_t)(len == 2 ? hexval(p[0]) << 4 | hexval(p[1]) : hexval(p[0]));
		if (!end)
			break;
		p = end + 1;
	}
	if (n != 6) {
		fprintf(err, "Invalid mac \"%s\": expected 6 bytes (xx:xx:xx:xx:xx:xx).\n", s);
		return -1;
	}
	return 0;
}

/* The daemon's own limit and words, so both refuse a name alike. */
static int check_dev_name(const char *s, FILE *err)
{
	if (strlen(s) <= UVDPA_DEV_NAME_MAX)
		return 0;
	fprintf(err, "Error: %s.\n", UVDPA_DEV_NAME_TOO_LONG_MSG);
	return -1;
}

static int check_name(const char *what, const char *s, FILE *err)
{
	size_t len = strlen(s);

	if (len <= CLI_NAME_MAX)
		return 0;
	fprintf(err, "%s is too long (%zu characters, at most %d).\n", what, len, CLI_NAME_MAX);
	return -1;
}

/* MGMTDEV := NAME | BUS/NAME */
static int parse_handle(const char *s, struct cli_opts *o, FILE *err)
{
	const char *slash = strchr(s, '/');

	if (slash && strchr(slash + 1, '/')) {
		fprintf(err, "Wrong vdpa mgmtdev identification string format\n"
			"Expected \"mgmtdev_bus_name/mgmtdev_name\"\n"
			"Expected \"mgmtdev_name\"\n");
		return -1;
	}
	if (check_name("management device handle", s, err))
		return -1;
	o->has_bus = slash != NULL;
	if (slash) {
		memcpy(o->bus, s, (size_t)(slash - s));
		o->bus[slash - s] = '\0';
		strcpy(o->mgmtdev, slash + 1);
	} else {
		strcpy(o->mgmtdev, s);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

/* blk_file's keywords. */
static int blk_file_value(unsigned opt, const char *kw, const char *v, struct cli_opts *o,
			  FILE *err)
{
	switch (opt) {
	case CLI_OPT_PATH:
		if (!v[0] || strlen(v) > CLI_PATH_MAX) {
			fprintf(err, "path must be 1 to %d bytes\n", CLI_PATH_MAX);
			return -1;
		}
		o->path = v;
		return 0;
	case CLI_OPT_READONLY:
		return 0;
	case CLI_OPT_DIRECT:
	case CLI_OPT_VDUSE:
		if (strcmp(v, "on") && strcmp(v, "off")) {
			fprintf(err, "\"%s\" must be \"on\" or \"off\", not \"%s\"\n", kw, v);
			return -1;
		}
		*(opt == CLI_OPT_DIRECT ? &o->direct : &o->vduse) = strcmp(v, "on") == 0;
		return 0;
	case CLI_OPT_SERIAL:
		o->serial = v;
		return 0;
	case CLI_OPT_TAP:
		/* IFNAMSIZ - 1: uvdpad says so too, but this names the keyword */
		if (!v[0] || strlen(v) > 15) {
			fprintf(err, "tap must be an interface name of 1 to 15 bytes\n");
			return -1;
		}
		o->tap = v;
		return 0;
	}
	return -1;
}

static int opt_value(unsigned opt, const char *kw, const char *v, struct cli_opts *o, FILE *err)
{
	uint64_t n;

	switch (opt) {
	case CLI_OPT_NAME:
		if (check_dev_name(v, err))
			return -1;
		o->name = v;
		return 0;
	case CLI_OPT_MGMTDEV:
		return parse_handle(v, o, err);
	case CLI_OPT_MAC:
		return cli_parse_mac(v, o->mac, err);
	case CLI_OPT_MTU:
		if (cli_parse_udec(kw, v, UINT16_MAX, &n, err))
			return -1;
		o->mtu = (uint16_t)n;
		return 0;
	case CLI_OPT_MAX_VQP:
		if (cli_parse_udec(kw, v, UINT16_MAX, &n, err))
			return -1;
		o->max_vqp = (uint16_t)n;
		return 0;
	case CLI_OPT_QIDX:
		if (cli_parse_udec(kw, v, UINT32_MAX, &n, err))
			return -1;
		o->qidx = (uint32_t)n;
		return 0;
	case CLI_OPT_FEATURES:
		return cli_parse_uhex(kw, v, &o->features, err);
	case CLI_OPT_CAPACITY:
		return cli_parse_udec(kw, v, UINT64_MAX, &o->capacity, err);
	case CLI_OPT_NUM_QUEUES:
		if (cli_parse_udec(kw, v, UINT16_MAX, &n, err))
			return -1;
		o->num_queues = (uint16_t)n;
		return 0;
	}
	return blk_file_value(opt, kw, v, o, err);
}

/* Keywords that take no value. */
#define CLI_FLAG_OPTS CLI_OPT_READONLY

/* Checked in this order, the first match that the command allows wins. */
static const struct keyword {
	const char *word;
	bool prefix;
	unsigned opt;
} keywords[] = {
	{ "name",            true,  CLI_OPT_NAME },
	{ "mgmtdev",         true,  CLI_OPT_MGMTDEV },
	{ "mac",             false, CLI_OPT_MAC },
	{ "mtu",             false, CLI_OPT_MTU },
	{ "max_vqp",         true,  CLI_OPT_MAX_VQP },
	{ "qidx",            false, CLI_OPT_QIDX },
	{ "device_features", false, CLI_OPT_FEATURES },
	{ "capacity",        false, CLI_OPT_CAPACITY },
	{ "num_queues",      false, CLI_OPT_NUM_QUEUES },
	{ "path",            false, CLI_OPT_PATH },
	{ "readonly",        false, CLI_OPT_READONLY },
	{ "direct",          false, CLI_OPT_DIRECT },
	{ "serial",          false, CLI_OPT_SERIAL },
	{ "tap",             false, CLI_OPT_TAP },
	{ "vduse",           false, CLI_OPT_VDUSE },
};

static const struct keyword *find_keyword(const char *word, unsigned allowed)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const struct keyword *k = &keywords[i];
		bool hit = k->prefix ? matches(word, k->word) : strcmp(word, k->word) == 0;

		if (hit && (allowed & k->opt))
			return k;
	}
	return NULL;
}

static int check_required(unsigned required, unsigned found, FILE *err)
{
	unsigned missing = required & ~found;

	if (missing & CLI_OPT_MGMTDEV) {
		fprintf(err, "management device handle not set.\n");
		return -1;
	}
	if (missing & CLI_OPT_NAME) {
		fprintf(err, "device name is not set.\n");
		return -1;
	}
	if (missing & CLI_OPT_QIDX) {
		fprintf(err, "queue index is not set.\n");
		return -1;
	}
	return 0;
}

/*
 * An optional positional handle, then KEYWORD VALUE pairs. Required options
 * are checked before a lone leftover token is reported, so that iproute2's
 * messages stay the same wherever it did print one.
 */
static int parse_opts(int argc, char **argv, unsigned required, unsigned optional,
		      struct cli_opts *o, FILE *err)
{
	unsigned allowed = required | optional, found = 0;
	const struct keyword *k;

	if (required & (CLI_OPT_MGMTDEV_HANDLE | CLI_OPT_DEV_HANDLE)) {
		if (argc <= 0) {
			fprintf(err, "String parameter expected\n");
			return -1;
		}
		if (required & CLI_OPT_MGMTDEV_HANDLE) {
			if (parse_handle(argv[0], o, err))
				return -1;
			found |= CLI_OPT_MGMTDEV_HANDLE;
		} else {
			if (check_dev_name(argv[0], err))
				return -1;
			o->name = argv[0];
			found |= CLI_OPT_DEV_HANDLE;
		}
		argc--;
		argv++;
	}
	while (argc >= 1) {
		k = find_keyword(argv[0], allowed);
		if (k && (k->opt & CLI_FLAG_OPTS)) {
			found |= k->opt;
			argc--;
			argv++;
			continue;
		}
		if (argc < 2)
			break;
		if (!k) {
			fprintf(err, "Unknown option \"%s\"\n", argv[0]);
			return -1;
		}
		if (opt_value(k->opt, k->word, argv[1], o, err))
			return -1;
		found |= k->opt;
		argc -= 2;
		argv += 2;
	}
	if (check_required(required, found, err))
		return -1;
	if (argc == 1) {
		if (find_keyword(argv[0], allowed))
			fprintf(err, "Missing value for option \"%s\".\n", argv[0]);
		else
			fprintf(err, "Unknown option \"%s\"\n", argv[0]);
		return -1;
	}
	o->present = found;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Objects and commands                                               */
/* ------------------------------------------------------------------ */

static enum cli_parse_result done(int rc)
{
	return rc ? CLI_PARSE_ERROR : CLI_PARSE_SEND;
}

static void set_req(struct cli_req *req, uint8_t cmd, bool dump, enum cli_show show,
		    const char *section)
{
	req->cmd = cmd;
	req->dump = dump;
	req->show = show;
	req->section = section;
}

static enum cli_parse_result show_cmd(int argc, char **argv, struct cli_req *req, FILE *err,
				      uint8_t cmd, enum cli_show show, const char *section,
				      unsigned handle)
{
	set_req(req, cmd, argc <= 0, show, section);
	if (argc <= 0)
		return CLI_PARSE_SEND;
	return done(parse_opts(argc, argv, handle, 0, &req->opts, err));
}

static enum cli_parse_result cmd_mgmtdev(int argc, char **argv, struct cli_req *req, FILE *err)
{
	if (argc <= 0 || matches(argv[0], "help")) {
		mgmtdev_help(err);
		return CLI_PARSE_DONE;
	}
	if (matches(argv[0], "show") || matches(argv[0], "list"))
		return show_cmd(argc - 1, argv + 1, req, err, UVDPA_CMD_MGMTDEV_GET,
				CLI_SHOW_MGMTDEV, "mgmtdev", CLI_OPT_MGMTDEV_HANDLE);
	fprintf(err, "Command \"%s\" not found\n", argv[0]);
	return CLI_PARSE_ERROR;
}

static enum cli_parse_result cmd_config(int argc, char **argv, struct cli_req *req, FILE *err)
{
	if (argc > 0 && matches(argv[0], "help")) {
		config_help(err);
		return CLI_PARSE_DONE;
	}
	if (argc <= 0)
		return show_cmd(0, argv, req, err, UVDPA_CMD_DEV_CONFIG_GET, CLI_SHOW_CONFIG,
				"config", CLI_OPT_DEV_HANDLE);
	if (matches(argv[0], "show"))
		return show_cmd(argc - 1, argv + 1, req, err, UVDPA_CMD_DEV_CONFIG_GET,
				CLI_SHOW_CONFIG, "config", CLI_OPT_DEV_HANDLE);
	fprintf(err, "Command \"%s\" not found\n", argv[0]);
	return CLI_PARSE_ERROR;
}

static enum cli_parse_result cmd_vstats(int argc, char **argv, struct cli_req *req, FILE *err)
{
	if (argc <= 0) {
		vstats_help(err);
		return CLI_PARSE_ERROR;
	}
	if (strcmp(argv[0], "help") == 0) {
		vstats_help(err);
		return CLI_PARSE_DONE;
	}
	if (strcmp(argv[0], "show") == 0) {
		argc--;
		argv++;
		if (argc != 1 && argc != 3) {
			vstats_help(err);
			return CLI_PARSE_ERROR;
		}
		set_req(req, UVDPA_CMD_DEV_VSTATS_GET, false, CLI_SHOW_VSTATS, "vstats");
		return done(parse_opts(argc, argv, CLI_OPT_DEV_HANDLE, CLI_OPT_QIDX,
				       &req->opts, err));
	}
	fprintf(err, "Command \"%s\" not found\n", argv[0]);
	return CLI_PARSE_ERROR;
}

static enum cli_parse_result cmd_dev(int argc, char **argv, struct cli_req *req, FILE *err)
{
	if (argc <= 0)
		return show_cmd(0, argv, req, err, UVDPA_CMD_DEV_GET, CLI_SHOW_DEV, "dev",
				CLI_OPT_DEV_HANDLE);
	if (matches(argv[0], "help")) {
		dev_help(err);
		return CLI_PARSE_DONE;
	}
	if (matches(argv[0], "show") || matches(argv[0], "list"))
		return show_cmd(argc - 1, argv + 1, req, err, UVDPA_CMD_DEV_GET, CLI_SHOW_DEV,
				"dev", CLI_OPT_DEV_HANDLE);
	if (matches(argv[0], "add")) {
		set_req(req, UVDPA_CMD_DEV_NEW, false, CLI_SHOW_NONE, NULL);
		return done(parse_opts(argc - 1, argv + 1, CLI_OPT_MGMTDEV | CLI_OPT_NAME,
				       CLI_OPT_MAC | CLI_OPT_MTU | CLI_OPT_MAX_VQP |
				       CLI_OPT_FEATURES | CLI_OPT_CAPACITY | CLI_OPT_NUM_QUEUES |
				       CLI_OPT_PATH | CLI_OPT_READONLY | CLI_OPT_DIRECT |
				       CLI_OPT_SERIAL | CLI_OPT_TAP | CLI_OPT_VDUSE,
				       &req->opts, err));
	}
	if (matches(argv[0], "del")) {
		set_req(req, UVDPA_CMD_DEV_DEL, false, CLI_SHOW_NONE, NULL);
		return done(parse_opts(argc - 1, argv + 1, CLI_OPT_DEV_HANDLE, 0, &req->opts, err));
	}
	if (matches(argv[0], "config"))
		return cmd_config(argc - 1, argv + 1, req, err);
	if (strcmp(argv[0], "vstats") == 0)
		return cmd_vstats(argc - 1, argv + 1, req, err);
	if (strcmp(argv[0], "set") == 0) {
		set_req(req, UVDPA_CMD_DEV_ATTR_SET, false, CLI_SHOW_NONE, NULL);
		return done(parse_opts(argc - 1, argv + 1, CLI_OPT_NAME, CLI_OPT_MAC,
				       &req->opts, err));
	}
	fprintf(err, "Command \"%s\" not found\n", argv[0]);
	return CLI_PARSE_ERROR;
}

enum cli_parse_result cli_parse(int argc, char **argv, struct cli_req *req, FILE *err)
{
	memset(req, 0, sizeof(*req));
	if (argc <= 0 || matches(argv[0], "help")) {
		cli_usage(err);
		return CLI_PARSE_DONE;
	}
	if (matches(argv[0], "mgmtdev"))
		return cmd_mgmtdev(argc - 1, argv + 1, req, err);
	if (matches(argv[0], "dev"))
		return cmd_dev(argc - 1, argv + 1, req, err);
	fprintf(err, "Object \"%s\" not found\n", argv[0]);
	return CLI_PARSE_ERROR;
}

/* ------------------------------------------------------------------ */
/* The request message                                                */
/* ------------------------------------------------------------------ */

size_t cli_req_build(const struct cli_req *req, void *buf, uint16_t family, uint32_t seq)
{
	const struct cli_opts *o = &req->opts;
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	/* libmnl leaves attribute padding as it finds it: send no stray bytes */
	memset(buf, 0, CLI_REQ_BUF);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (req->dump ? NLM_F_DUMP : 0);
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = req->cmd;
	genl->version = UVDPA_GENL_VERSION;

	if (o->present & (CLI_OPT_MGMTDEV_HANDLE | CLI_OPT_MGMTDEV)) {
		if (o->has_bus)
			mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_BUS_NAME, o->bus);
		mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, o->mgmtdev);
	}
	if (o->present & (CLI_OPT_NAME | CLI_OPT_DEV_HANDLE))
		mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, o->name);
	if (o->present & CLI_OPT_MAC)
		mnl_attr_put(nlh, UVDPA_ATTR_DEV_NET_CFG_MACADDR, sizeof(o->mac), o->mac);
	if (o->present & CLI_OPT_MTU)
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MTU, o->mtu);
	if (o->present & CLI_OPT_MAX_VQP)
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_NET_CFG_MAX_VQP, o->max_vqp);
	if (o->present & CLI_OPT_QIDX)
		mnl_attr_put_u32(nlh, UVDPA_ATTR_DEV_QUEUE_INDEX, o->qidx);
	if (o->present & CLI_OPT_FEATURES)
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_FEATURES, o->features);
	if (o->present & CLI_OPT_CAPACITY)
		mnl_attr_put_u64(nlh, UVDPA_ATTR_DEV_BLK_CFG_CAPACITY, o->capacity);
	if (o->present & CLI_OPT_NUM_QUEUES)
		mnl_attr_put_u16(nlh, UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES, o->num_queues);
	if (o->present & CLI_OPT_PATH)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_UVDPA_BLK_PATH, o->path);
	if (o->present & CLI_OPT_READONLY)
		mnl_attr_put_u8(nlh, UVDPA_ATTR_DEV_BLK_READ_ONLY, 1);
	if (o->present & CLI_OPT_DIRECT)
		mnl_attr_put_u8(nlh, UVDPA_ATTR_UVDPA_BLK_DIRECT, o->direct);
	if (o->present & CLI_OPT_SERIAL)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_UVDPA_BLK_SERIAL, o->serial);
	if (o->present & CLI_OPT_TAP)
		mnl_attr_put_strz(nlh, UVDPA_ATTR_UVDPA_NET_TAP, o->tap);
	if (o->present & CLI_OPT_VDUSE)
		mnl_attr_put_u8(nlh, UVDPA_ATTR_UVDPA_EXPORT_VDUSE, o->vduse);
	return nlh->nlmsg_len;
}
