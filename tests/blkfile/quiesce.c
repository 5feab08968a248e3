// SPDX-License-Identifier: MIT
/*
 * blk_file requests outlive a pass, so the core asks the class to quiesce
 * before anything they point into changes. With 64 direct 512 KiB writes in
 * flight (added while suspended, so one pass takes them all; the first one
 * answered, so the rest were taken and submitted), each of suspend,
 * set_map, get_vq_state, set_vq_ready(0), reset and dev_del returns only
 * once every request has been answered in the used ring, and every write
 * is in the file.
 */
#include "tfile.h"

#define N     64
#define LEN   (512u << 10)
#define BYTES ((uint64_t)N * LEN)

struct req {
	struct virtio_blk_outhdr h;
	uint8_t status;
};

static struct req *submit(struct tdev *t, uint8_t *data, unsigned gen)
{
	struct req *r = talloc(t, N * sizeof(*r), 64);
	unsigned i;

	for (i = 0; i < N; i++) {
		struct uvdpa_vq_buf b[3] = {
			{ tiova(t, &r[i].h), sizeof(r[i].h), false },
			{ tiova(t, data + (size_t)i * LEN), LEN, false },
			{ tiova(t, &r[i].status), 1, true },
		};

		tfill(data + (size_t)i * LEN, LEN, gen * 1000 + i);
		r[i].h.type = htole32(VIRTIO_BLK_T_OUT);
		r[i].h.ioprio = 0;
		r[i].h.sector = htole64((uint64_t)i * (LEN / 512));
		r[i].status = 0xee;
		REQUIRE(tvq_add(t, 0, b, 3, &r[i], false) == 0, "add %u", i);
	}
	return r;
}

/* Waits for the first answer, runs op, then counts what is answered without waiting. */
static void round_trip(struct tdev *t, const struct tfile *f, const char *what,
		       void (*op)(struct tdev *t), unsigned gen)
{
	uint8_t *data = talloc(t, BYTES, 4096);
	struct req *r;
	unsigned answered = 1, ok = 0, i;
	uint32_t len;
	bool file = true;

	/* Added while suspended, so the first pass after resume takes all 64
	 * (one burst) before it submits: once one is answered, all are taken. */
	REQUIRE(t->ops->suspend(t->d) == 0, "suspend");
	r = submit(t, data, gen);
	REQUIRE(t->ops->resume(t->d) == 0, "resume");
	REQUIRE(tvq_wait(t, 0, &len, 10000), "%s: first write answered", what);
	op(t);
	while (tvq_poll(t, 0, &len))
		answered++;
	for (i = 0; i < N; i++)
		ok += r[i].status == VIRTIO_BLK_S_OK;
	CHECK(answered == N && ok == N, "%s: all %u writes answered when it returns (%u, %u OK)",
	      what, N, answered, ok);
	for (i = 0; i < N && file; i++)
		file = tfile_eq(f, (uint64_t)i * LEN, data + (size_t)i * LEN, LEN);
	CHECK(file, "%s: every write is in the file", what);
	tmem_rewind(t);
}

static void op_suspend(struct tdev *t)
{
	REQUIRE(t->ops->suspend(t->d) == 0, "suspend");
}

static void op_set_map(struct tdev *t)
{
	REQUIRE(t->ops->set_map(t->d, t->map) == 0, "set_map");
}

static void op_get_state(struct tdev *t)
{
	struct uvdpa_vq_state st;

	REQUIRE(t->ops->get_vq_state(t->d, 0, &st) == 0, "get_vq_state");
}

static void op_not_ready(struct tdev *t)
{
	t->ops->set_vq_ready(t->d, 0, false);
}

static void op_reset(struct tdev *t)
{
	uvdpa_device_reset(t->d);
}

static void op_dev_del(struct tdev *t)
{
	REQUIRE(uvdpa_bus_dev_del(t->bus, t->d->name) == 0, "dev_del");
	t->d = NULL;   /* gone: tdev_close must not delete it again */
}

int main(void)
{
	struct uvdpa_dev_set_config cfg;
	struct tfile f;
	struct tdev t;

	tfile_new(&f, BYTES);
	tfile_cfg(&cfg, &f, true);
	tdev_open(&t, NULL, "blk_file", "q0", &cfg);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 256);
	round_trip(&t, &f, "suspend", op_suspend, 1);
	REQUIRE(t.ops->resume(t.d) == 0, "resume");
	round_trip(&t, &f, "set_map", op_set_map, 2);
	round_trip(&t, &f, "get_vq_state", op_get_state, 3);
	round_trip(&t, &f, "set_vq_ready(0)", op_not_ready, 4);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 256);
	round_trip(&t, &f, "reset", op_reset, 5);
	tdev_start(&t, F_ACCESS_PLATFORM | F_VERSION_1, 1, 256);
	round_trip(&t, &f, "dev_del", op_dev_del, 6);
	tdev_close(&t);
	tfile_rm(&f);
	printf("PASSED\n");
	return 0;
}
