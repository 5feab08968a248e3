// SPDX-License-Identifier: MIT
/*
 * CONFIGURE_MEM_SLOTS: 509 regions added one by one with ADD_MEM_REG (with
 * gaps between their guest addresses), frames looped back through buffers in
 * regions across the table, REM_MEM_REG of a hundred regions while the rings
 * run, refusals (slot 510, overlaps, unknown region), re-adding, and a
 * final SET_MEM_TABLE that replaces everything.
 */
#include <string.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define GPA_BASE 0x800000000ull
#define SLOT     (64u << 10)
#define NSLOTS   509
#define PROTO    (F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

static struct vhost_user_mem_reg slot(struct fe *f, unsigned i)
{
	return (struct vhost_user_mem_reg){ .region = {
		.guest_phys_addr = f->reg[i].gpa, .memory_size = f->reg[i].size,
		.userspace_addr = (uintptr_t)(f->mem + f->reg[i].off),
		.mmap_offset = f->reg[i].off } };
}

static int64_t add(struct fe *f, unsigned i)
{
	struct vhost_user_mem_reg r = slot(f, i);

	return fe_acked(f, VHOST_USER_ADD_MEM_REG, &r, sizeof(r), &f->memfd, 1);
}

static int64_t rem(struct fe *f, unsigned i)
{
	struct vhost_user_mem_reg r = slot(f, i);

	return fe_acked(f, VHOST_USER_REM_MEM_REG, &r, sizeof(r), NULL, 0);
}

static bool loop_in(struct fe *f, unsigned region, unsigned seed)
{
	f->reg[region].used = 0;
	return fe_net_loopback(f, 0, 1, 16, seed, region) == 16;
}

int main(void)
{
	struct vhost_user_mem_reg r;
	struct harness h;
	uint64_t slots;
	unsigned i, bad = 0;
	struct fe f;

	printf("# memory slots: ADD_MEM_REG / REM_MEM_REG\n");
	harness_open(&h, "vdpasim_net", "vnet-slots", NULL);
	fe_open(&f, h.sock, (size_t)(NSLOTS + 1) * SLOT);
	for (i = 0; i <= NSLOTS; i++)
		fe_add_region(&f, (uint64_t)i * SLOT, SLOT, GPA_BASE + (uint64_t)i * 2 * SLOT);
	CHECK(!fe_negotiate(&f, F(VIRTIO_F_VERSION_1), PROTO), "CONFIGURE_MEM_SLOTS negotiated");
	CHECK(!fe_get_u64(&f, VHOST_USER_GET_MAX_MEM_SLOTS, &slots) && slots == NSLOTS,
	      "GET_MAX_MEM_SLOTS = %llu", (unsigned long long)slots);

	for (i = 0; i < 10; i++)
		bad += add(&f, i) != 0;
	CHECK(!bad, "first 10 regions added");
	/* QEMU 7.2 sends the table once per queue pair on one connection. */
	CHECK(add(&f, 2) == 0 && add(&f, 2) == 0, "region 2 added twice more: counted, not refused");
	CHECK(rem(&f, 2) == 0 && rem(&f, 2) == 0, "two REM_MEM_REGs take the counts back");
	CHECK(rem(&f, 2) == 0 && rem(&f, 2) > 0, "the third removes region 2, a fourth is refused");
	CHECK(add(&f, 2) == 0, "region 2 added back");
	r = slot(&f, 3);
	r.region.userspace_addr = (uintptr_t)(f.mem + 20 * SLOT);
	CHECK(fe_acked(&f, VHOST_USER_ADD_MEM_REG, &r, sizeof(r), &f.memfd, 1) > 0,
	      "region overlapping region 3's guest addresses refused");
	r = slot(&f, 20);
	r.region.userspace_addr = (uintptr_t)(f.mem + 4 * SLOT + 4096);
	CHECK(fe_acked(&f, VHOST_USER_ADD_MEM_REG, &r, sizeof(r), &f.memfd, 1) > 0,
	      "region overlapping region 4's user addresses refused");
	CHECK(fe_acked(&f, VHOST_USER_ADD_MEM_REG, &r, sizeof(r), NULL, 0) > 0,
	      "ADD_MEM_REG without an fd refused");
	for (; i < NSLOTS; i++)
		bad += add(&f, i) != 0;
	CHECK(!bad, "all %u regions added", NSLOTS);
	CHECK(add(&f, NSLOTS) > 0, "region %u refused (slots full)", NSLOTS + 1);

	CHECK(fe_ring_start(&f, 0, 256, false, true, 0) == 0 &&
	      fe_ring_start(&f, 1, 256, false, true, 0) == 0, "rings in region 0 started");
	CHECK(loop_in(&f, 5, 1) && loop_in(&f, 300, 2) && loop_in(&f, NSLOTS - 1, 3),
	      "frames through buffers in regions 5, 300 and %u", NSLOTS - 1);

	for (i = 100; i < 200; i++)
		bad += rem(&f, i) != 0;
	CHECK(!bad, "100 regions removed while the rings run");
	CHECK(rem(&f, 150) > 0, "removing region 150 again is refused");
	CHECK(loop_in(&f, 300, 4), "frames still flow through region 300");
	for (i = 100; i < 200; i++)
		bad += add(&f, i) != 0;
	CHECK(!bad, "the 100 regions added back");
	CHECK(loop_in(&f, 150, 5), "frames flow through re-added region 150");

	/* One SET_MEM_TABLE replaces all 509 slots. */
	f.nreg = 1;
	CHECK(fe_send_mem_table(&f) == 0, "SET_MEM_TABLE with region 0 only replaces the table");
	CHECK(fe_net_loopback(&f, 0, 1, 8, 6, 0) == 8, "frames flow with the single region");
	f.nreg = NSLOTS + 1;
	CHECK(rem(&f, 300) > 0, "region 300 is gone");

	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "disconnect reset the device");
	harness_close(&h);
	return 0;
}
