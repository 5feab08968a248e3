// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for uvdpa's reply side: arbitrary bytes as one or two
 * reply datagrams, parsed and printed as mgmtdev / dev / config / vstats /
 * family replies in text, JSON and pretty JSON. Besides the sanitizers'
 * checks, JSON output must stay balanced whatever the input.
 *
 * Input: byte 0 = mode (kind, json, pretty, quiet, seq check),
 *        byte 1 = where the first datagram ends (in 4-byte units),
 *        the rest = the datagrams.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/reply.h"

#define SEQ 0x12345678

static const enum cli_show kinds[] = {
	CLI_SHOW_NONE, CLI_SHOW_MGMTDEV, CLI_SHOW_DEV, CLI_SHOW_CONFIG, CLI_SHOW_VSTATS,
	CLI_SHOW_FAMILY,
};

static const char *const sections[] = { NULL, "mgmtdev", "dev", "config", "vstats", NULL };

/* Feeds one datagram from its own exact-size allocation, so any read past
 * its end is caught. */
static int feed(struct cli_reply *r, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		return CLI_REPLY_FAIL;
	memcpy(copy, data, len);
	rc = cli_reply_feed(r, copy, len);
	free(copy);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0, split;
	unsigned kind;
	struct cli_reply r;
	struct pr p;
	FILE *out, *err;
	int rc;

	if (size < 2)
		return 0;
	kind = data[0] % (sizeof(kinds) / sizeof(kinds[0]));
	split = (size_t)data[1] * 4;
	data += 2;
	size -= 2;
	if (split > size)
		split = size;

	out = open_memstream(&obuf, &olen);
	err = open_memstream(&ebuf, &elen);
	if (!out || !err)
		abort();
	pr_init(&p, out, data[-2] & 0x08, data[-2] & 0x10);
	if (sections[kind])
		pr_section_start(&p, sections[kind]);
	cli_reply_init(&r, &p, err, kinds[kind], data[-2] & 0x40 ? SEQ : 0);
	r.quiet = data[-2] & 0x20;

	rc = feed(&r, data, split);
	if (rc == CLI_REPLY_MORE)
		rc = feed(&r, data + split, size - split);
	if (rc == CLI_REPLY_FAIL && r.error <= 0)
		abort();        /* a failure always carries a positive errno */

	if (sections[kind])
		pr_section_end(&p);
	pr_finish(&p);
	if (p.depth != 0)
		abort();        /* unbalanced JSON */
	fclose(out);
	fclose(err);
	free(obuf);
	free(ebuf);
	return 0;
}
