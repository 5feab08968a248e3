// SPDX-License-Identifier: MIT
/*
 * Checks of vhost-user replies. A back end is another process, maybe
 * another vendor's, maybe broken: nothing it sends is used before its size
 * and echoes are checked, and a reply that does not fit is a protocol error
 * for the whole connection (the framing can no longer be trusted).
 */
#include <errno.h>
#include <string.h>

#include "driver/vu_proto.h"

static const char *const names[] = {
	[VU_GET_FEATURES] = "GET_FEATURES",
	[VU_SET_FEATURES] = "SET_FEATURES",
	[VU_SET_OWNER] = "SET_OWNER",
	[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VU_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[VU_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[VU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VU_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VU_GET_CONFIG] = "GET_CONFIG",
	[VU_RESET_DEVICE] = "RESET_DEVICE",
	[VU_SET_STATUS] = "SET_STATUS",
	[VU_GET_STATUS] = "GET_STATUS",
};

const char *vu_request_name(uint32_t request)
{
	if (request < sizeof(names) / sizeof(names[0]) && names[request])
		return names[request];
	return "unknown request";
}

int vu_check_hdr(const struct vu_hdr *h, uint32_t request)
{
	if ((h->flags & VU_VERSION_MASK) != VU_VERSION || !(h->flags & VU_F_REPLY) ||
	    h->request != request || h->size > VU_PAYLOAD_MAX)
		return -EPROTO;
	return 0;
}

int vu_parse_u64(const struct vu_msg *m, uint64_t *out)
{
	if (m->hdr.size != sizeof(uint64_t))
		return -EPROTO;
	*out = m->p.u64;
	return 0;
}

int vu_parse_state(const struct vu_msg *m, uint32_t index, uint32_t *num)
{
	if (m->hdr.size != sizeof(struct vu_state) || m->p.state.index != index)
		return -EPROTO;
	*num = m->p.state.num;
	return 0;
}

int vu_parse_config(const struct vu_msg *m, uint32_t size, const uint8_t **data)
{
	/* The spec's error reply: a config header with size 0, or no payload
	 * at all from back ends that answer the failure with an empty reply. */
	if (m->hdr.size == 0 || (m->hdr.size == VU_CONFIG_HDR && m->p.config.size == 0))
		return -EIO;
	if (size > VU_CONFIG_MAX || m->hdr.size != VU_CONFIG_HDR + size ||
	    m->p.config.size != size || m->p.config.offset != 0)
		return -EPROTO;
	*data = m->p.config.data;
	return 0;
}

int vu_parse_inflight(const struct vu_msg *m, uint16_t num_queues, uint16_t queue_size,
		      struct vu_inflight *out)
{
	const struct vu_inflight *in = &m->p.inflight;

	if (m->hdr.size != sizeof(*in) || in->num_queues != num_queues ||
	    in->queue_size != queue_size)
		return -EPROTO;
	if (!in->mmap_size)
		return -EIO;
	if (in->mmap_offset > UINT64_MAX - in->mmap_size)
		return -EPROTO;
	*out = *in;
	return 0;
}

int vu_parse_reply(const void *buf, size_t len, uint32_t request, struct vu_msg *out)
{
	if (len < sizeof(out->hdr))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	memcpy(&out->hdr, buf, sizeof(out->hdr));
	if (vu_check_hdr(&out->hdr, request) || len - sizeof(out->hdr) != out->hdr.size)
		return -EPROTO;
	memcpy(&out->p, (const uint8_t *)buf + sizeof(out->hdr), out->hdr.size);
	return 0;
}

int vu_check_backend_hdr(const struct vu_hdr *h)
{
	if ((h->flags & VU_VERSION_MASK) != VU_VERSION || (h->flags & VU_F_REPLY) ||
	    h->size > VU_PAYLOAD_MAX)
		return -EPROTO;
	return 0;
}

int vu_backend_verdict(const struct vu_msg *m, bool *config_changed)
{
	*config_changed = false;
	if (m->hdr.request != VU_BACKEND_CONFIG_CHANGE_MSG)
		return 1;
	/* The spec gives it no payload; libvhost-user and DPDK send none. */
	if (m->hdr.size)
		return -EPROTO;
	*config_changed = true;
	return 0;
}

int vu_parse_backend_msg(const void *buf, size_t len, struct vu_msg *out,
			 bool *config_changed)
{
	*config_changed = false;
	if (len < sizeof(out->hdr))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	memcpy(&out->hdr, buf, sizeof(out->hdr));
	if (vu_check_backend_hdr(&out->hdr) || len - sizeof(out->hdr) != out->hdr.size)
		return -EPROTO;
	memcpy(&out->p, (const uint8_t *)buf + sizeof(out->hdr), out->hdr.size);
	return vu_backend_verdict(out, config_changed);
}
