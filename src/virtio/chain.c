// SPDX-License-Identifier: MIT
/*
 * Copies between chains and flat buffers. The device datapath copies each
 * byte once: uvdpa_chain_copy moves a TX chain's payload straight into an
 * RX chain's buffers.
 */
#include <string.h>

#include "vq.h"

/* A position inside a run of segments. */
struct seg_pos {
	const struct iovec *iov, *end;
	size_t off;                     /* into *iov */
};

/* Positions p at byte off of segs[0 .. n); false if off is past the end. */
static bool seg_seek(struct seg_pos *p, const struct iovec *segs, uint32_t n, size_t off)
{
	p->iov = segs;
	p->end = segs + n;
	while (p->iov < p->end && off >= p->iov->iov_len) {
		off -= p->iov->iov_len;
		p->iov++;
	}
	p->off = off;
	return p->iov < p->end;
}

/* Bytes left in the current segment; moves to the next one when empty. */
static size_t seg_room(struct seg_pos *p)
{
	while (p->iov < p->end && p->off == p->iov->iov_len) {
		p->iov++;
		p->off = 0;
	}
	return p->iov < p->end ? p->iov->iov_len - p->off : 0;
}

static void *seg_ptr(const struct seg_pos *p)
{
	return (char *)p->iov->iov_base + p->off;
}

size_t uvdpa_chain_read(const struct uvdpa_chain *c, size_t off, void *buf, size_t len)
{
	struct seg_pos p;
	size_t done = 0;

	if (!seg_seek(&p, c->iov, c->n_out, off))
		return 0;
	while (done < len) {
		size_t n = seg_room(&p);

		if (!n)
			break;
		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done, seg_ptr(&p), n);
		p.off += n;
		done += n;
	}
	return done;
}

size_t uvdpa_chain_write(const struct uvdpa_chain *c, size_t off, const void *buf, size_t len)
{
	struct seg_pos p;
	size_t done = 0;

	if (!seg_seek(&p, c->iov + c->n_out, c->n_in, off))
		return 0;
	while (done < len) {
		size_t n = seg_room(&p);

		if (!n)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(seg_ptr(&p), (const char *)buf + done, n);
		p.off += n;
		done += n;
	}
	return done;
}

size_t uvdpa_chain_copy(const struct uvdpa_chain *dst, size_t dst_off,
			const struct uvdpa_chain *src, size_t src_off, size_t len)
{
	struct seg_pos s, d;
	size_t done = 0;

	/* A frame in one segment into a buffer of one: no iterators. */
	if (src->n_out && dst->n_in && len <= src->iov[0].iov_len &&
	    src_off <= src->iov[0].iov_len - len &&
	    len <= dst->iov[dst->n_out].iov_len &&
	    dst_off <= dst->iov[dst->n_out].iov_len - len) {
		memmove((char *)dst->iov[dst->n_out].iov_base + dst_off,
			(const char *)src->iov[0].iov_base + src_off, len);
		return len;
	}
	if (!seg_seek(&s, src->iov, src->n_out, src_off) ||
	    !seg_seek(&d, dst->iov + dst->n_out, dst->n_in, dst_off))
		return 0;
	while (done < len) {
		size_t sn = seg_room(&s), dn = seg_room(&d), n;

		if (!sn || !dn)
			break;
		n = sn < dn ? sn : dn;
		if (n > len - done)
			n = len - done;
		/* guest buffers may overlap (one driver, one memory): memmove */
		memmove(seg_ptr(&d), seg_ptr(&s), n);
		s.off += n;
		d.off += n;
		done += n;
	}
	return done;
}
