// SPDX-License-Identifier: MIT
/*
 * The built-in parent drivers. Each bus gets its own copy of their mgmtdevs
 * (the library keeps no global mutable state); the bus frees them.
 */
#include <errno.h>
#include <stdlib.h>

#include <uvdpa/bus.h>
#include "core/bus_priv.h"
#include "devices/sim.h"
#include "devices/blk_file.h"

static void release_mgmtdev(struct uvdpa_mgmtdev *m)
{
	free(m);
}

static int register_copy(struct uvdpa_bus *bus, const struct uvdpa_mgmtdev *tmpl)
{
	struct uvdpa_mgmtdev *m = malloc(sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	*m = *tmpl;
	r = uvdpa_bus_adopt_mgmtdev(bus, m, release_mgmtdev);
	if (r)
		free(m);
	return r;
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
	return register_copy(bus, &blk_file_mgmtdev);
}
