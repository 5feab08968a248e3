// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the management face: arbitrary bytes as one
 * datagram from a client, through the same parser and dispatcher uvdpad
 * uses, against a real bus with the built-in parents. The first byte picks
 * the peer (admin or not); devices created by an input are deleted after it
 * so every input starts from the same state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uvdpa/bus.h>
#include "mgmt/mgmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct uvdpa_bus *bus;
static struct mgmt_server *srv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	bus = uvdpa_bus_new();
	if (!bus || uvdpa_bus_register_builtin(bus) < 0)
		abort();
	srv = mgmt_server_new(bus);
	if (!srv)
		abort();
	/* One device that lives across inputs, so lookups have something to find. */
	if (uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net"), "net0",
			      NULL, NULL, NULL) < 0)
		abort();
	return 0;
}

/* Reads every byte of every reply, so the sanitizers see them. */
static void sink(void *opaque, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned *acc = opaque;
	size_t i;

	if (len > MGMT_DGRAM_MAX)
		abort();
	for (i = 0; i < len; i++)
		*acc += p[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgmt_peer peer = { .pid = 1, .uid = 1000 };
	unsigned acc = 0;
	unsigned n;

	if (size < 1)
		return 0;
	peer.admin = data[0] & 1;
	mgmt_handle_datagram(srv, data + 1, size - 1, &peer, sink, &acc);
	/* Back to the initial state: only net0. */
	n = uvdpa_bus_dev_count(bus);
	while (n-- > 0) {
		struct uvdpa_device *d = uvdpa_bus_dev_at(bus, n);

		if (strcmp(d->name, "net0") != 0)
			uvdpa_bus_dev_del(bus, d->name);
	}
	if (!uvdpa_bus_find_dev(bus, "net0"))
		uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net"), "net0",
				  NULL, NULL, NULL);
	return 0;
}
