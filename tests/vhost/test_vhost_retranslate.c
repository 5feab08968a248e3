// SPDX-License-Identifier: MIT
/*
 * Ring addresses follow the memory table. The rings live at front-end
 * virtual addresses; a new SET_MEM_TABLE that moves the same memory to other
 * guest physical addresses (and REM_MEM_REG + ADD_MEM_REG doing the same)
 * must move the device's rings with it, as DPDK does, and the traffic goes
 * on from where it was. A table that drops the rings' memory stops them
 * until it comes back.
 */
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "fe.h"

#define MEM   (8u << 20)
#define GPA_A 0x100000000ull
#define GPA_B 0x200000000ull
#define GPA_C 0x300000000ull

static int64_t mem_reg(struct fe *f, uint32_t req, uint64_t gpa)
{
	struct vhost_user_mem_reg r = { .region = {
		.guest_phys_addr = gpa, .memory_size = MEM,
		.userspace_addr = (uint64_t)(uintptr_t)f->mem, .mmap_offset = 0,
	} };

	return fe_acked(f, req, &r, sizeof(r), req == VHOST_USER_ADD_MEM_REG ? &f->memfd : NULL,
			req == VHOST_USER_ADD_MEM_REG);
}

int main(void)
{
	uint64_t proto = F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS);
	struct harness h;
	struct fe f;

	printf("# ring addresses are translated again when the memory table changes\n");
	harness_open(&h, "vdpasim_net", "vnet0", NULL);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_A);
	REQUIRE(!fe_negotiate(&f, F(VIRTIO_F_VERSION_1), proto), "negotiate");
	REQUIRE(fe_send_mem_table(&f) == 0, "mem table at GPA A");
	REQUIRE(fe_ring_start(&f, 0, 256, false, false, 0) == 0 &&
		fe_ring_start(&f, 1, 256, false, false, 0) == 0, "rings");
	CHECK(fe_net_loopback(&f, 0, 1, 100, 1, 0) == 100, "100 frames with memory at GPA A");

	f.reg[0].gpa = GPA_B;
	CHECK(fe_send_mem_table(&f) == 0, "SET_MEM_TABLE moves the memory to GPA B");
	CHECK(fe_net_loopback(&f, 0, 1, 100, 2, 0) == 100,
	      "100 more frames: the rings moved with the memory");

	CHECK(mem_reg(&f, VHOST_USER_REM_MEM_REG, GPA_B) == 0, "REM_MEM_REG of GPA B");
	CHECK(!h.dev->ops->get_vq_ready(h.dev, 0) && !h.dev->ops->get_vq_ready(h.dev, 1),
	      "rings whose memory is gone are stopped");
	CHECK(mem_reg(&f, VHOST_USER_ADD_MEM_REG, GPA_C) == 0, "ADD_MEM_REG at GPA C");
	f.reg[0].gpa = GPA_C;
	CHECK(h.dev->ops->get_vq_ready(h.dev, 0) && h.dev->ops->get_vq_ready(h.dev, 1),
	      "the rings run again where their memory now is");
	CHECK(fe_net_loopback(&f, 0, 1, 100, 3, 0) == 100, "100 frames with memory at GPA C");
	fe_close(&f);
	harness_close(&h);
	return 0;
}
