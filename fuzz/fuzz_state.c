// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for uvdpad's state file: arbitrary bytes as the file,
 * line by line through the parser uvdpad runs at start-up. Every record it
 * accepts must survive a round trip: written back in the canonical form
 * (state_fmt_write) and parsed again, it gives the same name, command and
 * attribute bytes. A mismatch aborts, like a crash.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "daemon/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_rec(const struct state_rec *a, const struct state_rec *b)
{
	return !strcmp(a->name, b->name) && a->cmd == b->cmd && a->len == b->len &&
	       (!a->len || !memcmp(a->attrs, b->attrs, a->len));
}

/* Writes rec as a "dev" line, reads the file back and parses that line. */
static void round_trip(const struct state_rec *rec)
{
	static char buf[2 * STATE_LINE_MAX];
	struct state_rec again = { 0 };
	bool header = false;
	char err[256], *nl, *line;
	ssize_t n;
	int fd = memfd_create("state", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (state_fmt_write(fd, rec, 1) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return;
	}
	close(fd);
	buf[n] = '\0';
	line = buf;
	while ((nl = strchr(line, '\n'))) {
		if (state_fmt_parse_line(line, (size_t)(nl - line), &header, &again, err,
					 sizeof(err)) < 0)
			abort();    /* our own output refused */
		if (again.name[0]) {
			if (!same_rec(rec, &again))
				abort();
			state_rec_clear(&again);
			return;
		}
		line = nl + 1;
	}
	abort();                    /* the record was not written */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	bool header = false;
	char err[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct state_rec rec = { 0 };

		if (state_fmt_parse_line(p, len, &header, &rec, err, sizeof(err)) == 0 &&
		    rec.name[0] && rec.cmd == UVDPA_CMD_DEV_NEW)
			round_trip(&rec);
		state_rec_clear(&rec);
		p += len + 1;
	}
	return 0;
}
