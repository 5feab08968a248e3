// SPDX-License-Identifier: MIT
/*
 * vdpasim_net loops TX frames back to RX byte for byte: split and packed
 * rings, direct and indirect chains, legacy and v1 headers, mergeable RX
 * buffers on and off, frames from 14 to 65535 bytes.
 */
#include <endian.h>
#include <string.h>

#include "tdev.h"

#define F_MRG F(15)
#define MRG_BUF 1536

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const size_t sizes[] = { 14, 15, 60, 64, 1514, 4095, 4096, 4097, 9014, 32768, 65535 };

static uint8_t frame[65535], got[65535 + 12];

static void make_frame(size_t len, uint32_t seed, bool bcast)
{
	tfill(frame, len, seed);
	if (bcast)
		memset(frame, 0xff, 6);
	else
		memcpy(frame, mac, 6);
}

/* Receives one frame (maybe over several mergeable buffers) into got[]. */
static size_t receive(struct tdev *t, bool mrg, unsigned hl, uint16_t *nbufs)
{
	uint32_t len;
	uint8_t *buf = tvq_wait(t, 0, &len, 5000);
	uint16_t nb = 1, i;
	size_t total;

	REQUIRE(buf, "rx used");
	REQUIRE(len >= hl && len <= sizeof(got), "rx len %u", len);
	memcpy(got, buf, len);
	total = len;
	if (hl == 12) {
		memcpy(&nb, buf + 10, 2);
		nb = le16toh(nb);
	}
	*nbufs = nb;
	if (!mrg)
		return total;
	for (i = 1; i < nb; i++) {
		buf = tvq_wait(t, 0, &len, 5000);
		REQUIRE(buf, "rx used (buffer %u of %u)", i + 1, nb);
		REQUIRE(total + len <= sizeof(got), "frame too long");
		memcpy(got + total, buf, len);
		total += len;
	}
	return total;
}

static void run(const char *what, uint64_t want, bool indirect)
{
	struct uvdpa_dev_set_config cfg = { 0 };
	uint64_t sent = 0, bytes = 0;
	struct tdev t;
	uint64_t f;
	unsigned hl, i, k, posted = 0;
	bool mrg;

	memcpy(cfg.net.mac, mac, 6);
	cfg.mask = 1ULL << 10;  /* MACADDR */
	tdev_open(&t, NULL, "vdpasim_net", "net0", &cfg);
	f = tdev_start(&t, want, 2, 256);
	mrg = f & F_MRG;
	hl = tnet_hdr_len(&t);
	REQUIRE(!!(f & F_PACKED) == !!(want & F_PACKED), "packed negotiated as asked");
	REQUIRE(hl == ((want & (F_VERSION_1 | F_MRG)) ? 12u : 10u), "header length");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], n;
		unsigned nseg = 1 + (unsigned)(len / 4096);
		uint16_t nb;

		if (mrg) {
			/* keep enough 1536-byte buffers posted for the biggest frame */
			while (posted < 64) {
				tnet_post_rx(&t, 0, MRG_BUF, 1 + posted % 2, indirect);
				posted++;
			}
		} else {
			tnet_post_rx(&t, 0, hl + 65535, 17, indirect);
		}
		make_frame(len, (uint32_t)(i + 1), i % 2);
		tnet_send(&t, 0, frame, len, nseg, indirect);
		n = receive(&t, mrg, hl, &nb);
		if (mrg)
			posted -= nb;
		REQUIRE(n == hl + len, "%s: %zu-byte frame came back with %zu bytes", what,
			len, n - hl);
		REQUIRE(memcmp(got + hl, frame, len) == 0, "%s: %zu-byte frame differs", what, len);
		if (hl == 12)
			REQUIRE(nb == (mrg ? (hl + len + MRG_BUF - 1) / MRG_BUF : 1),
				"num_buffers %u", nb);
		for (k = 0; k < 10; k++)
			REQUIRE(got[k] == 0, "header copied from TX");
		tnet_reap_tx(&t, 0, 1);
		sent++;
		bytes += hl + len;
	}
	CHECK(1, "%s: %zu sizes 14..65535 looped back byte-exact", what,
	      sizeof(sizes) / sizeof(sizes[0]));

	/* A pipelined batch larger than a burst: order and content preserved.
	 * Every frame fits one buffer, also with MRG_RXBUF. (Guest memory is
	 * never reused within a run: posted buffers must stay untouched.) */
	for (k = mrg ? posted : 0; k < 100; k++)
		tnet_post_rx(&t, 0, mrg ? MRG_BUF : 2048, 1, indirect);
	for (k = 0; k < 100; k++) {
		size_t len = 60 + (k * 37) % 1400;

		make_frame(len, 1000 + k, false);
		tnet_send(&t, 0, frame, len, 1, indirect);
		sent++;
		bytes += hl + len;
	}
	for (k = 0; k < 100; k++) {
		size_t len = 60 + (k * 37) % 1400, n;
		uint16_t nb;

		make_frame(len, 1000 + k, false);
		n = receive(&t, mrg, hl, &nb);
		REQUIRE(n == hl + len && memcmp(got + hl, frame, len) == 0,
			"%s: batch frame %u", what, k);
	}
	tnet_reap_tx(&t, 0, 100);
	CHECK(1, "%s: 100 pipelined frames came back in order", what);

	CHECK(tstat(&t, 1, "tx packets") == (int64_t)sent &&
	      tstat(&t, 0, "rx packets") == (int64_t)sent &&
	      tstat(&t, 1, "tx bytes") == (int64_t)bytes &&
	      tstat(&t, 0, "rx bytes") == (int64_t)bytes &&
	      tstat(&t, 0, "rx drops") == 0 && tstat(&t, 0, "rx overruns") == 0,
	      "%s: stats count %llu frames, %llu bytes", what, (unsigned long long)sent,
	      (unsigned long long)bytes);
	tdev_close(&t);
}

int main(void)
{
	const uint64_t base = F_ACCESS_PLATFORM | F_EVENT_IDX;

	run("split, legacy header", F_ACCESS_PLATFORM, false);
	run("split, direct", base | F_VERSION_1, false);
	run("split, indirect", base | F_VERSION_1 | F_INDIRECT, true);
	run("split, mergeable", base | F_VERSION_1 | F_MRG, false);
	run("split, mergeable, indirect", base | F_VERSION_1 | F_MRG | F_INDIRECT, true);
	run("packed, direct", base | F_VERSION_1 | F_PACKED, false);
	run("packed, indirect", base | F_VERSION_1 | F_PACKED | F_INDIRECT, true);
	run("packed, mergeable", base | F_VERSION_1 | F_PACKED | F_MRG, false);
	run("packed, mergeable, indirect", base | F_VERSION_1 | F_PACKED | F_MRG | F_INDIRECT,
	    true);
	run("split, mergeable, no event idx", F_ACCESS_PLATFORM | F_VERSION_1 | F_MRG, false);
	return 0;
}
