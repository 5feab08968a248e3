// SPDX-License-Identifier: MIT
/*
 * Lifecycle: the status sequence seen by the device, reset and re-probe with
 * other options, data kept across re-probes (blk), binding rules (-EBUSY,
 * -ENODEV), and two devices driven at once without crossing their traffic.
 */
#include "drv_test.h"

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static uint8_t f[2048], r[2048];
static const char other_face[] = "vhost-user front end";   /* owners are told apart by pointer */

static bool loop_one(struct uvdpa_net *n, const uint8_t mac[6], size_t len, unsigned seed)
{
	t_frame(f, len, mac, seed);
	if (t_send(n, 0, f, len) || uvdpa_net_wait_rx(n, 0, 10000) != 1)
		return false;
	return uvdpa_net_recv(n, 0, r, sizeof(r)) == (int)len && memcmp(f, r, len) == 0;
}

static void reprobe_net(struct uvdpa_device *d)
{
	static const unsigned flags[] = {
		UVDPA_NET_MRG_RXBUF, UVDPA_NET_PACKED | UVDPA_NET_INDIRECT,
		UVDPA_NET_EVENT_IDX | UVDPA_NET_CTRL_VQ, UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF,
	};
	struct uvdpa_virtio *v = NULL, *v2 = NULL;
	struct uvdpa_net *n = NULL, *n2 = NULL;
	struct uvdpa_blk *b = NULL;
	unsigned i, ok = 0;

	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "open_local");
	CHECK(uvdpa_virtio_status(v) == UVDPA_STATUS_ACKNOWLEDGE, "bound: status ACKNOWLEDGE");
	CHECK(uvdpa_virtio_open_local(d, &v2) == -EBUSY, "second bind of the same device: -EBUSY");
	{
		const char *holder = NULL;

		CHECK(uvdpa_device_claim(d, other_face, &holder) == -EBUSY && holder &&
		      strstr(holder, "in-process"),
		      "another face cannot claim a device an in-process driver holds (holder: %s)",
		      holder ? holder : "none");
	}
	CHECK(uvdpa_blk_open(v, NULL, &b) == -ENODEV, "blk driver on a net device: -ENODEV");
	{
		uint8_t tmp[6];

		CHECK(uvdpa_virtio_read_config(v, 0, tmp, 6) == -EINVAL,
		      "config read before features: -EINVAL");
	}
	{
		struct uvdpa_net_opts odd = { .queue_size = 24 }, big = { .queue_size = 512 };
		struct uvdpa_net_opts one = { .queue_size = 1, .flags = UVDPA_NET_PACKED };

		CHECK(uvdpa_net_open(v, &odd, &n) == -EINVAL, "split ring of 24: -EINVAL");
		CHECK(uvdpa_net_open(v, &big, &n) == -EINVAL, "ring of 512 > device max 256: -EINVAL");
		CHECK(uvdpa_net_open(v, &one, &n) == -EINVAL, "ring of 1: -EINVAL");
		CHECK(uvdpa_virtio_status(v) == UVDPA_STATUS_ACKNOWLEDGE,
		      "refused opens leave the device reset and acknowledged");
	}
	for (i = 0; i < 20; i++) {
		struct uvdpa_net_opts o = { .flags = flags[i % 4] };

		if (uvdpa_net_open(v, &o, &n))
			break;
		if (i == 0)
			CHECK(uvdpa_net_open(v, NULL, &n2) == -EBUSY, "second driver on one device: -EBUSY");
		if (i == 0)
			CHECK(uvdpa_virtio_reset(v) == -EBUSY, "reset while a driver is open: -EBUSY");
		if (loop_one(n, mac1, 60 + i, i) && loop_one(n, mac1, 1514, i))
			ok++;
		uvdpa_net_close(n);
		if (uvdpa_virtio_status(v) != UVDPA_STATUS_ACKNOWLEDGE)
			break;
		if (i % 5 == 4 && uvdpa_virtio_reset(v))
			break;
	}
	CHECK(ok == 20, "20 probe / traffic / reset rounds with changing options (%u)", ok);
	/* A frame in flight when the driver goes away is simply gone. */
	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "open");
	t_frame(f, 100, mac1, 1);
	uvdpa_net_send(n, 0, f, 100);
	uvdpa_net_close(n);
	REQUIRE(uvdpa_net_open(v, NULL, &n) == 0, "re-open after close with traffic in flight");
	CHECK(uvdpa_net_wait_rx(n, 0, 200) == 0, "nothing stale received after re-probe");
	CHECK(loop_one(n, mac1, 64, 5), "and the new instance works");
	uvdpa_net_close(n);
	uvdpa_virtio_close(v);
	CHECK(d->face_priv == NULL && uvdpa_device_owner(d) == NULL,
	      "unbound: face_priv cleared, the device claimed by nobody");
	REQUIRE(uvdpa_device_claim(d, other_face, NULL) == 0, "another face claims it");
	CHECK(uvdpa_virtio_open_local(d, &v) == -EBUSY,
	      "no in-process bind while another face's driver holds the device: -EBUSY");
	uvdpa_device_release(d, other_face);
	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "bind again after close");
	uvdpa_virtio_close(v);
}

static void reprobe_blk(struct uvdpa_device *d)
{
	struct uvdpa_virtio *v = NULL;
	struct uvdpa_blk *b = NULL;
	uint8_t w[4096], rd[4096];
	int i, ok = 0;

	for (i = 0; i < 4096; i++)
		w[i] = (uint8_t)(i * 7);
	REQUIRE(uvdpa_virtio_open_local(d, &v) == 0, "blk open_local");
	REQUIRE(uvdpa_blk_open(v, NULL, &b) == 0, "blk open");
	CHECK(uvdpa_blk_write(b, 8, w, sizeof(w)) == 0, "write 4 KiB");
	uvdpa_blk_close(b);
	for (i = 0; i < 10; i++) {
		struct uvdpa_blk_opts o = { .queue_size = (uint16_t)(i % 2 ? 64 : 0),
					    .queue_depth = (uint16_t)(i % 3 ? 128 : 1),
					    .flags = i % 2 ? UVDPA_BLK_PACKED : 0 };

		if (uvdpa_blk_open(v, &o, &b))
			break;
		memset(rd, 0, sizeof(rd));
		if (uvdpa_blk_read(b, 8, rd, sizeof(rd)) == 0 && memcmp(w, rd, sizeof(rd)) == 0)
			ok++;
		uvdpa_blk_close(b);
	}
	CHECK(ok == 10, "data survives 10 re-probes with other ring options (%d)", ok);
	uvdpa_virtio_close(v);
}

/* Two net devices at once: each one's frames stay its own. */
static void two_devices(struct uvdpa_device *d1, struct uvdpa_device *d2, struct uvdpa_device *db)
{
	struct uvdpa_virtio *v1 = NULL, *v2 = NULL, *vb = NULL;
	struct uvdpa_net *n1 = NULL, *n2 = NULL;
	struct uvdpa_blk *b = NULL;
	unsigned i, ok = 0;
	uint8_t blk[512] = { 1, 2, 3 }, blk2[512];

	REQUIRE(uvdpa_virtio_open_local(d1, &v1) == 0 && uvdpa_virtio_open_local(d2, &v2) == 0 &&
		uvdpa_virtio_open_local(db, &vb) == 0, "three devices bound");
	REQUIRE(uvdpa_net_open(v1, NULL, &n1) == 0 && uvdpa_net_open(v2, NULL, &n2) == 0 &&
		uvdpa_blk_open(vb, NULL, &b) == 0, "three drivers open");
	for (i = 0; i < 100; i++) {
		uint8_t f2[256], r2[256];
		int l1, l2;

		t_frame(f, 200, mac1, i);
		t_frame(f2, 201, mac2, i + 1000);
		if (t_send(n1, 0, f, 200) || t_send(n2, 0, f2, 201))
			break;
		if (uvdpa_blk_write(b, i, blk, 512))
			break;
		if (uvdpa_net_wait_rx(n1, 0, 10000) != 1 || uvdpa_net_wait_rx(n2, 0, 10000) != 1)
			break;
		l1 = uvdpa_net_recv(n1, 0, r, sizeof(r));
		l2 = uvdpa_net_recv(n2, 0, r2, sizeof(r2));
		if (l1 == 200 && l2 == 201 && !memcmp(f, r, 200) && !memcmp(f2, r2, 201))
			ok++;
	}
	CHECK(ok == 100, "100 rounds: each net device got exactly its own frame (%u)", ok);
	CHECK(uvdpa_blk_read(b, 99, blk2, 512) == 0 && memcmp(blk, blk2, 512) == 0,
	      "blk device written meanwhile");
	CHECK(t_stat(d1, 0, "rx packets") >= 100 && t_stat(d2, 1, "tx packets") >= 100,
	      "stats per device");
	uvdpa_net_close(n1);
	CHECK(loop_one(n2, mac2, 60, 7), "closing one device's driver leaves the other running");
	uvdpa_net_close(n2);
	uvdpa_blk_close(b);
	uvdpa_virtio_close(v1);
	uvdpa_virtio_close(v2);
	uvdpa_virtio_close(vb);
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	struct uvdpa_device *d1 = t_net_dev(bus, "net1", mac1);
	struct uvdpa_device *d2 = t_net_dev(bus, "net2", mac2);
	struct uvdpa_device *db = t_dev(bus, "vdpasim_blk", "blk1", NULL);

	reprobe_net(d1);
	reprobe_blk(db);
	two_devices(d1, d2, db);
	uvdpa_bus_free(bus);
	return t_done();
}
