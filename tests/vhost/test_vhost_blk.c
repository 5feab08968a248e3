// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk through the vhost face, with the STATUS protocol feature and
 * QEMU 7.2's order of messages: GET_CONFIG before features (content and
 * size rules), SET_STATUS FEATURES_OK alone, writes and reads verified,
 * then QEMU's stop sequence (SET_STATUS 0, then GET_VRING_BASE, which must
 * still report where the ring stopped) and a restart from that state.
 */
#include <string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define GPA_BASE 0x40000000ull
#define MEM      (8u << 20)
#define NREQ     64

static uint8_t blk_io(struct fe *f, uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	struct fe_ring *r = &f->ring[0];
	struct virtio_blk_outhdr *h = fe_alloc(f, 0, sizeof(*h), 16);
	uint8_t *st = fe_alloc(f, 0, 1, 1);
	struct uvdpa_vq_buf b[3];
	unsigned n = 0;
	uint32_t used;
	void *tok = NULL;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*st = 0xff;
	b[n++] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, h), .len = sizeof(*h) };
	if (len)
		b[n++] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, data), .len = len,
						.write = type == VIRTIO_BLK_T_IN };
	b[n++] = (struct uvdpa_vq_buf){ .addr = fe_gpa(f, st), .len = 1, .write = true };
	REQUIRE(!uvdpa_vq_drv_add(&r->drv, b, n, h), "blk add");
	uvdpa_vq_drv_publish(&r->drv);
	fe_kick(r);
	for (int t = 0; t < 100 && !tok; t++) {
		tok = uvdpa_vq_drv_get_used(&r->drv, &used);
		if (!tok)
			fe_wait_call(r, 50);
	}
	REQUIRE(tok == h, "request completed");
	return *st;
}

static int set_status(struct fe *f, uint8_t st)
{
	uint64_t v = st;

	return (int)fe_acked(f, VHOST_USER_SET_STATUS, &v, 8, NULL, 0);
}

static bool write_read(struct fe *f, unsigned seed, bool do_write)
{
	for (unsigned i = 0; i < NREQ; i++) {
		uint8_t *buf = fe_alloc(f, 0, 4096, 512);
		uint64_t sector = (uint64_t)i * 977 % (262144 - 8);

		if (do_write) {
			for (unsigned k = 0; k < 4096; k++)
				buf[k] = (uint8_t)(seed + i * 13 + k);
			if (blk_io(f, VIRTIO_BLK_T_OUT, sector, buf, 4096) != VIRTIO_BLK_S_OK)
				return false;
			continue;
		}
		memset(buf, 0, 4096);
		if (blk_io(f, VIRTIO_BLK_T_IN, sector, buf, 4096) != VIRTIO_BLK_S_OK)
			return false;
		for (unsigned k = 0; k < 4096; k++)
			if (buf[k] != (uint8_t)(seed + i * 13 + k))
				return false;
	}
	return true;
}

int main(void)
{
	struct vhost_user_config req = { 0 };
	struct vhost_user_msg m;
	struct virtio_blk_config bc;
	struct harness h;
	uint64_t features, offered, st;
	uint8_t ref[256];
	size_t size;
	uint32_t base;
	struct fe f;

	printf("# blk over vhost-user, QEMU 7.2 message order, STATUS negotiated\n");
	harness_open(&h, "vdpasim_blk", "vblk0", NULL);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);

	CHECK(!fe_get_u64(&f, VHOST_USER_GET_FEATURES, &offered), "GET_FEATURES");
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_QUEUE_NUM, &st) && st == 1, "GET_QUEUE_NUM = 1");

	/* QEMU reads the config at realize time, before any feature. */
	size = h.dev->ops->get_config_size(h.dev);
	REQUIRE(size >= 57 && size <= sizeof(ref), "config size %zu", size);
	req.size = 57;
	CHECK(!fe_send(&f, VHOST_USER_GET_CONFIG, 0, &req, VHOST_USER_CONFIG_HDR_SIZE + 57, NULL, 0) &&
	      !fe_recv(&f, &m, 5000) && m.hdr.size == VHOST_USER_CONFIG_HDR_SIZE + 57,
	      "GET_CONFIG of 57 bytes (QEMU 7.2's request) answered with 69 bytes");
	h.dev->ops->get_config(h.dev, 0, ref, (unsigned)size);
	memcpy(&bc, m.p.config.region, 57);
	CHECK(!memcmp(m.p.config.region, ref, 57) && bc.capacity == 262144 && bc.blk_size == 512 &&
	      bc.seg_max == 32 && bc.size_max == 4096,
	      "config: capacity %llu sectors, blk_size %u, seg_max %u, size_max %u",
	      (unsigned long long)bc.capacity, bc.blk_size, bc.seg_max, bc.size_max);
	CHECK(!h.dev->features_valid, "reading config negotiated nothing behind the front end");
	req.size = (uint32_t)size + 1;
	CHECK(!fe_send(&f, VHOST_USER_GET_CONFIG, 0, &req, VHOST_USER_CONFIG_HDR_SIZE + req.size,
		       NULL, 0) && !fe_recv(&f, &m, 5000) && m.hdr.size == 0,
	      "GET_CONFIG past the config space: empty reply (error)");

	features = F(VIRTIO_F_VERSION_1) | (offered & (F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_BLK_F_BLK_SIZE) |
						      F(VIRTIO_BLK_F_SEG_MAX)));
	CHECK(!fe_negotiate(&f, features, F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			    F(VHOST_USER_PROTOCOL_F_CONFIG) | F(VHOST_USER_PROTOCOL_F_STATUS) |
			    F(VHOST_USER_PROTOCOL_F_MQ)), "features negotiated");
	CHECK(set_status(&f, VIRTIO_CONFIG_S_FEATURES_OK) == 0, "SET_STATUS FEATURES_OK acked");
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_STATUS, &st) && st == 0x0b,
	      "GET_STATUS = 0x%llx (ACK|DRIVER|FEATURES_OK)", (unsigned long long)st);
	CHECK(fe_send_mem_table(&f) == 0, "SET_MEM_TABLE");
	CHECK(fe_ring_start(&f, 0, 128, false, false, 0) == 0, "ring 0 started");
	CHECK(h.dev->ops->get_status(h.dev) == 0x0b, "no DRIVER_OK before the front end says so");
	CHECK(set_status(&f, 0x0f) == 0 && h.dev->ops->get_status(h.dev) == 0x0f,
	      "SET_STATUS DRIVER_OK");

	CHECK(write_read(&f, 7, true), "%u 4 KiB writes OK", NREQ);
	CHECK(blk_io(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) == VIRTIO_BLK_S_OK, "flush OK");
	CHECK(write_read(&f, 7, false), "%u 4 KiB reads return what was written", NREQ);

	/* QEMU 7.2 vhost_dev_stop: status 0 first, then the ring state. */
	CHECK(set_status(&f, 0) == 0 && wait_device_status(h.dev, 0, 1000),
	      "SET_STATUS 0 reset the device");
	CHECK(!fe_get_vring_base(&f, 0, &base) && base == 2 * NREQ + 1,
	      "GET_VRING_BASE after the reset still says %u (want %u)", base, 2 * NREQ + 1);

	/* ... and vhost_dev_start again from that state */
	CHECK(fe_acked(&f, VHOST_USER_SET_FEATURES, &f.features, 8, NULL, 0) == 0 &&
	      set_status(&f, VIRTIO_CONFIG_S_FEATURES_OK) == 0, "features again");
	CHECK(fe_ring_restart(&f, 0, base) == 0 && set_status(&f, 0x0f) == 0,
	      "ring restarted from its state, DRIVER_OK");
	CHECK(write_read(&f, 7, false), "data read back after the restart");
	CHECK(write_read(&f, 99, true) && write_read(&f, 99, false), "new writes and reads");

	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "disconnect reset the device");
	harness_close(&h);
	return 0;
}
