// SPDX-License-Identifier: MIT
/*
 * Queue state and maps: get_state after traffic, a new device queue set up
 * from that state carries on (split: used index restarts at the avail
 * index, as vdpa_sim; packed: both indices and wrap counters), remap keeps
 * the state, a remap that loses the rings breaks the queue safely.
 */
#include "vqtest.h"

static struct iovec iov[4];
static struct uvdpa_chain ch = { .iov = iov, .iov_cap = 4 };

static void traffic(struct pair *p, unsigned n, uint64_t buf)
{
	struct uvdpa_vq_buf b = { .addr = buf, .len = 8, .write = true };
	unsigned i;

	for (i = 0; i < n; i++) {
		uvdpa_vq_drv_add(&p->drv, &b, 1, p);
		uvdpa_vq_drv_publish(&p->drv);
		uvdpa_vq_dev_pop(&p->dev, &ch);
		uvdpa_vq_dev_push(&p->dev, &ch, 8);
		uvdpa_vq_dev_flush(&p->dev);
		uvdpa_vq_drv_get_used(&p->drv, NULL);
	}
}

static void run(bool packed)
{
	const char *f = packed ? "packed" : "split";
	struct uvdpa_vq_state s;
	struct uvdpa_memmap *m2;
	struct pair p;
	uint64_t buf;
	uint32_t len;

	pair_init(&p, 8, packed, true, 16384);
	arena_get(&p.a, 64, 8, &buf);
	uvdpa_vq_dev_get_state(&p.dev, &s);
	CHECK(packed ? (s.packed.last_avail_idx == 0 && s.packed.last_avail_counter == 1 &&
			s.packed.last_used_idx == 0 && s.packed.last_used_counter == 1)
		     : s.split.avail_index == 0, "%s: fresh state", f);
	traffic(&p, 13, buf);
	uvdpa_vq_dev_get_state(&p.dev, &s);
	CHECK(packed ? (s.packed.last_avail_idx == 5 && s.packed.last_avail_counter == 0 &&
			s.packed.last_used_idx == 5 && s.packed.last_used_counter == 0)
		     : s.split.avail_index == 13, "%s: state after 13 chains", f);

	/* a new device-side queue from that state serves the next chain */
	CHECK(uvdpa_vq_dev_setup(&p.dev, &p.l, p.map, &s) == 0, "%s: setup from state", f);
	traffic(&p, 1, buf);
	CHECK(uvdpa_vq_drv_num_free(&p.drv) == 8, "%s: chain after restore completed", f);
	uvdpa_vq_dev_get_state(&p.dev, &s);
	CHECK(packed ? s.packed.last_avail_idx == 6 : s.split.avail_index == 14, "%s: state advanced", f);
	if (packed) {
		struct uvdpa_vq_state bad = s;

		bad.packed.last_avail_idx = 8;
		CHECK(uvdpa_vq_dev_setup(&p.dev, &p.l, p.map, &bad) == -EINVAL,
		      "packed: state index >= num refused");
		uvdpa_vq_dev_setup(&p.dev, &p.l, p.map, &s);
	}

	/* remap to an equal map: state kept */
	m2 = uvdpa_memmap_dup(p.map);
	CHECK(uvdpa_vq_dev_remap(&p.dev, m2) == 0, "%s: remap to a copy", f);
	traffic(&p, 3, buf);
	CHECK(uvdpa_vq_drv_num_free(&p.drv) == 8 && !p.dev.broken, "%s: traffic after remap", f);

	/* remap to an empty map: rings gone, queue broken, nothing touched */
	uvdpa_memmap_remove(m2, p.a.iova, p.a.g.size);
	CHECK(uvdpa_vq_dev_remap(&p.dev, m2) == -EFAULT && p.dev.broken, "%s: remap without the rings", f);
	{
		struct uvdpa_vq_buf b = { .addr = buf, .len = 8, .write = true };

		uvdpa_vq_drv_add(&p.drv, &b, 1, &p);
		uvdpa_vq_drv_publish(&p.drv);
	}
	uvdpa_vq_dev_push(&p.dev, &ch, 1);
	CHECK(uvdpa_vq_dev_pop(&p.dev, &ch) == -EIO && !uvdpa_vq_dev_flush(&p.dev) &&
	      !uvdpa_vq_dev_has_avail(&p.dev) && !uvdpa_vq_dev_enable_kicks(&p.dev) &&
	      uvdpa_vq_drv_get_used(&p.drv, &len) == NULL, "%s: unmapped queue does nothing", f);
	uvdpa_memmap_free(m2);
	pair_fini(&p);
}

int main(void)
{
	run(false);
	run(true);
	return t_done();
}
