// SPDX-License-Identifier: MIT
/*
 * The built-in parent drivers. Each bus gets its own copy of their mgmtdevs
 * (the library keeps no global mutable state); the bus frees them.
 */
#include <errno.h>
#include <stdlib.h>

#include <uvdpa/bus.h>
#include "core/bus_priv.h"
#include "devices/runtime.h"
#include "devices/blk_file.h"
#include "devices/net_tap.h"

static void release_mgmtdev(struct uvdpa_mgmtdev *m)
{
	free(m);
}

/* extra: bytes after the copy for the parent's own use (its priv). */
static int register_copy_extra(struct uvdpa_bus *bus, const struct uvdpa_mgmtdev *tmpl,
			       size_t extra)
{
	struct uvdpa_mgmtdev *m = calloc(1, sizeof(*m) + extra);
	int r;

	if (!m)
		return -ENOMEM;
	*m = *tmpl;
	if (extra)
		m->priv = m + 1;
	r = uvdpa_bus_adopt_mgmtdev(bus, m, release_mgmtdev);
	if (r)
		free(m);
	return r;
}

static int register_copy(struct uvdpa_bus *bus, const struct uvdpa_mgmtdev *tmpl)
{
	return register_copy_extra(bus, tmpl, 0);
}

int uvdpa_bus_register_builtin(struct uvdpa_bus *bus)
{
	int r;

	/* Registration order is `mgmtdev show` order: net, then blk, then
	 * the parents that are not simulators. */
	r = register_copy(bus, &vdpasim_net_mgmtdev);
	if (r)
		return r;
	r = register_copy(bus, &vdpasim_blk_mgmtdev);
	if (r)
		return r;
	r = register_copy(bus, &blk_file_mgmtdev);
	if (r)
		return r;
	/* net_tap names the interface in its errors: a buffer per copy. */
	return register_copy_extra(bus, &net_tap_mgmtdev, net_tap_msg_len);
}
