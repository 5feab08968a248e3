// SPDX-License-Identifier: MIT
/*
 * The crash-recovery test's verifiable block stream, both sides of it.
 *
 *   crashio write DEV NONCE BATCH   (in the guest, static)
 *     writes 4 KiB blocks in sequence with O_DIRECT, block seq at position
 *     seq % (blocks on DEV), so the stream wraps around the disk; a batch
 *     is BATCH blocks (never across the end) submitted together as one
 *     4 KiB request each (Linux AIO, so they are all in flight at once),
 *     then an fsync,
 *     and "DONE <last seq>" once the fsync returned; "IOERR <what> seq <n>:
 *     <error>" on any failure (and stops). Runs until SIGTERM/SIGINT, then
 *     finishes the batch it is in and prints "END <last seq>".
 *   crashio verify IMG NONCE LAST [FIRST]   (on the host)
 *     LAST: the last seq the guest saw complete. Every seq from FIRST (0)
 *     to LAST that can still be on the disk (the newest blocks-on-IMG ones)
 *     must be at its position with its nonce and checksum; prints
 *     "VERIFIED <n> blocks (seq a..b)" or "BAD block ..." (exit 1) for the
 *     first wrong one. With FIRST the writer may still be running: a
 *     position may hold a valid block of a later lap instead.
 *
 * Block layout: u64 magic, u64 seq, u64 nonce, payload
 * from a generator seeded by (nonce, seq), u64 FNV-1a of bytes 0..4087 at
 * offset 4088.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/aio_abi.h>

#define BLK 4096
#define MAGIC 0x7576647061435253ull /* "uvdpaCRS" */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void fill(uint8_t *b, uint64_t seq, uint64_t nonce)
{
	uint64_t *w = (uint64_t *)b, x = nonce ^ (seq * 0x9e3779b97f4a7c15ull) ^ 1;

	w[0] = MAGIC;
	w[1] = seq;
	w[2] = nonce;
	for (unsigned i = 3; i < BLK / 8 - 1; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	w[BLK / 8 - 1] = fnv1a(b, BLK - 8);
}

/* NULL if the block is right, else what is wrong with it. */
static const char *check(const uint8_t *b, uint64_t seq, uint64_t nonce, char *why, size_t n)
{
	const uint64_t *w = (const uint64_t *)b;
	static uint8_t want[BLK];

	if (w[0] != MAGIC) {
		snprintf(why, n, "no magic (0x%016" PRIx64 ")", w[0]);
		return why;
	}
	if (w[1] != seq || w[2] != nonce) {
		snprintf(why, n, "holds seq %" PRIu64 " nonce %" PRIx64, w[1], w[2]);
		return why;
	}
	if (fnv1a(b, BLK - 8) != w[BLK / 8 - 1]) {
		snprintf(why, n, "checksum mismatch");
		return why;
	}
	fill(want, seq, nonce);
	if (memcmp(want, b, BLK)) {
		snprintf(why, n, "payload differs");
		return why;
	}
	return NULL;
}

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

static int do_write(const char *dev, uint64_t nonce, unsigned batch)
{
	uint64_t seq = 0, nblocks;
	aio_context_t ctx = 0;
	struct iocb *cbs, **cbp;
	struct io_event *ev;
	uint8_t *buf;
	off_t size;
	int fd = open(dev, O_WRONLY | O_DIRECT);

	if (fd < 0) {
		printf("IOERR open %s seq 0: %s\n", dev, strerror(errno));
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		printf("IOERR lseek seq 0: %s\n", strerror(errno));
		return 1;
	}
	nblocks = (uint64_t)size / BLK;
	if (!batch || posix_memalign((void **)&buf, BLK, (size_t)batch * BLK))
		return 1;
	cbs = calloc(batch, sizeof(*cbs));
	cbp = calloc(batch, sizeof(*cbp));
	ev = calloc(batch, sizeof(*ev));
	if (!cbs || !cbp || !ev || syscall(SYS_io_setup, batch, &ctx) < 0) {
		printf("IOERR io_setup seq 0: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	printf("START nonce %" PRIx64 " blocks %" PRIu64 " batch %u\n", nonce, nblocks, batch);
	fflush(stdout);
	while (!stop) {
		unsigned n = batch;
		size_t done = 0;

		uint64_t pos = seq % nblocks;

		if (nblocks - pos < n)
			n = (unsigned)(nblocks - pos);
		for (unsigned i = 0; i < n; i++)
			fill(buf + (size_t)i * BLK, seq + i, nonce);
		for (unsigned i = 0; i < n; i++) {
			cbs[i] = (struct iocb){
				.aio_lio_opcode = IOCB_CMD_PWRITE, .aio_fildes = (uint32_t)fd,
				.aio_buf = (uint64_t)(uintptr_t)(buf + (size_t)i * BLK),
				.aio_nbytes = BLK, .aio_offset = (int64_t)((pos + i) * BLK),
				.aio_data = i,
			};
			cbp[i] = &cbs[i];
		}
		while (done < n) {
			long r = syscall(SYS_io_submit, ctx, (long)(n - done), cbp + done);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				printf("IOERR io_submit seq %" PRIu64 ": %s\n", seq + done,
				       r < 0 ? strerror(errno) : "submitted nothing");
				fflush(stdout);
				return 1;
			}
			done += (size_t)r;
		}
		for (unsigned got = 0; got < n;) {
			long r = syscall(SYS_io_getevents, ctx, 1L, (long)(n - got), ev, NULL);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				printf("IOERR io_getevents seq %" PRIu64 ": %s\n", seq,
				       r < 0 ? strerror(errno) : "no event");
				fflush(stdout);
				return 1;
			}
			for (long k = 0; k < r; k++) {
				if (ev[k].res != BLK) {
					printf("IOERR write seq %" PRIu64 ": %s\n", seq + (uint64_t)ev[k].data,
					       (int64_t)ev[k].res < 0 ? strerror((int)-(int64_t)ev[k].res) :
					       "short write");
					fflush(stdout);
					return 1;
				}
			}
			got += (unsigned)r;
		}
		while (fsync(fd) < 0) {
			if (errno == EINTR)
				continue;
			printf("IOERR fsync seq %" PRIu64 ": %s\n", seq, strerror(errno));
			fflush(stdout);
			return 1;
		}
		seq += n;
		printf("DONE %" PRIu64 "\n", seq - 1);
		fflush(stdout);
	}
	printf("END %" PRId64 "\n", (int64_t)seq - 1);
	fflush(stdout);
	return 0;
}

static int do_verify(const char *img, uint64_t nonce, int64_t last, int64_t first, bool live)
{
	static uint8_t b[BLK];
	uint64_t nblocks, n = 0, newer = 0;
	char why[128];
	off_t size;
	int fd = open(img, O_RDONLY);

	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < BLK) {
		perror(img);
		return 1;
	}
	nblocks = (uint64_t)size / BLK;
	/* only the newest nblocks seqs can still be on the disk */
	if (last - first + 1 > (int64_t)nblocks)
		first = last - (int64_t)nblocks + 1;
	if (first < 0)
		first = 0;
	for (int64_t s = first; s <= last; s++) {
		uint64_t seq = (uint64_t)s, p = seq % nblocks;
		ssize_t r = pread(fd, b, BLK, (off_t)(p * BLK));
		const uint64_t *w = (const uint64_t *)b;

		if (r != BLK) {
			printf("BAD block %" PRIu64 " (seq %" PRIu64 "): short read (%zd)\n", p, seq, r);
			return 1;
		}
		/* with the writer still running, a newer lap may be there already */
		if (live && w[1] > (uint64_t)last && (w[1] - seq) % nblocks == 0 &&
		    !check(b, w[1], nonce, why, sizeof(why))) {
			newer++;
			continue;
		}
		if (check(b, seq, nonce, why, sizeof(why))) {
			printf("BAD block %" PRIu64 " (seq %" PRIu64 "): %s\n", p, seq, why);
			return 1;
		}
		n++;
	}
	printf("VERIFIED %" PRIu64 " blocks (seq %" PRId64 "..%" PRId64 "%s)\n", n, first, last,
	       newer ? ", some already rewritten" : "");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], strtoull(argv[3], NULL, 16), (unsigned)atoi(argv[4]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "verify")) {
		int64_t last = strtoll(argv[4], NULL, 10);

		return do_verify(argv[2], strtoull(argv[3], NULL, 16), last,
				 argc == 6 ? strtoll(argv[5], NULL, 10) : 0, argc == 6);
	}
	fprintf(stderr, "usage: crashio write DEV NONCE BATCH | verify IMG NONCE LAST [FIRST]\n");
	return 2;
}
