// SPDX-License-Identifier: MIT
/*
 * Notification and kick decisions (argv[1]: split | packed): flags mode,
 * event-idx mode, and a long run across index and wrap-counter wrap-around
 * checking that a waiting side is always woken and a busy one never is.
 * argv[2] "burst": the device takes and completes chains with the burst
 * calls (uvdpa_vq_dev_pop_burst / push_burst), the same decisions expected.
 */
#include "vqtest.h"

static struct iovec iov[4];
static struct uvdpa_chain ch = { .iov = iov, .iov_cap = 4 };
static uint64_t buf_iova;
static bool burst;

static unsigned add_n(struct pair *p, unsigned n)
{
	struct uvdpa_vq_buf b = { .addr = buf_iova, .len = 64, .write = true };
	unsigned i;

	for (i = 0; i < n; i++)
		if (uvdpa_vq_drv_add(&p->drv, &b, 1, p))
			break;
	return i;
}

/* Device takes up to n chains and completes them, without flushing. */
static unsigned serve_n(struct pair *p, unsigned n)
{
	static struct iovec biov[8][4];
	struct uvdpa_chain c[8];
	int res[8], k;
	unsigned i;

	if (!burst) {
		for (i = 0; i < n && uvdpa_vq_dev_pop(&p->dev, &ch) == 1; i++)
			uvdpa_vq_dev_push(&p->dev, &ch, 1);
		return i;
	}
	for (i = 0; i < 8; i++)
		c[i] = (struct uvdpa_chain){ .iov = biov[i], .iov_cap = 4 };
	k = uvdpa_vq_dev_pop_burst(&p->dev, c, res, n < 8 ? n : 8);
	if (k <= 0)
		return 0;
	for (i = 0; i < (unsigned)k; i++)
		if (res[i] != 1)
			return i;
	uvdpa_vq_dev_push_burst(&p->dev, c, (unsigned)k, 1);
	return (unsigned)k;
}

static unsigned reclaim(struct pair *p)
{
	unsigned n = 0;

	while (uvdpa_vq_drv_get_used(&p->drv, NULL))
		n++;
	return n;
}

static void flags_mode(bool packed)
{
	struct pair p;

	pair_init(&p, 8, packed, false, 16384);
	arena_get(&p.a, 64, 8, &buf_iova);
	add_n(&p, 1);
	CHECK(uvdpa_vq_drv_publish(&p.drv), "flags: kick by default");
	CHECK(!uvdpa_vq_drv_publish(&p.drv), "flags: publish with nothing added does not kick");
	uvdpa_vq_dev_disable_kicks(&p.dev);
	add_n(&p, 1);
	CHECK(!uvdpa_vq_drv_publish(&p.drv), "flags: no kick while the device disabled kicks");
	CHECK(uvdpa_vq_dev_enable_kicks(&p.dev), "flags: enable_kicks reports chains waiting");
	add_n(&p, 1);
	CHECK(uvdpa_vq_drv_publish(&p.drv), "flags: kick after enable");
	serve_n(&p, 8);
	CHECK(!uvdpa_vq_dev_enable_kicks(&p.dev), "flags: enable_kicks on a drained ring reports nothing");
	CHECK(uvdpa_vq_dev_flush(&p.dev), "flags: notify by default");
	CHECK(!uvdpa_vq_dev_flush(&p.dev), "flags: flush with nothing pushed does not notify");
	CHECK(reclaim(&p) == 3, "flags: 3 used");
	uvdpa_vq_drv_disable_cb(&p.drv);
	add_n(&p, 1);
	uvdpa_vq_drv_publish(&p.drv);
	serve_n(&p, 1);
	CHECK(!uvdpa_vq_dev_flush(&p.dev), "flags: no notification while the driver disabled them");
	CHECK(uvdpa_vq_drv_enable_cb(&p.drv), "flags: enable_cb reports used entries waiting");
	reclaim(&p);
	CHECK(!uvdpa_vq_drv_enable_cb(&p.drv), "flags: enable_cb with nothing waiting");
	add_n(&p, 1);
	uvdpa_vq_drv_publish(&p.drv);
	serve_n(&p, 1);
	CHECK(uvdpa_vq_dev_flush(&p.dev), "flags: notification after enable_cb");
	pair_fini(&p);
}

static void event_mode(bool packed)
{
	struct pair p;

	pair_init(&p, 8, packed, true, 16384);
	arena_get(&p.a, 64, 8, &buf_iova);
	CHECK(!uvdpa_vq_dev_enable_kicks(&p.dev), "event: device waits on an empty ring");
	add_n(&p, 1);
	CHECK(uvdpa_vq_drv_publish(&p.drv), "event: first chain after the device waited kicks");
	add_n(&p, 1);
	CHECK(!uvdpa_vq_drv_publish(&p.drv), "event: device not caught up yet: no kick");
	CHECK(serve_n(&p, 8) == 2, "event: device takes both in one batch");
	uvdpa_vq_dev_flush(&p.dev);
	CHECK(reclaim(&p) == 2, "event: driver reclaims both");
	CHECK(!uvdpa_vq_dev_enable_kicks(&p.dev), "event: device waits again");
	add_n(&p, 2);
	CHECK(uvdpa_vq_drv_publish(&p.drv), "event: batch of 2 kicks once");
	uvdpa_vq_dev_disable_kicks(&p.dev);
	add_n(&p, 1);
	CHECK(!uvdpa_vq_drv_publish(&p.drv), "event: device polling (kicks disabled): no kick");

	CHECK(!uvdpa_vq_drv_enable_cb(&p.drv), "event: driver waits");
	CHECK(serve_n(&p, 2) == 2 && uvdpa_vq_dev_flush(&p.dev), "event: first completions notify");
	CHECK(serve_n(&p, 1) == 1 && !uvdpa_vq_dev_flush(&p.dev),
	      "event: driver has not reclaimed since: no notification");
	CHECK(reclaim(&p) == 3, "event: driver reclaims 3");
	CHECK(!uvdpa_vq_drv_enable_cb(&p.drv), "event: driver waits again");
	add_n(&p, 2);
	uvdpa_vq_drv_publish(&p.drv);
	CHECK(serve_n(&p, 8) == 2 && uvdpa_vq_dev_flush(&p.dev), "event: 2 completions, one notification");
	reclaim(&p);
	uvdpa_vq_drv_disable_cb(&p.drv);
	add_n(&p, 3);
	uvdpa_vq_drv_publish(&p.drv);
	CHECK(serve_n(&p, 3) == 3 && !uvdpa_vq_dev_flush(&p.dev),
	      "event: driver polling (callbacks disabled): no notification");
	CHECK(uvdpa_vq_drv_enable_cb(&p.drv), "event: enable_cb reports completions waiting");
	pair_fini(&p);
}

/*
 * Both sides alternate between busy and waiting for many laps, as workers
 * do: woken, they turn signals off, work, turn them on and re-check before
 * waiting. A publish that finds the other side waiting must signal it; one
 * that finds it woken and not yet waiting again must not.
 */
static void long_run(bool packed, bool event_idx, uint16_t num)
{
	struct pair p;
	uint64_t rng = 88172645463325252ull, entries = 0;
	bool dev_waiting = false, drv_waiting = false, dev_signalled = false, drv_signalled = false;
	unsigned bad_kick = 0, bad_notify = 0, lost = 0;

	pair_init(&p, num, packed, event_idx, 65536);
	arena_get(&p.a, 64, 8, &buf_iova);
	while (entries < 140000) {
		unsigned n, k;
		bool kick, notify;

		rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
		/* driver adds a batch and publishes */
		n = add_n(&p, 1 + rng % 5);
		if (n) {
			kick = uvdpa_vq_drv_publish(&p.drv);
			if (dev_waiting && !kick)
				lost++;
			if (event_idx && dev_signalled && kick)
				bad_kick++;
			if (kick) {
				dev_signalled = true;
				dev_waiting = false;
				uvdpa_vq_dev_disable_kicks(&p.dev);
			}
		}
		/* device takes some, completes, flushes */
		k = serve_n(&p, 1 + (rng >> 8) % 6);
		if (k) {
			notify = uvdpa_vq_dev_flush(&p.dev);
			if (drv_waiting && !notify)
				lost++;
			if (event_idx && drv_signalled && notify)
				bad_notify++;
			if (notify) {
				drv_signalled = true;
				drv_waiting = false;
				uvdpa_vq_drv_disable_cb(&p.drv);
			}
		}
		/* device goes to sleep once drained */
		if (!uvdpa_vq_dev_has_avail(&p.dev) && (rng >> 16) % 2) {
			if (!uvdpa_vq_dev_enable_kicks(&p.dev)) {
				dev_waiting = true;
				dev_signalled = false;
			}
		}
		/* driver reclaims and sleeps */
		if ((rng >> 20) % 3) {
			entries += reclaim(&p);
			if (!uvdpa_vq_drv_enable_cb(&p.drv)) {
				drv_waiting = true;
				drv_signalled = false;
			}
		}
	}
	CHECK(!lost && !bad_kick && !bad_notify,
	      "%s num=%u event_idx=%d: %llu entries, lost wake-ups %u, needless kicks %u, needless notifications %u",
	      packed ? "packed" : "split", num, event_idx, (unsigned long long)entries,
	      lost, bad_kick, bad_notify);
	pair_fini(&p);
}

int main(int argc, char **argv)
{
	bool packed = arg_packed(argc, argv);

	burst = argc > 2 && !strcmp(argv[2], "burst");

	flags_mode(packed);
	event_mode(packed);
	long_run(packed, false, 8);
	long_run(packed, true, 8);
	long_run(packed, true, packed ? 5 : 4);
	return t_done();
}
