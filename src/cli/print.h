/* SPDX-License-Identifier: MIT */
/*
 * One printer for plain text and JSON, shaped after the output of iproute2's
 * vdpa tool: every field call carries both its JSON key and its exact text
 * form, so the caller decides the text spacing (iproute2's trailing spaces
 * included) and the JSON comes for free.
 */
#ifndef UVDPA_CLI_PRINT_H
#define UVDPA_CLI_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PR_MAX_DEPTH 8

struct pr {
	FILE *out;
	bool json;
	bool pretty;
	int depth;                          /* open JSON containers */
	unsigned members[PR_MAX_DEPTH];     /* values written in each */
	bool is_array[PR_MAX_DEPTH];
};

void pr_init(struct pr *p, FILE *out, bool json, bool pretty);

/* JSON: the root object and {"<name>": { ... }}; text: nothing. */
void pr_section_start(struct pr *p, const char *name);
void pr_section_end(struct pr *p);
/* JSON only: the line iproute2's JSON writer ends every run with. */
void pr_finish(struct pr *p);

/* One object: text "<handle>: " ... "\n", JSON "<handle>": { ... }. */
void pr_obj_start(struct pr *p, const char *handle);
void pr_obj_end(struct pr *p);

/* Text: pre, value, post. JSON: "key": value. */
void pr_str(struct pr *p, const char *key, const char *pre, const char *val,
	    const char *post);
void pr_uint(struct pr *p, const char *key, const char *pre, uint64_t val,
	     const char *post);
void pr_bool(struct pr *p, const char *key, const char *pre, bool val,
	     const char *post);
/* Text only. */
void pr_text(struct pr *p, const char *s);

/*
 * iproute2's pseudo-arrays: in text a new line indented by two spaces that
 * starts with the key, then " <elem>" per element; in JSON a real array.
 */
void pr_array_start(struct pr *p, const char *key);
void pr_array_str(struct pr *p, const char *s);
/* An unnamed bit: text " bit_<n>", JSON the bare number. */
void pr_array_bit(struct pr *p, unsigned n);
void pr_array_end(struct pr *p);

/* JSON string body with escapes; exported for tests. */
void pr_json_escape(FILE *out, const char *s);

#endif
