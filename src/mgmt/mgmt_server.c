// SPDX-License-Identifier: MIT
/*
 * Datagram in, datagrams out: the netlink core's message loop
 * (netlink_rcv_skb), generic netlink's checks (genl_family_rcv_msg), ACKs
 * (netlink_ack with NETLINK_CAP_ACK and NETLINK_EXT_ACK) and dumps
 * (netlink_dump) for the families of this face.
 *
 * Where the kernel drops a malformed datagram silently (a bad nlmsg_len, a
 * datagram shorter than a header), uvdpad answers EINVAL so a client waiting
 * for its reply is not left hanging; a datagram longer than MGMT_REQUEST_MAX
 * gets EMSGSIZE. Neither executes anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include <uvdpa/vdpa_abi.h>
#include "mgmt/mgmt_priv.h"

struct mgmt_out {
	struct mgmt_out *next;
	size_t len;
	unsigned char data[];
};

struct mgmt_dump {
	bool active;
	genl_dumpit_fn fn;
	struct genl_dest to;
	unsigned idx;           /* entries already sent (the kernel's cb->args[0]) */
};

struct mgmt_client {
	struct mgmt_server *srv;
	struct mgmt_peer peer;
	struct mgmt_out *head, **tail;
	struct mgmt_dump dump;
};

struct mgmt_server *mgmt_server_new(struct uvdpa_bus *bus)
{
	struct mgmt_server *s = calloc(1, sizeof(*s));

	if (s)
		s->bus = bus;
	return s;
}

void mgmt_server_free(struct mgmt_server *srv)
{
	free(srv);
}

void mgmt_server_set_vduse_fn(struct mgmt_server *srv, mgmt_vduse_fn fn, void *opaque)
{
	srv->vduse = fn;
	srv->vduse_opaque = opaque;
}

void mgmt_server_set_export_fn(struct mgmt_server *srv, mgmt_export_fn fn, void *opaque)
{
	srv->export_fn = fn;
	srv->export_opaque = opaque;
}

void mgmt_server_set_socket_path_fn(struct mgmt_server *srv, mgmt_socket_path_fn fn,
				    void *opaque)
{
	srv->socket_path = fn;
	srv->socket_path_opaque = opaque;
}

void mgmt_server_set_commit_fn(struct mgmt_server *srv, mgmt_commit_fn fn, void *opaque)
{
	srv->commit = fn;
	srv->commit_opaque = opaque;
}

struct mgmt_client *mgmt_client_new(struct mgmt_server *srv, const struct mgmt_peer *peer)
{
	struct mgmt_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = srv;
	c->peer = *peer;
	c->tail = &c->head;
	return c;
}

void mgmt_client_free(struct mgmt_client *c)
{
	if (!c)
		return;
	while (c->head)
		mgmt_client_pop(c);
	free(c);
}

struct nlmsghdr *genl_msg_start(void *buf, uint16_t type, const struct genl_dest *to,
				uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = to->flags;
	nlh->nlmsg_seq = to->seq;
	nlh->nlmsg_pid = to->pid;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

const struct genl_op *genl_find_op(const struct genl_family_desc *f, uint8_t cmd)
{
	unsigned i;

	for (i = 0; i < f->n_ops; i++)
		if (f->ops[i].cmd == cmd)
			return &f->ops[i];
	return NULL;
}

static struct mgmt_out *out_alloc(size_t cap)
{
	struct mgmt_out *o = malloc(sizeof(*o) + cap);

	if (o) {
		o->next = NULL;
		o->len = 0;
	}
	return o;
}

static void out_queue(struct mgmt_client *c, struct mgmt_out *o)
{
	*c->tail = o;
	c->tail = &o->next;
}

/* Replies are dropped when memory runs out, as an skb allocation failure would. */
static void queue_copy(struct mgmt_client *c, const void *data, size_t len)
{
	struct mgmt_out *o = out_alloc(len);

	if (!o)
		return;
	memcpy(o->data, data, len);
	o->len = len;
	out_queue(c, o);
}

/* netlink_ack: NLMSG_ERROR with the request header (capped) and extack TLVs. */
static void queue_ack(struct mgmt_client *c, const struct nlmsghdr *req, int err,
		      const struct mgmt_extack *ext)
{
	union {
		unsigned char b[MGMT_DGRAM_MAX];
		struct nlmsghdr align;
	} buf;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf.b);
	const size_t cap = sizeof(buf.b);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = req->nlmsg_pid;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	e->msg = *req;
	if (ext->msg) {
		/* Longest message is well under the cap; put_check keeps it safe. */
		if (mnl_attr_put_strz_check(nlh, cap, NLMSGERR_ATTR_MSG, ext->msg))
			nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	}
	if (err && ext->bad_attr) {
		uint32_t off = (uint32_t)((const char *)ext->bad_attr - (const char *)req);

		if (mnl_attr_put_u32_check(nlh, cap, NLMSGERR_ATTR_OFFS, off))
			nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		if (ext->policy && genl_put_policy(nlh, cap, NLMSGERR_ATTR_POLICY, ext->policy))
			nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	}
	queue_copy(c, buf.b, nlh->nlmsg_len);
}

/* An error for a datagram whose first header cannot be trusted. */
static void queue_raw_error(struct mgmt_client *c, const void *buf, size_t len, int err,
			    const char *msg)
{
	struct mgmt_extack ext = { .msg = msg };
	struct nlmsghdr hdr = { 0 };

	memcpy(&hdr, buf, len < sizeof(hdr) ? len : sizeof(hdr));
	queue_ack(c, &hdr, err, &ext);
}

/* netlink_dump: one batch of whole messages, or NLMSG_DONE once the walk is over. */
static void dump_batch(struct mgmt_client *c)
{
	struct mgmt_dump *d = &c->dump;
	struct mgmt_out *o = out_alloc(MGMT_DGRAM_MAX);
	struct nlmsghdr *done;
	int n;

	if (!o) {
		d->active = false;
		return;
	}
	for (;;) {
		n = d->fn(c->srv, d->idx, o->data + o->len, MGMT_DGRAM_MAX - o->len, &d->to);
		if (n <= 0)
			break;
		o->len += (size_t)n;
		d->idx++;
	}
	if (o->len) {
		out_queue(c, o);
		return;
	}
	/* Nothing more (or an entry that cannot be sent at all): DONE, error 0. */
	done = mnl_nlmsg_put_header(o->data);
	done->nlmsg_type = NLMSG_DONE;
	done->nlmsg_flags = NLM_F_MULTI;
	done->nlmsg_seq = d->to.seq;
	done->nlmsg_pid = d->to.pid;
	*(int *)mnl_nlmsg_put_extra_header(done, sizeof(int)) = 0;
	o->len = done->nlmsg_len;
	out_queue(c, o);
	d->active = false;
}

static const struct genl_family_desc *family_by_id(uint16_t id)
{
	if (id == mgmt_nlctrl_family.id)
		return &mgmt_nlctrl_family;
	if (id == mgmt_vdpa_family.id)
		return &mgmt_vdpa_family;
	return NULL;
}

/* genl_header_check: only for commands added after validation started. */
static int genl_header_check(const struct genl_family_desc *f, const struct nlmsghdr *nlh,
			     const struct genlmsghdr *g, struct mgmt_extack *ext)
{
	uint16_t flags = nlh->nlmsg_flags;

	if (g->cmd < f->resv_start_op)
		return 0;
	if (g->reserved) {
		mgmt_extack_set(ext, "genlmsghdr.reserved field is not 0");
		return -EINVAL;
	}
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= (uint16_t)~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		mgmt_extack_set(ext, "ambiguous or reserved bits set in nlmsg_flags");
		return -EINVAL;
	}
	return 0;
}

static int genl_start_dump(struct mgmt_client *c, const struct genl_op *op,
			   const struct nlmsghdr *nlh)
{
	if (c->dump.active)
		return -EBUSY;
	c->dump = (struct mgmt_dump){
		.active = true,
		.fn = op->dumpit,
		.to = { .seq = nlh->nlmsg_seq, .pid = nlh->nlmsg_pid, .flags = NLM_F_MULTI },
	};
	/* The first batch goes out at once, as netlink_dump_start does. */
	dump_batch(c);
	return -EINTR;
}

static int genl_doit(struct mgmt_client *c, const struct genl_op *op,
		     const struct nlmsghdr *nlh, const struct nlattr **tb,
		     struct mgmt_extack *ext)
{
	union {
		unsigned char b[MGMT_DGRAM_MAX];
		struct nlmsghdr align;
	} reply;
	struct genl_req r = {
		.srv = c->srv,
		.peer = &c->peer,
		.nlh = nlh,
		.tb = tb,
		.ext = ext,
		.to = { .seq = nlh->nlmsg_seq, .pid = nlh->nlmsg_pid },
		.reply = reply.b,
	};
	int ret = op->doit(&r);

	if (ret > 0) {
		queue_copy(c, reply.b, (size_t)ret);
		ret = 0;
	}
	return ret;
}

/* GENL_ADMIN_PERM, checked for each request as the kernel does at send time. */
static bool peer_is_admin(const struct mgmt_peer *p)
{
	return p->admin || (p->admin_now && p->admin_now(p->opaque));
}

/* genl_rcv_msg + genl_family_rcv_msg. */
static int genl_rcv(struct mgmt_client *c, const struct nlmsghdr *nlh, struct mgmt_extack *ext)
{
	const struct nlattr *tb[MGMT_TB_MAX + 1];
	const struct genl_family_desc *f = family_by_id(nlh->nlmsg_type);
	const size_t hdrlen = MNL_NLMSG_HDRLEN + GENL_HDRLEN;
	const struct genlmsghdr *g;
	const struct genl_op *op;
	bool dump;
	int err;

	if (!f)
		return -ENOENT;
	if (nlh->nlmsg_len < hdrlen)
		return -EINVAL;
	g = mnl_nlmsg_get_payload(nlh);
	err = genl_header_check(f, nlh, g, ext);
	if (err)
		return err;
	dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	op = genl_find_op(f, g->cmd);
	if (!op || !(dump ? (bool)op->dumpit : (bool)op->doit))
		return -EOPNOTSUPP;
	if ((op->flags & GENL_ADMIN_PERM) && !peer_is_admin(&c->peer))
		return -EPERM;
	/* nlctrl keeps GENL_DONT_VALIDATE_DUMP: its dumps take no attributes. */
	if (dump && f->validate == GENL_VALIDATE_LIBERAL) {
		memset(tb, 0, sizeof(tb));
	} else {
		err = genl_parse_attrs((const char *)nlh + hdrlen, nlh->nlmsg_len - hdrlen,
				       f->policy(g->cmd),
				       f->maxattr_of ? f->maxattr_of(g->cmd) : f->maxattr,
				       f->validate, tb, ext);
		if (err)
			return err;
	}
	if (dump)
		return genl_start_dump(c, op, nlh);
	return genl_doit(c, op, nlh, tb, ext);
}

/* One message of netlink_rcv_skb's loop. */
static void rcv_msg(struct mgmt_client *c, const struct nlmsghdr *nlh)
{
	struct mgmt_extack ext = { 0 };
	int err = 0;

	/* Not a request, or a control message: nothing to do but the ACK. */
	if ((nlh->nlmsg_flags & NLM_F_REQUEST) && nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
		err = genl_rcv(c, nlh, &ext);
		if (err == -EINTR)
			return;
	}
	if ((nlh->nlmsg_flags & NLM_F_ACK) || err)
		queue_ack(c, nlh, err, &ext);
}

static void input_aligned(struct mgmt_client *c, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	if (len < MNL_NLMSG_HDRLEN) {
		queue_raw_error(c, buf, len, -EINVAL, "truncated netlink message header");
		return;
	}
	while (len - off >= MNL_NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || nlh->nlmsg_len > len - off) {
			queue_raw_error(c, nlh, MNL_NLMSG_HDRLEN, -EINVAL,
					"invalid netlink message length");
			return;
		}
		rcv_msg(c, nlh);
		off += MNL_ALIGN(nlh->nlmsg_len);
		if (off > len)
			off = len;
	}
}

void mgmt_client_input(struct mgmt_client *c, const void *buf, size_t len,
		       size_t truncated_len)
{
	void *copy;

	if (truncated_len > len || len > MGMT_REQUEST_MAX) {
		queue_raw_error(c, buf, len, -EMSGSIZE, "message too long");
		return;
	}
	if (((uintptr_t)buf & 3) == 0) {
		input_aligned(c, buf, len);
		return;
	}
	/* Headers and attributes are read in place: they need 4-byte alignment. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, buf, len);
	input_aligned(c, copy, len);
	free(copy);
}

const void *mgmt_client_peek(struct mgmt_client *c, size_t *len)
{
	if (!c->head && c->dump.active)
		dump_batch(c);
	if (!c->head)
		return NULL;
	*len = c->head->len;
	return c->head->data;
}

void mgmt_client_pop(struct mgmt_client *c)
{
	struct mgmt_out *o = c->head;

	if (!o)
		return;
	c->head = o->next;
	if (!c->head)
		c->tail = &c->head;
	free(o);
}

bool mgmt_client_busy(const struct mgmt_client *c)
{
	return c->head || c->dump.active;
}

void mgmt_handle_datagram(struct mgmt_server *srv, const void *buf, size_t len,
			  const struct mgmt_peer *peer, mgmt_sink_fn sink, void *opaque)
{
	struct mgmt_client *c = mgmt_client_new(srv, peer);
	const void *out;
	size_t olen;

	if (!c)
		return;
	mgmt_client_input(c, buf, len, len);
	while ((out = mgmt_client_peek(c, &olen))) {
		sink(opaque, out, olen);
		mgmt_client_pop(c);
	}
	mgmt_client_free(c);
}
