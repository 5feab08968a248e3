// SPDX-License-Identifier: MIT
/*
 * Chains as memory: a buffer spanning two adjacent map regions becomes two
 * segments (guard pages around each region), and chain_read / chain_write /
 * chain_copy / chain_read_nt / chain_write_nt move exactly the right bytes at any offset.
 */
#include "vqtest.h"

#define RA 0x40000000ull

int main(void)
{
	struct guarded g1, g2;
	struct uvdpa_memmap *m = uvdpa_memmap_new();
	struct uvdpa_map_region r;
	struct pair p;
	struct iovec iov[8], iov2[8];
	struct uvdpa_chain c = { .iov = iov, .iov_cap = 8 }, d = { .iov = iov2, .iov_cap = 8 };
	uint8_t flat[8192], back[8192];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned i, bad;

	/* two regions adjacent in IOVA, far apart in host memory */
	guarded_alloc(&g1, pg);
	guarded_alloc(&g2, pg);
	r = (struct uvdpa_map_region){ RA, pg, g1.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(m, &r);
	r = (struct uvdpa_map_region){ RA + pg, pg, g2.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(m, &r);

	pair_init(&p, 8, false, false, 16384);
	/* rings from the pair's arena, buffers from g1/g2: one map with all three */
	r = (struct uvdpa_map_region){ p.a.iova, p.a.g.size, p.a.g.mem, UVDPA_MAP_RW };
	uvdpa_memmap_add(m, &r);
	CHECK(uvdpa_vq_dev_setup(&p.dev, &p.l, m, NULL) == 0, "device on a 3-region map");

	{
		/* out: [RA+pg-100, +300) spans g1|g2; in: [RA+10, +50) and [RA+pg+500, +1000) */
		struct uvdpa_vq_buf b[3] = {
			{ RA + pg - 100, 300, false },
			{ RA + 10, 50, true },
			{ RA + pg + 500, 1000, true },
		};

		for (i = 0; i < 300; i++)
			*(i < 100 ? &g1.mem[pg - 100 + i] : &g2.mem[i - 100]) = (uint8_t)(i * 3 + 1);
		uvdpa_vq_drv_add(&p.drv, b, 3, &p);
		uvdpa_vq_drv_publish(&p.drv);
	}
	CHECK(uvdpa_vq_dev_pop(&p.dev, &c) == 1 && c.n_out == 2 && c.n_in == 2 &&
	      c.iov[0].iov_base == g1.mem + pg - 100 && c.iov[0].iov_len == 100 &&
	      c.iov[1].iov_base == g2.mem && c.iov[1].iov_len == 200 &&
	      c.out_len == 300 && c.in_len == 1050, "buffer across two regions -> two segments");

	memset(flat, 0, sizeof(flat));
	CHECK(uvdpa_chain_read(&c, 0, flat, 300) == 300, "read whole readable part");
	for (bad = 0, i = 0; i < 300; i++)
		bad += flat[i] != (uint8_t)(i * 3 + 1);
	CHECK(!bad, "bytes read in order across the region boundary");
	CHECK(uvdpa_chain_read(&c, 95, flat, 10) == 10 && flat[0] == (uint8_t)(95 * 3 + 1) &&
	      flat[9] == (uint8_t)(104 * 3 + 1), "read at an offset straddling segments");
	CHECK(uvdpa_chain_read(&c, 290, flat, 100) == 10, "read past the end is short");
	CHECK(uvdpa_chain_read(&c, 300, flat, 1) == 0 && uvdpa_chain_read(&c, 5000, flat, 1) == 0,
	      "read at/after the end copies nothing");

	for (i = 0; i < 1050; i++)
		flat[i] = (uint8_t)(i ^ 0x5a);
	CHECK(uvdpa_chain_write(&c, 0, flat, 2000) == 1050, "write is capped at the writable length");
	for (bad = 0, i = 0; i < 1050; i++)
		bad += (uint8_t)(i < 50 ? g1.mem[10 + i] : g2.mem[500 + i - 50]) != (uint8_t)(i ^ 0x5a);
	CHECK(!bad && g1.mem[9] == 0 && g1.mem[60] == 0 && g2.mem[1500] == 0,
	      "written bytes land in both segments, neighbours untouched");
	CHECK(uvdpa_chain_write(&c, 49, "AB", 2) == 2 && g1.mem[59] == 'A' && g2.mem[500] == 'B',
	      "write at an offset straddling segments");

	/* copy c's readable part into a second chain's writable part */
	{
		struct uvdpa_vq_buf b[3] = {
			{ RA + 2000, 7, true },
			{ RA + pg + 1600, 6, true },
			{ RA + 3000, 500, true },
		};

		uvdpa_vq_drv_add(&p.drv, b, 3, &c);
		uvdpa_vq_drv_publish(&p.drv);
	}
	CHECK(uvdpa_vq_dev_pop(&p.dev, &d) == 1 && d.n_out == 0 && d.n_in == 3 && d.in_len == 513,
	      "second chain: 3 writable segments");
	CHECK(uvdpa_chain_copy(&d, 2, &c, 48, 250) == 250, "copy 250 bytes between chains");
	memset(back, 0, sizeof(back));
	uvdpa_chain_read(&c, 48, flat, 250);
	for (bad = 0, i = 0; i < 250; i++) {
		uint8_t v;

		if (i + 2 < 7)
			v = g1.mem[2000 + i + 2];
		else if (i + 2 < 13)
			v = g2.mem[1600 + i + 2 - 7];
		else
			v = g1.mem[3000 + i + 2 - 13];
		bad += v != flat[i];
	}
	CHECK(!bad && g1.mem[2000] == 0 && g1.mem[2001] == 0 && g1.mem[3000 + 239] == 0,
	      "copied bytes match the source at both offsets, nothing else written");
	CHECK(uvdpa_chain_copy(&d, 0, &c, 0, 100000) == 300, "copy limited by the source");
	CHECK(uvdpa_chain_copy(&d, 500, &c, 0, 100000) == 13, "copy limited by the destination");
	CHECK(uvdpa_chain_copy(&d, 513, &c, 0, 10) == 0, "copy at the destination's end: 0");

	/*
	 * chain_read_nt (streaming stores) against chain_read: segments of odd
	 * sizes and alignments, destinations at every alignment mod 32, lengths
	 * below, at and above one 64-byte block; bytes around the copy untouched.
	 */
	{
		static const size_t seglen[] = { 1, 15, 100, 4096, 17, 64, 333, 4000 };
		static uint8_t src[16384] __attribute__((aligned(64)));
		static uint8_t nt[16384 + 64] __attribute__((aligned(64)));
		static uint8_t ref[16384 + 64] __attribute__((aligned(64)));
		struct iovec segs[8];
		struct uvdpa_chain s = { .iov = segs, .iov_cap = 8, .n_out = 8 };
		size_t off = 0, total = 0, lens[] = { 0, 1, 15, 16, 63, 64, 65, 200, 4096, 8000 };
		unsigned k, a, l, o;

		for (i = 0; i < sizeof(src); i++)
			src[i] = (uint8_t)(i * 7 + 3);
		for (k = 0; k < 8; k++) {
			off += k % 3;           /* gaps: every segment starts misaligned differently */
			segs[k] = (struct iovec){ src + off, seglen[k] };
			off += seglen[k];
			total += seglen[k];
		}
		s.out_len = (uint32_t)total;
		/* a = 0..31 (the AVX copy aligns to 32), twice: SSE2, then the CPU's best */
		for (bad = 0, a = 0; a < 64; a++) {
			size_t (*read_nt)(const struct uvdpa_chain *, size_t, void *, size_t) =
				a < 32 ? uvdpa_chain_read_nt_baseline : uvdpa_chain_read_nt;

			for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				for (o = 0; o < 4; o++) {
					size_t coff = (size_t[]){ 0, 1, 115, 4229 }[o], want, got;

					memset(nt, 0xee, sizeof(nt));
					memset(ref, 0xee, sizeof(ref));
					want = uvdpa_chain_read(&s, coff, ref + a % 32, lens[l]);
					got = read_nt(&s, coff, nt + a % 32, lens[l]);
					bad += want != got || memcmp(nt, ref, sizeof(nt)) != 0;
				}
			}
		}
		uvdpa_chain_nt_fence();
		CHECK(!bad, "chain_read_nt copies the same bytes as chain_read at every alignment");
		CHECK(uvdpa_chain_read_nt(&s, total, nt, 10) == 0 &&
		      uvdpa_chain_read_nt(&s, total - 5, nt, 10) == 5,
		      "chain_read_nt at / near the end is short like chain_read");

		/* chain_write_nt against chain_write: the same segments made
		 * writable and moved to every alignment mod 32 (in nt and in
		 * ref), the source at an odd offset. */
		for (bad = 0, a = 0; a < 64; a++) {
			struct iovec ws[8], wr[8];
			struct uvdpa_chain w = { .iov = ws, .iov_cap = 8, .n_in = 8 };
			struct uvdpa_chain wref = { .iov = wr, .iov_cap = 8, .n_in = 8 };

			size_t (*write_nt)(const struct uvdpa_chain *, size_t, const void *, size_t) =
				a < 32 ? uvdpa_chain_write_nt_baseline : uvdpa_chain_write_nt;

			for (k = 0; k < 8; k++) {
				size_t at = (size_t)((uint8_t *)segs[k].iov_base - src) + a % 32;

				ws[k] = (struct iovec){ nt + at, seglen[k] };
				wr[k] = (struct iovec){ ref + at, seglen[k] };
			}
			w.in_len = wref.in_len = (uint32_t)total;
			for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				for (o = 0; o < 4; o++) {
					size_t coff = (size_t[]){ 0, 1, 115, 4229 }[o], want, got;

					memset(nt, 0xee, sizeof(nt));
					memset(ref, 0xee, sizeof(ref));
					want = uvdpa_chain_write(&wref, coff, src + 5, lens[l]);
					got = write_nt(&w, coff, src + 5, lens[l]);
					uvdpa_chain_nt_fence();
					bad += want != got || memcmp(nt, ref, sizeof(nt)) != 0;
				}
			}
		}
		CHECK(!bad, "chain_write_nt writes the same bytes as chain_write at every alignment");
	}

	pair_fini(&p);
	uvdpa_memmap_free(m);
	guarded_free(&g1);
	guarded_free(&g2);
	return t_done();
}
