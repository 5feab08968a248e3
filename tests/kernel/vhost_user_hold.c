// SPDX-License-Identifier: MIT
/*
 * A vhost-user front end for the one-driver-at-a-time checks in the guest:
 * libuvdpa's front end drives the blk device behind SOCK (a write and a
 * read-back of one block), holds it for SECONDS, and drives it again (a
 * driver refused meanwhile must not have disturbed it) before letting go.
 *
 *   vhost_user_hold SOCK SECONDS
 *
 * Prints "HOLD driving" once it drives the device, "HOLD done" at the end;
 * exit 0. A back end that refuses it: "HOLD refused: <why>", exit 3. Any
 * other failure: exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvdpa/blk.h>
#include <uvdpa/virtio.h>

/* One block written and read back. */
static int round_trip(struct uvdpa_blk *b, int byte)
{
	static char out[4096], back[4096];
	int err;

	memset(out, byte, sizeof(out));
	err = uvdpa_blk_write(b, 8, out, sizeof(out));
	if (!err)
		err = uvdpa_blk_read(b, 8, back, sizeof(back));
	if (err || memcmp(out, back, sizeof(out))) {
		printf("HOLD failed: the block did not read back: %s\n",
		       err ? strerror(-err) : "data differs");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct uvdpa_vhost_user_opts vo = { .device_id = 2 };
	struct uvdpa_virtio *v;
	struct uvdpa_blk *b;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: vhost_user_hold SOCK SECONDS\n");
		return 2;
	}
	err = uvdpa_virtio_open_vhost_user(argv[1], &vo, &v);
	if (err) {
		printf("HOLD refused: %s\n", strerror(-err));
		return 3;
	}
	err = uvdpa_blk_open(v, NULL, &b);
	if (err) {
		printf("HOLD refused: blk: %s\n", strerror(-err));
		uvdpa_virtio_close(v);
		return 3;
	}
	if (round_trip(b, 0x5a))
		return 1;
	printf("HOLD driving\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[2]));
	if (round_trip(b, 0xa5))
		return 1;
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v);
	printf("HOLD done\n");
	return 0;
}
