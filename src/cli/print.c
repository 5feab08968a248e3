// SPDX-License-Identifier: MIT
/*
 * Text and JSON output with iproute2 vdpa's exact bytes.
 *
 * JSON layout (what iproute2's writer produces): compact mode has no
 * whitespace at all; pretty mode puts every object member on its own line
 * indented by four spaces per level, "key": value with one space, and keeps
 * arrays on one line as [ "a","b" ] (empty: [ ]). An empty object is {}.
 */
#include <inttypes.h>
#include <string.h>

#include "cli/print.h"

void pr_init(struct pr *p, FILE *out, bool json, bool pretty)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
	p->pretty = json && pretty;
}

void pr_json_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20)
				fprintf(out, "\\u%04x", c);
			else
				putc(c, out);
		}
	}
}

static void indent(struct pr *p, int level)
{
	for (int i = 0; i < level; i++)
		fputs("    ", p->out);
}

/* Separator and key before a value in the innermost open container. */
static void json_lead(struct pr *p, const char *key)
{
	unsigned *n;

	if (p->depth == 0)
		return;
	n = &p->members[p->depth - 1];
	if (p->is_array[p->depth - 1]) {
		if (*n)
			putc(',', p->out);
		else if (p->pretty)
			putc(' ', p->out);
	} else {
		if (*n)
			putc(',', p->out);
		if (p->pretty) {
			putc('\n', p->out);
			indent(p, p->depth);
		}
		putc('"', p->out);
		pr_json_escape(p->out, key ? key : "");
		fputs(p->pretty ? "\": " : "\":", p->out);
	}
	(*n)++;
}

static void json_open(struct pr *p, const char *key, bool array)
{
	json_lead(p, key);
	putc(array ? '[' : '{', p->out);
	/* Deeper than any vdpa reply needs: keep the bytes balanced anyway. */
	if (p->depth < PR_MAX_DEPTH) {
		p->members[p->depth] = 0;
		p->is_array[p->depth] = array;
	}
	p->depth++;
}

static void json_close(struct pr *p)
{
	bool array = true;
	unsigned n = 0;

	if (p->depth == 0)
		return;
	p->depth--;
	if (p->depth < PR_MAX_DEPTH) {
		array = p->is_array[p->depth];
		n = p->members[p->depth];
	}
	if (array) {
		if (p->pretty)
			putc(' ', p->out);
		putc(']', p->out);
		return;
	}
	if (p->pretty && n) {
		putc('\n', p->out);
		indent(p, p->depth);
	}
	putc('}', p->out);
}

void pr_section_start(struct pr *p, const char *name)
{
	if (!p->json)
		return;
	json_open(p, NULL, false);
	json_open(p, name, false);
}

void pr_section_end(struct pr *p)
{
	if (!p->json)
		return;
	json_close(p);
	json_close(p);
}

void pr_finish(struct pr *p)
{
	if (p->json)
		putc('\n', p->out);
	fflush(p->out);
}

void pr_obj_start(struct pr *p, const char *handle)
{
	if (p->json)
		json_open(p, handle, false);
	else
		fprintf(p->out, "%s: ", handle);
}

void pr_obj_end(struct pr *p)
{
	if (p->json)
		json_close(p);
	else
		putc('\n', p->out);
}

void pr_str(struct pr *p, const char *key, const char *pre, const char *val,
	    const char *post)
{
	if (p->json) {
		json_lead(p, key);
		putc('"', p->out);
		pr_json_escape(p->out, val);
		putc('"', p->out);
	} else {
		fprintf(p->out, "%s%s%s", pre, val, post);
	}
}

void pr_uint(struct pr *p, const char *key, const char *pre, uint64_t val,
	     const char *post)
{
	if (p->json) {
		json_lead(p, key);
		fprintf(p->out, "%" PRIu64, val);
	} else {
		fprintf(p->out, "%s%" PRIu64 "%s", pre, val, post);
	}
}

void pr_bool(struct pr *p, const char *key, const char *pre, bool val,
	     const char *post)
{
	const char *s = val ? "true" : "false";

	if (p->json) {
		json_lead(p, key);
		fputs(s, p->out);
	} else {
		fprintf(p->out, "%s%s%s", pre, s, post);
	}
}

void pr_text(struct pr *p, const char *s)
{
	if (!p->json)
		fputs(s, p->out);
}

void pr_array_start(struct pr *p, const char *key)
{
	if (p->json)
		json_open(p, key, true);
	else
		fprintf(p->out, "\n  %s", key);
}

void pr_array_str(struct pr *p, const char *s)
{
	pr_str(p, NULL, " ", s, "");
}

void pr_array_bit(struct pr *p, unsigned n)
{
	if (p->json) {
		json_lead(p, NULL);
		fprintf(p->out, "%u", n);
	} else {
		fprintf(p->out, " bit_%u", n);
	}
}

void pr_array_end(struct pr *p)
{
	if (p->json)
		json_close(p);
}
