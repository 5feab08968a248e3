// SPDX-License-Identifier: MIT
/*
 * 10,000 create / attach / detach / delete cycles, alternating net and blk
 * devices, each attach opening the driver (queues, DMA memory, eventfds);
 * every 8th pair of cycles also moves one frame and one block (the first
 * packet of a new device waits for its worker thread to start, which would
 * dominate the run). Nothing may leak: file descriptors and
 * memory mappings are counted here, heap memory by LeakSanitizer.
 */
#include <dirent.h>

#include "drv_test.h"

#define CYCLES 10000

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static unsigned count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x42 };

/* One cycle; returns true if the driver opened (and, with io, data moved). */
static bool cycle(struct uvdpa_bus *bus, unsigned i)
{
	struct uvdpa_mgmtdev *m = uvdpa_bus_find_mgmtdev(bus, NULL, i % 2 ? "vdpasim_blk" :
							 "vdpasim_net");
	struct uvdpa_dev_set_config cfg = { 0 };
	struct uvdpa_device *d = NULL;
	struct uvdpa_virtio *v = NULL;
	uint8_t buf[512], back[512];
	bool ok = false, io = i % 16 < 2;
	char name[32];

	snprintf(name, sizeof(name), "dev%u", i);
	if (i % 2 == 0) {
		memcpy(cfg.net.mac, mac, 6);
		cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_NET_CFG_MACADDR);
	} else {
		cfg.blk.capacity = 64;
		cfg.mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY);
	}
	if (uvdpa_bus_dev_add(bus, m, name, &cfg, &d, NULL))
		return false;
	if (uvdpa_virtio_open_local(d, &v) == 0) {
		t_frame(buf, 64, mac, i);
		if (i % 2 == 0) {
			struct uvdpa_net_opts o = { .queue_size = 64, .flags = (i / 2) % 2 ?
						    UVDPA_NET_PACKED | UVDPA_NET_MRG_RXBUF : 0 };
			struct uvdpa_net *n = NULL;

			if (uvdpa_net_open(v, &o, &n) == 0) {
				ok = !io || (uvdpa_net_send(n, 0, buf, 64) == 0 &&
				     uvdpa_net_wait_rx(n, 0, 10000) == 1 &&
				     uvdpa_net_recv(n, 0, back, sizeof(back)) == 64 &&
				     memcmp(buf, back, 64) == 0);
				uvdpa_net_close(n);
			}
		} else {
			struct uvdpa_blk_opts o = { .queue_size = 64, .queue_depth = 4 };
			struct uvdpa_blk *b = NULL;

			if (uvdpa_blk_open(v, &o, &b) == 0) {
				ok = !io || (uvdpa_blk_write(b, 63, buf, 512) == 0 &&
					     uvdpa_blk_read(b, 63, back, 512) == 0 &&
					     memcmp(buf, back, 512) == 0);
				uvdpa_blk_close(b);
			}
		}
		uvdpa_virtio_close(v);
	}
	return uvdpa_bus_dev_del(bus, name) == 0 && ok;
}

int main(void)
{
	struct uvdpa_bus *bus = t_bus();
	unsigned fds, maps, i, good = 0;

	/* Warm up once so lazily created process state is not counted. */
	cycle(bus, 0);
	fds = count_fds();
	maps = count_maps();
	/* LeakSanitizer's allocator maps memory as the heap grows; a leaked
	 * mapping per cycle would add thousands, not a few dozen. */
	for (i = 1; i <= CYCLES; i++) {
		if (cycle(bus, i))
			good++;
		else
			printf("cycle %u failed\n", i);
		if (i % 2000 == 0) {
			printf("     %u cycles\n", i);
			fflush(stdout);
		}
	}
	CHECK(good == CYCLES, "%u of %u create/attach/detach/delete cycles (1 in 8 with traffic)", good, CYCLES);
	CHECK(uvdpa_bus_dev_count(bus) == 0, "no device left on the bus");
	CHECK(count_fds() == fds, "file descriptors: %u before, %u after", fds, count_fds());
	CHECK(count_maps() <= maps + 100, "memory mappings: %u before, %u after", maps, count_maps());
	uvdpa_bus_free(bus);
	return t_done();
}
