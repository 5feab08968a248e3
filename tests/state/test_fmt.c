// SPDX-License-Identifier: MIT
/*
 * The state file's line format without a daemon: every value kind written
 * and read back, the canonical form an edited line is rewritten in, and the
 * error (with its reason) for each way a line can be wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/state.h"

static int fails;

static void check(int cond, const char *what)
{
	printf("%s %s\n", cond ? "ok  " : "FAIL", what);
	fails += !cond;
}

static int parse(const char *line, bool *header, struct state_rec *rec, char *err)
{
	err[0] = '\0';
	return state_fmt_parse_line(line, strlen(line), header, rec, err, 200);
}

/* The text state_fmt_write makes of recs, through a memfd. */
static char *written(const struct state_rec *recs, unsigned n)
{
	int fd = memfd_create("state", MFD_CLOEXEC);
	char *buf = calloc(1, 65536);
	ssize_t len;

	if (fd < 0 || !buf || state_fmt_write(fd, recs, n) < 0)
		abort();
	len = pread(fd, buf, 65535, 0);
	close(fd);
	if (len < 0)
		abort();
	return buf;
}

/* A line read, then written: the canonical form. */
static void roundtrip(const char *in, const char *want)
{
	struct state_rec rec;
	bool header = true;
	char err[200], *text;
	const char *body;

	if (parse(in, &header, &rec, err) < 0) {
		printf("FAIL %s: %s\n", in, err);
		fails++;
		return;
	}
	text = written(&rec, 1);
	body = strstr(text, "uvdpa-state 1\n");
	check(body && strcmp(body + 14, want) == 0, in);
	if (body && strcmp(body + 14, want) != 0)
		printf("     got  %s     want %s", body + 14, want);
	free(text);
	state_rec_clear(&rec);
}

static void bad(const char *line, const char *reason)
{
	struct state_rec rec;
	bool header = true;
	char err[200];
	int ret = parse(line, &header, &rec, err);

	check(ret < 0 && strstr(err, reason) != NULL, line);
	if (ret == 0 || !strstr(err, reason))
		printf("     got \"%s\", want \"%s\"\n", ret < 0 ? err : "(accepted)", reason);
	if (ret == 0)
		state_rec_clear(&rec);
}

static void header_lines(void)
{
	struct state_rec rec;
	bool header = false;
	char err[200];

	check(parse("# a comment", &header, &rec, err) == 0 && !header && !rec.name[0],
	      "a comment before the header");
	check(parse("dev a mgmtdev_dev_name=x", &header, &rec, err) < 0 &&
	      strstr(err, "expected \"uvdpa-state 1\" before anything else"),
	      "a device before the header");
	check(parse("uvdpa-state  1 ", &header, &rec, err) == 0 && header, "the header");
	check(parse("uvdpa-state 1", &header, &rec, err) < 0 && strstr(err, "second"),
	      "a second header");
	header = false;
	check(parse("uvdpa-state 1 x", &header, &rec, err) < 0 && !header, "header with more");
	check(parse("uvdpa-state 01", &header, &rec, err) < 0 && !header, "header 01");
	check(parse("uvdpa-state 2", &header, &rec, err) < 0 &&
	      strstr(err, "version 2: this uvdpad reads version 1"), "a newer version");
}

/* A "set" line is DEV_ATTR_SET's and is written after its device's "dev" line. */
static void set_line(void)
{
	struct state_rec dev, set;
	bool header = true;
	char err[200], *text;

	check(parse("dev a mgmtdev_dev_name=x", &header, &dev, err) == 0 &&
	      dev.cmd == UVDPA_CMD_DEV_NEW, "a dev line is DEV_NEW's");
	check(parse("set a dev_net_cfg_macaddr=02:00:00:00:00:01", &header, &set, err) == 0 &&
	      set.cmd == UVDPA_CMD_DEV_ATTR_SET, "a set line is DEV_ATTR_SET's");
	dev.set_attrs = set.attrs;
	dev.set_len = set.len;
	set.attrs = NULL;
	text = written(&dev, 1);
	check(strstr(text, "uvdpa-state 1\ndev a mgmtdev_dev_name=x\n"
		      "set a dev_net_cfg_macaddr=02:00:00:00:00:01\n") != NULL, "dev then set");
	free(text);
	state_rec_clear(&dev);
	state_rec_clear(&set);
}

int main(void)
{
	char name65[80] = "dev ";

	roundtrip("dev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_macaddr=02:00:00:00:00:0A "
		  "dev_net_cfg_mtu=0x2328 dev_net_cfg_max_vqp=4 dev_features=12884901928",
		  "dev n1 mgmtdev_dev_name=vdpasim_net dev_net_cfg_macaddr=02:00:00:00:00:0a "
		  "dev_net_cfg_mtu=9000 dev_net_cfg_max_vqp=4 dev_features=0x300000028\n");
	roundtrip("\tdev   b1\tmgmtdev_bus_name=x mgmtdev_dev_name=vdpasim_blk "
		  "dev_blk_cfg_capacity=18446744073709551615 25=2 ",
		  "dev b1 mgmtdev_bus_name=x mgmtdev_dev_name=vdpasim_blk "
		  "dev_blk_cfg_capacity=18446744073709551615 dev_blk_cfg_num_queues=2\n");
	roundtrip("dev a!b\\x20c\\x5c\\xff mgmtdev_dev_name=\\x41\\x3d=",
		  "dev a!b\\x20c\\x5c\\xff mgmtdev_dev_name=A==\n");
	roundtrip("dev e mgmtdev_dev_name= dev_net_cfg_macaddr=",
		  "dev e mgmtdev_dev_name= dev_net_cfg_macaddr=\n");

	header_lines();
	bad("dev", "\"dev\" without a name");
	bad("devs a", "unknown keyword \"devs\"");
	bad("set", "\"set\" without a name");
	bad("set a dev_blk_cfg_capacity=1", "unknown attribute \"dev_blk_cfg_capacity\"");
	set_line();
	bad("dev a b", "\"b\" is not KEY=VALUE");
	bad("dev a colour=blue", "unknown attribute \"colour\"");
	bad("dev a dev_vendor_id=1", "unknown attribute \"dev_vendor_id\"");
	bad("dev a 999=1", "unknown attribute \"999\"");
	bad("dev a 013=1", "unknown attribute \"013\"");
	bad("dev a 4=x", "the name goes after \"dev\"");
	bad("dev a dev_net_cfg_mtu=1 13=2", "given twice");
	bad("dev a dev_net_cfg_mtu=", "bad value \"\" (want an integer 0-65535)");
	bad("dev a dev_net_cfg_mtu=65536", "bad value \"65536\"");
	bad("dev a dev_net_cfg_mtu=010", "bad value \"010\"");
	bad("dev a dev_net_cfg_mtu=-1", "bad value \"-1\"");
	bad("dev a dev_net_cfg_mtu=0x", "bad value \"0x\"");
	bad("dev a dev_net_cfg_mtu=1.5", "bad value \"1.5\"");
	bad("dev a dev_blk_cfg_capacity=18446744073709551616", "bad value");
	bad("dev a dev_net_cfg_macaddr=0:1:2:3:4:5", "want hex bytes joined by ':'");
	bad("dev a dev_net_cfg_macaddr=00:11:", "bad value \"00:11:\"");
	bad("dev a dev_net_cfg_macaddr=0011", "bad value \"0011\"");
	bad("dev a mgmtdev_dev_name=a\\x00b", "bad value");
	bad("dev a mgmtdev_dev_name=a\\x4", "bad value");
	bad("dev a mgmtdev_dev_name=\xc3\xa9", "bad value");
	bad("dev a/b", "bad device name \"a/b\"");
	bad("dev a\\x2f", "bad device name");
	bad("dev a\\x00", "bad device name");
	bad("dev a\\", "bad device name");
	memset(name65 + 4, 'n', 65);
	bad(name65, "bad device name");
	name65[4 + 64] = '\0';
	roundtrip(name65, strcat(strcpy((char[80]){ 0 }, name65), "\n"));
	return fails ? 1 : 0;
}
