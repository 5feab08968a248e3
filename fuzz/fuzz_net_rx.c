// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for libuvdpa's net receive path against a hostile
 * device. vdpasim_net runs in the caller's thread and loops frames back;
 * between its passes the "device" rewrites bytes of what a back end owns on
 * the receive queue: the used ring (split) or the descriptors (packed), and
 * the receive buffers (the virtio-net header's num_buffers, frame bytes).
 * Byte 0 picks split/packed, mergeable buffers, indirect descriptors and
 * event idx; the rest is a program: send, device writes, receive by copy
 * (one, burst), receive in place (one, burst) and give back.
 *
 * Checked: a copy stays inside the caller's buffer (exact-size heap blocks,
 * so ASan sees any overrun); a frame handed out in place lies inside one
 * receive buffer; what was handed out is taken back exactly once; nothing
 * crashes or loops.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uvdpa/local.h>
#include <uvdpa/net.h>

#include "driver/net_priv.h"
#include "fuzz_prog.h"
#include "virtio/vq.h"

#define HELD_MAX 64

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static struct uvdpa_virtio *open_sim(struct uvdpa_bus *bus)
{
	struct uvdpa_dev_set_config cfg = { .mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR) };
	struct uvdpa_mgmtdev *m;
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	const char *msg = NULL;

	memcpy(cfg.net.mac, mac, 6);
	if (!bus || uvdpa_bus_register_builtin(bus))
		return NULL;
	m = uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net");
	if (!m || uvdpa_bus_dev_add(bus, m, "fuzz-net", &cfg, &d, &msg))
		return NULL;
	/* no worker thread: each kick runs the device's pass right here */
	if (!d->ops->set_poll_mode || d->ops->set_poll_mode(d, UVDPA_POLL_CALLER))
		abort();
	if (uvdpa_virtio_open_local(d, &v))
		return NULL;
	return v;
}

/* The device writes up to 16 bytes of its choice into area. */
static void device_writes(uint8_t *area, size_t size, struct prog *g)
{
	size_t at = ((size_t)next(g) << 16 | next(g) << 8 | next(g)) % size;
	unsigned len = 1 + next(g) % 16, i;

	for (i = 0; i < len && at + i < size; i++)
		area[at + i] = (uint8_t)next(g);
}

static void send_one(struct uvdpa_net *n, struct prog *g)
{
	size_t len = 14 + (next(g) << 8 | next(g)) % 4000;
	uint8_t *f = calloc(1, len);

	if (!f)
		return;
	memcpy(f, mac, 6);
	f[len - 1] = (uint8_t)next(g);
	(void)uvdpa_net_send(n, 0, f, len);
	free(f);
}

/* A received frame in place must lie inside one receive buffer. */
static void check_inplace(const struct net_queue *rx, const void *frame, int len)
{
	uintptr_t base = (uintptr_t)rx->mem.host, at = (uintptr_t)frame;
	size_t slot;

	if (!frame || at < base || at - base >= (size_t)rx->nslots * rx->stride)
		abort();
	slot = (at - base) / rx->stride;
	if (len < 0 || at + (size_t)len > base + (slot + 1) * rx->stride)
		abort();
	if (len)   /* readable to its end */
		(void)*(const volatile uint8_t *)(at + (size_t)len - 1);
}

struct held {
	const void *f[HELD_MAX];
	unsigned n;
};

static void recv_copy(struct uvdpa_net *n, struct prog *g, bool burst)
{
	size_t cap = 1 + (next(g) << 8 | next(g)) % 10000;
	struct iovec iov[4];
	int lens[4], r;
	unsigned k, cnt = 1 + next(g) % 4;

	for (k = 0; k < cnt; k++) {
		iov[k].iov_base = malloc(cap);
		iov[k].iov_len = cap;
	}
	if (burst) {
		r = uvdpa_net_recv_burst(n, 0, iov, lens, cnt);
		if (r > (int)cnt)
			abort();
	} else {
		(void)uvdpa_net_recv(n, 0, iov[0].iov_base, cap);
	}
	for (k = 0; k < cnt; k++)
		free(iov[k].iov_base);
}

static void recv_inplace(struct uvdpa_net *n, struct held *h, struct prog *g, bool burst)
{
	const struct net_queue *rx = &n->pairs[0].rx;
	const void *fs[8];
	int lens[8], r, k;
	unsigned room = HELD_MAX - h->n, cnt = 1 + next(g) % 8;

	if (cnt > room)
		cnt = room;
	if (!cnt)
		return;
	if (!burst) {
		r = uvdpa_net_recv_zc(n, 0, &fs[0]);
		if (r >= 0) {
			check_inplace(rx, fs[0], r);
			h->f[h->n++] = fs[0];
		}
		return;
	}
	r = uvdpa_net_recv_zc_burst(n, 0, fs, lens, cnt);
	if (r > (int)cnt)
		abort();
	for (k = 0; k < r; k++) {
		if (lens[k] < 0) {
			if (fs[k])
				abort();   /* a dropped frame has nothing to give back */
			continue;
		}
		check_inplace(rx, fs[k], lens[k]);
		h->f[h->n++] = fs[k];
	}
}

/* Gives back what is held: each exactly once, the second time refused. */
static void give_back(struct uvdpa_net *n, struct held *h, struct prog *g)
{
	unsigned cnt = next(g) % (h->n + 1), k;

	if (!cnt)
		return;
	if (next(g) & 1) {
		if (uvdpa_net_recv_zc_release_burst(n, 0, h->f + h->n - cnt, cnt) != (int)cnt)
			abort();
	} else {
		for (k = h->n - cnt; k < h->n; k++)
			if (uvdpa_net_recv_zc_release(n, 0, h->f[k]))
				abort();
	}
	if (uvdpa_net_recv_zc_release(n, 0, h->f[h->n - 1]) != -EINVAL)
		abort();
	h->n -= cnt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog g = { data + 1, size > 1 ? size - 1 : 0 };
	struct uvdpa_net_opts o = { 0 };
	struct uvdpa_bus *bus;
	struct uvdpa_virtio *v;
	struct uvdpa_net *n = NULL;
	struct net_queue *rx;
	struct held h = { .n = 0 };
	uint8_t *own;
	size_t own_size;
	unsigned steps = 0;

	if (size < 1)
		return 0;
	o.flags = (data[0] & 1 ? UVDPA_NET_PACKED : 0) | (data[0] & 2 ? UVDPA_NET_MRG_RXBUF : 0) |
		  (data[0] & 4 ? UVDPA_NET_INDIRECT : 0) | (data[0] & 8 ? UVDPA_NET_EVENT_IDX : 0);
	bus = uvdpa_bus_new();
	v = open_sim(bus);
	if (!v || uvdpa_net_open(v, &o, &n))
		goto out;
	rx = &n->pairs[0].rx;
	/* the device owns the used ring, or writes packed descriptors in place */
	if (rx->vq.drv.packed) {
		own = (uint8_t *)rx->vq.drv.pdesc;
		own_size = uvdpa_vq_desc_size(rx->vq.drv.num, true);
	} else {
		own = (uint8_t *)rx->vq.drv.used;
		own_size = uvdpa_vq_device_size(rx->vq.drv.num, false, rx->vq.drv.event_idx);
	}
	while (g.left && steps++ < 2048) {
		switch (next(&g) % 8) {
		case 0: send_one(n, &g); break;
		case 1: device_writes(own, own_size, &g); break;
		case 2: device_writes((uint8_t *)rx->mem.host, (size_t)rx->nslots * rx->stride, &g); break;
		case 3: recv_copy(n, &g, false); break;
		case 4: recv_copy(n, &g, true); break;
		case 5: recv_inplace(n, &h, &g, false); break;
		case 6: recv_inplace(n, &h, &g, true); break;
		case 7: give_back(n, &h, &g); break;
		}
	}
out:
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	uvdpa_bus_free(bus);
	return 0;
}
