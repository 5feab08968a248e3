/* SPDX-License-Identifier: MIT */
/* Bus internals shared with the built-in parent drivers (src/devices). */
#ifndef UVDPA_CORE_BUS_PRIV_H
#define UVDPA_CORE_BUS_PRIV_H

#include <uvdpa/bus.h>

/*
 * Registers m and hands its ownership to the bus: release(m) runs from
 * uvdpa_bus_free, after every device is gone. Used for the built-in parents,
 * whose mgmtdevs are allocated per bus so the library keeps no global state.
 * On error m is not registered and still belongs to the caller.
 */
int uvdpa_bus_adopt_mgmtdev(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m,
			    void (*release)(struct uvdpa_mgmtdev *m));

/*
 * The daemon stops and its state file brings every device back at the next
 * start: from now on, parents deleting a device keep what that start needs
 * (net_tap the TAP it created, the VDUSE face a device's takeover record).
 */
void uvdpa_bus_keep_devices(struct uvdpa_bus *bus);
bool uvdpa_bus_keeps_devices(const struct uvdpa_bus *bus);

#endif
