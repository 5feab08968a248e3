// SPDX-License-Identifier: MIT
/*
 * vdpasim_net through the vhost face: features and protocol features as
 * advertised, frames looped back byte-exact over split or packed rings,
 * GET_VRING_BASE stops the rings and returns their state, a restart from
 * that state carries on, GET_CONFIG returns the device's config space.
 *
 * usage: test_vhost_net split|packed [event]
 */
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "fe.h"

#define GPA_BASE 0x100000000ull      /* far from any host address */
#define MEM      (8u << 20)

static void check_offer(struct fe *f, struct harness *h)
{
	uint64_t feat, proto, qn, slots;
	uint64_t want_proto = F(VHOST_USER_PROTOCOL_F_MQ) | F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		F(VHOST_USER_PROTOCOL_F_CONFIG) | F(VHOST_USER_PROTOCOL_F_STATUS) |
		F(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
		F(VHOST_USER_PROTOCOL_F_RESET_DEVICE) | F(VHOST_USER_PROTOCOL_F_NET_MTU) |
		F(VHOST_USER_PROTOCOL_F_BACKEND_REQ);

	CHECK(!fe_get_u64(f, VHOST_USER_GET_FEATURES, &feat), "GET_FEATURES answered");
	CHECK(feat & F(FE_PROTO_FEATURES), "offers PROTOCOL_FEATURES (bit 30)");
	CHECK(!(feat & F(VIRTIO_F_ACCESS_PLATFORM)), "hides ACCESS_PLATFORM (0x%llx)",
	      (unsigned long long)feat);
	CHECK((feat & ~F(FE_PROTO_FEATURES)) ==
	      (h->dev->ops->get_device_features(h->dev) & ~F(VIRTIO_F_ACCESS_PLATFORM)),
	      "offers exactly the device features otherwise");
	CHECK(!fe_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &proto), "GET_PROTOCOL_FEATURES");
	CHECK(proto == want_proto, "protocol features 0x%llx (BACKEND_REQ; no INFLIGHT, LOG)",
	      (unsigned long long)proto);
	CHECK(!fe_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &qn) && qn == 1,
	      "GET_QUEUE_NUM = 1 queue pair (%llu)", (unsigned long long)qn);
	CHECK(!fe_get_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS, &slots) && slots >= 509,
	      "GET_MAX_MEM_SLOTS = %llu", (unsigned long long)slots);
}

static void check_config(struct fe *f, struct harness *h)
{
	struct vhost_user_config req = { .offset = 0 };
	struct vhost_user_msg m;
	uint8_t ref[256];
	struct virtio_net_config nc;
	size_t size = h->dev->ops->get_config_size(h->dev);

	REQUIRE(size >= sizeof(nc) && size <= sizeof(ref), "config size %zu", size);
	req.size = (uint32_t)size;
	CHECK(!fe_send(f, VHOST_USER_GET_CONFIG, 0, &req, VHOST_USER_CONFIG_HDR_SIZE + size,
		       NULL, 0) && !fe_recv(f, &m, 5000), "GET_CONFIG answered");
	CHECK(m.hdr.size == VHOST_USER_CONFIG_HDR_SIZE + size && m.p.config.size == size,
	      "GET_CONFIG reply has the requested size (%u)", m.hdr.size);
	h->dev->ops->get_config(h->dev, 0, ref, (unsigned)size);
	CHECK(!memcmp(m.p.config.region, ref, size), "GET_CONFIG content = device config");
	memcpy(&nc, m.p.config.region, sizeof(nc));
	CHECK(nc.mtu == 1500 && nc.status == VIRTIO_NET_S_LINK_UP,
	      "net config: mtu %u, link up", nc.mtu);
	req.offset = 6;
	req.size = 2;
	CHECK(!fe_send(f, VHOST_USER_GET_CONFIG, 0, &req, VHOST_USER_CONFIG_HDR_SIZE + 2, NULL, 0) &&
	      !fe_recv(f, &m, 5000) && m.hdr.size == VHOST_USER_CONFIG_HDR_SIZE + 2 &&
	      !memcmp(m.p.config.region, ref + 6, 2), "GET_CONFIG at offset 6 (status)");
}

int main(int argc, char **argv)
{
	bool packed = argc > 1 && !strcmp(argv[1], "packed");
	bool event = argc > 2 && !strcmp(argv[2], "event");
	uint32_t init = packed ? 0x80008000u : 0;    /* wrap counters start at 1 */
	uint64_t features = F(VIRTIO_F_VERSION_1) | (packed ? F(VIRTIO_F_RING_PACKED) : 0) |
			    (event ? F(VIRTIO_RING_F_EVENT_IDX) : 0);
	struct harness h;
	uint32_t rxb, txb, want;
	char path[128];
	struct fe f;

	printf("# net over vhost-user, %s ring%s\n", packed ? "packed" : "split",
	       event ? ", event idx" : "");
	harness_open(&h, "vdpasim_net", "vnet0", NULL);
	CHECK(access(h.sock, F_OK) == 0, "socket %s exists", h.sock);
	fe_open(&f, h.sock, MEM);
	fe_add_region(&f, 0, MEM, GPA_BASE);
	check_offer(&f, &h);

	CHECK(!fe_negotiate(&f, features, F(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			    F(VHOST_USER_PROTOCOL_F_MQ) | F(VHOST_USER_PROTOCOL_F_CONFIG)),
	      "features 0x%llx negotiated", (unsigned long long)features);
	CHECK(h.dev->ops->get_driver_features(h.dev) == features,
	      "device got exactly the negotiated features (0x%llx), no ACCESS_PLATFORM added",
	      (unsigned long long)h.dev->ops->get_driver_features(h.dev));
	CHECK(fe_send_mem_table(&f) == 0, "SET_MEM_TABLE acked");
	CHECK(fe_ring_start(&f, 0, 256, packed, event, init) == 0, "rx ring 0 started");
	CHECK(fe_ring_start(&f, 1, 256, packed, event, init) == 0, "tx ring 1 started");
	CHECK(wait_device_status(h.dev, 0x0f, 1000),
	      "back end drove the status to ACK|DRIVER|FEATURES_OK|DRIVER_OK");
	CHECK(h.dev->ops->get_vq_ready(h.dev, 0) && h.dev->ops->get_vq_ready(h.dev, 1),
	      "device queues 0 and 1 ready");

	CHECK(fe_net_loopback(&f, 0, 1, 200, 1, 0) == 200, "200 frames looped back byte-exact");

	CHECK(!fe_get_vring_base(&f, 0, &rxb) && !fe_get_vring_base(&f, 1, &txb),
	      "GET_VRING_BASE answered for both rings");
	want = packed ? 0x80008000u | 200 | 200 << 16 : 200;
	CHECK(rxb == want && txb == want, "ring state rx 0x%x tx 0x%x (want 0x%x)", rxb, txb, want);
	CHECK(!h.dev->ops->get_vq_ready(h.dev, 0) && !h.dev->ops->get_vq_ready(h.dev, 1),
	      "GET_VRING_BASE stopped the device queues");

	CHECK(fe_ring_restart(&f, 0, rxb) == 0 && fe_ring_restart(&f, 1, txb) == 0,
	      "rings restarted from the returned state");
	CHECK(fe_net_loopback(&f, 0, 1, 100, 1000, 0) == 100, "100 more frames after restart");
	CHECK(!fe_get_vring_base(&f, 0, &rxb), "GET_VRING_BASE after restart");
	/* packed: 300 descriptors through 256 slots = index 44, wrap counters 0 */
	want = packed ? 44 | 44u << 16 : 300;
	CHECK(rxb == want, "state after 300 buffers: 0x%x (want 0x%x)", rxb, want);

	check_config(&f, &h);
	fe_close(&f);
	CHECK(wait_device_status(h.dev, 0, 2000), "disconnect reset the device");
	snprintf(path, sizeof(path), "%s", h.sock);
	harness_close(&h);
	CHECK(access(path, F_OK) != 0, "device removal removed the socket");
	return 0;
}
