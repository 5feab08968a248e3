// SPDX-License-Identifier: MIT
/*
 * A program as an application would write it against the installed
 * libuvdpa: built out of tree with `pkg-config --cflags --libs uvdpa`.
 * It writes 16 KiB to the vhost-user blk device at argv[1], reads them
 * back and compares. Exit 0 on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uvdpa/uvdpa.h>

#define LEN (16 * 1024)

static int fail(const char *what, int err)
{
	fprintf(stderr, "app: %s: %s\n", what, strerror(-err));
	return 1;
}

static int write_read(struct uvdpa_blk *b)
{
	static unsigned char out[LEN], in[LEN];
	unsigned i;
	int r;

	for (i = 0; i < LEN; i++)
		out[i] = (unsigned char)(i * 7 + i / 512);
	r = uvdpa_blk_write(b, 8, out, LEN);
	if (r)
		return fail("write", r);
	r = uvdpa_blk_read(b, 8, in, LEN);
	if (r)
		return fail("read", r);
	if (memcmp(in, out, LEN)) {
		fprintf(stderr, "app: data read back differs\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: app SOCKET\n");
		return 2;
	}
	r = uvdpa_virtio_open_vhost_user(argv[1], NULL, &v);
	if (r)
		return fail("open", r);
	r = uvdpa_blk_open(v, NULL, &b);
	if (r) {
		uvdpa_virtio_close(v);
		return fail("blk open", r);
	}
	r = write_read(b);
	if (!r)
		printf("app: %llu sectors, 16 KiB written and read back\n",
		       (unsigned long long)uvdpa_blk_capacity(b));
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	return r;
}
