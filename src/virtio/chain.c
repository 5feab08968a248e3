// SPDX-License-Identifier: MIT
/*
 * Copies between chains and flat buffers. The device datapath copies each
 * byte once: uvdpa_chain_copy moves a TX chain's payload straight into an
 * RX chain's buffers.
 */
#include <string.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif

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

/* The readable segments from off into buf through copy, which the
 * compiler inlines: memcpy here, streaming stores for uvdpa_chain_read_nt. */
static inline __attribute__((always_inline)) size_t
read_out(const struct uvdpa_chain *c, size_t off, void *buf, size_t len,
	 void (*copy)(char *dst, const char *src, size_t n))
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
		copy((char *)buf + done, seg_ptr(&p), n);
		p.off += n;
		done += n;
	}
	return done;
}

static inline void copy_plain(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
}

size_t uvdpa_chain_read(const struct uvdpa_chain *c, size_t off, void *buf, size_t len)
{
	return read_out(c, off, buf, len, copy_plain);
}

/* buf into the writable segments from off, through copy (see read_out). */
static inline __attribute__((always_inline)) size_t
write_in(const struct uvdpa_chain *c, size_t off, const void *buf, size_t len,
	 void (*copy)(char *dst, const char *src, size_t n))
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
		copy(seg_ptr(&p), (const char *)buf + done, n);
		p.off += n;
		done += n;
	}
	return done;
}

size_t uvdpa_chain_write(const struct uvdpa_chain *c, size_t off, const void *buf, size_t len)
{
	return write_in(c, off, buf, len, copy_plain);
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

#ifdef __SSE2__
/* Bytes before dst reaches an align boundary, by memcpy; returns them. */
static size_t copy_head(char *dst, const char *src, size_t len, size_t align)
{
	size_t head = (size_t)(-(uintptr_t)dst & (align - 1));

	if (head > len)
		head = len;
	if (head)
		memcpy(dst, src, head);
	return head;
}

/*
 * len bytes from src to dst, stores bypassing the cache; what lies outside
 * dst's aligned blocks goes by memcpy. 32-byte AVX stores where the CPU has
 * them (x86-64's baseline is SSE2): a 4 KiB page in half the instructions.
 */
__attribute__((target("avx"))) static void copy_nt_avx(char *dst, const char *src, size_t len)
{
	size_t head = copy_head(dst, src, len, 32), i;

	dst += head;
	src += head;
	len -= head;
	/* one index for both sides and 256 bytes a turn: 19 instructions
	 * per 4 lines */
	for (i = 0; i + 256 <= len; i += 256) {
		const __m256i *s = (const __m256i *)(src + i);
		__m256i *d = (__m256i *)(dst + i);
		__m256i v0 = _mm256_loadu_si256(s), v1 = _mm256_loadu_si256(s + 1);
		__m256i v2 = _mm256_loadu_si256(s + 2), v3 = _mm256_loadu_si256(s + 3);
		__m256i v4 = _mm256_loadu_si256(s + 4), v5 = _mm256_loadu_si256(s + 5);
		__m256i v6 = _mm256_loadu_si256(s + 6), v7 = _mm256_loadu_si256(s + 7);

		_mm256_stream_si256(d, v0);
		_mm256_stream_si256(d + 1, v1);
		_mm256_stream_si256(d + 2, v2);
		_mm256_stream_si256(d + 3, v3);
		_mm256_stream_si256(d + 4, v4);
		_mm256_stream_si256(d + 5, v5);
		_mm256_stream_si256(d + 6, v6);
		_mm256_stream_si256(d + 7, v7);
	}
	for (; i + 32 <= len; i += 32)
		_mm256_stream_si256((__m256i *)(dst + i),
				    _mm256_loadu_si256((const __m256i *)(src + i)));
	if (i < len)
		memcpy(dst + i, src + i, len - i);
}

static void copy_nt_sse2(char *dst, const char *src, size_t len)
{
	size_t head = copy_head(dst, src, len, 16);

	dst += head;
	src += head;
	len -= head;
	for (; len >= 64; len -= 64, dst += 64, src += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)src);
		__m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(src + 48));

		_mm_stream_si128((__m128i *)dst, a);
		_mm_stream_si128((__m128i *)(dst + 16), b);
		_mm_stream_si128((__m128i *)(dst + 32), c);
		_mm_stream_si128((__m128i *)(dst + 48), d);
	}
	for (; len >= 16; len -= 16, dst += 16, src += 16)
		_mm_stream_si128((__m128i *)dst, _mm_loadu_si128((const __m128i *)src));
	memcpy(dst, src, len);
}

static void copy_nt_baseline(char *dst, const char *src, size_t len)
{
	if (len < 128)
		memcpy(dst, src, len);          /* a block or two: not worth it */
	else
		copy_nt_sse2(dst, src, len);
}

static void copy_nt(char *dst, const char *src, size_t len)
{
	if (len >= 128 && __builtin_cpu_supports("avx"))
		copy_nt_avx(dst, src, len);
	else
		copy_nt_baseline(dst, src, len);
}

void uvdpa_chain_nt_fence(void)
{
	_mm_sfence();
}
#else
static void copy_nt(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
}

static void copy_nt_baseline(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
}

void uvdpa_chain_nt_fence(void)
{
}
#endif

size_t uvdpa_chain_read_nt(const struct uvdpa_chain *c, size_t off, void *buf, size_t len)
{
	return read_out(c, off, buf, len, copy_nt);
}

size_t uvdpa_chain_write_nt(const struct uvdpa_chain *c, size_t off, const void *buf, size_t len)
{
	return write_in(c, off, buf, len, copy_nt);
}

size_t uvdpa_chain_read_nt_baseline(const struct uvdpa_chain *c, size_t off, void *buf,
				    size_t len)
{
	return read_out(c, off, buf, len, copy_nt_baseline);
}

size_t uvdpa_chain_write_nt_baseline(const struct uvdpa_chain *c, size_t off, const void *buf,
				     size_t len)
{
	return write_in(c, off, buf, len, copy_nt_baseline);
}
