// SPDX-License-Identifier: MIT
/*
 * The bus: mgmtdev registration and lookup, device names (valid, unique),
 * registration order, the listener, and the dev_del -> free lifecycle.
 */
#include <errno.h>
#include <string.h>

#include "tdev.h"

static char events[64][96];
static unsigned nevents;

static void note(const char *what, const char *name)
{
	REQUIRE(nevents < 64, "too many events");
	snprintf(events[nevents++], sizeof(events[0]), "%s:%s", what, name);
}

static bool seen(unsigned i, const char *ev)
{
	return i < nevents && strcmp(events[i], ev) == 0;
}

/* A fake parent that records what the bus does to its devices. */
struct fake {
	struct uvdpa_device vdev;
	char name[80];
	bool deleted;
};

static void fake_free(struct uvdpa_device *d)
{
	struct fake *f = (struct fake *)d;

	REQUIRE(f->deleted, "free after dev_del");
	note("free", f->name);
	free(f);
}

static uint8_t fake_status(struct uvdpa_device *d)
{
	return ((struct fake *)d)->deleted ? 0xff : 0;
}

static const struct uvdpa_device_ops fake_ops = {
	.get_status = fake_status,
	.free = fake_free,
};

static int fake_add(struct uvdpa_mgmtdev *m, const char *name,
		    const struct uvdpa_dev_set_config *cfg, struct uvdpa_device **out,
		    const char **msg)
{
	struct fake *f;

	if (strcmp(name, "refuse") == 0) {
		*msg = "refused";
		return -EOPNOTSUPP;
	}
	f = calloc(1, sizeof(*f));
	REQUIRE(f, "calloc");
	f->vdev.ops = &fake_ops;
	f->vdev.nvqs = 1;
	snprintf(f->name, sizeof(f->name), "%s", name);
	note("add", name);
	*out = &f->vdev;
	return 0;
}

static void fake_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	struct fake *f = (struct fake *)d;

	f->deleted = true;
	note("del", f->name);
}

static const struct uvdpa_mgmtdev_ops fake_mops = { .dev_add = fake_add, .dev_del = fake_del };

/* Refuses "veto" as a face that cannot serve a device does. */
static int on_added(void *opaque, struct uvdpa_device *d, const char **msg)
{
	REQUIRE(opaque == (void *)events, "listener opaque");
	REQUIRE(uvdpa_bus_find_dev(d->bus, d->name) == d, "added after registration");
	note("added", d->name);
	if (strcmp(d->name, "veto") == 0) {
		*msg = "vetoed";
		return -EADDRINUSE;
	}
	return 0;
}

static void on_removed(void *opaque, struct uvdpa_device *d)
{
	/* Still alive: removed comes before dev_del. */
	REQUIRE(d->ops->get_status(d) == 0, "removed before dev_del");
	note("removed", d->name);
}

int main(void)
{
	struct uvdpa_mgmtdev fake = { .bus_name = "pci", .dev_name = "0000:08:00.2",
				      .ops = &fake_mops, .id_classes = 2 };
	struct uvdpa_mgmtdev dup = fake, bad = { .dev_name = "x" };
	char name64[UVDPA_NAME_MAX + 1], name65[UVDPA_NAME_MAX + 2];
	struct uvdpa_bus *bus = tbus_new();
	struct uvdpa_mgmtdev *net, *blk, *m;
	struct uvdpa_device *d;
	const char *msg = NULL;
	unsigned i;

	/* builtin parents, in the kernel's order and with its identity */
	net = uvdpa_bus_mgmtdev_at(bus, 0);
	blk = uvdpa_bus_mgmtdev_at(bus, 1);
	CHECK(uvdpa_bus_mgmtdev_count(bus) == 4 && net && blk && !net->bus_name &&
	      strcmp(net->dev_name, "vdpasim_net") == 0 && strcmp(blk->dev_name, "vdpasim_blk") == 0 &&
	      strcmp(uvdpa_bus_mgmtdev_at(bus, 2)->dev_name, "blk_file") == 0 &&
	      strcmp(uvdpa_bus_mgmtdev_at(bus, 3)->dev_name, "net_tap") == 0,
	      "builtin mgmtdevs: vdpasim_net, vdpasim_blk, then blk_file and net_tap, bus-less");
	CHECK(net->id_classes == 0x2 && net->max_supported_vqs == 129 &&
	      net->supported_features == 0xf38c38028ULL && net->config_attr_mask == 0x103400,
	      "vdpasim_net: classes 0x2, max vqs 129, features 0xf38c38028 (what dev add accepts), "
	      "attrs MAC|MTU|MAX_VQP|FEATURES");
	CHECK(blk->id_classes == 0x4 && blk->max_supported_vqs == 64 &&
	      blk->supported_features == 0x738007646ULL &&
	      blk->config_attr_mask == ((1ULL << 20) | (1ULL << 21) | (1ULL << 25)),
	      "vdpasim_blk: classes 0x4, max vqs 64, features 0x738007646 (what dev add accepts), "
	      "attrs FEATURES|CAPACITY|NUM_QUEUES");
	CHECK(uvdpa_bus_register_builtin(bus) == -EEXIST, "builtin twice -> EEXIST");

	CHECK(uvdpa_bus_register_mgmtdev(bus, &bad) == -EINVAL, "mgmtdev without ops -> EINVAL");
	CHECK(uvdpa_bus_register_mgmtdev(bus, &fake) == 0, "register pci/0000:08:00.2");
	CHECK(uvdpa_bus_register_mgmtdev(bus, &fake) == -EEXIST, "same mgmtdev twice -> EEXIST");
	CHECK(uvdpa_bus_register_mgmtdev(bus, &dup) == -EEXIST, "same handle twice -> EEXIST");
	CHECK(uvdpa_bus_mgmtdev_count(bus) == 5 && uvdpa_bus_mgmtdev_at(bus, 4) == &fake &&
	      uvdpa_bus_mgmtdev_at(bus, 5) == NULL, "mgmtdevs in registration order");
	CHECK(uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_net") == net &&
	      uvdpa_bus_find_mgmtdev(bus, "pci", "0000:08:00.2") == &fake &&
	      uvdpa_bus_find_mgmtdev(bus, NULL, "0000:08:00.2") == NULL &&
	      uvdpa_bus_find_mgmtdev(bus, "pci", "vdpasim_net") == NULL &&
	      uvdpa_bus_find_mgmtdev(bus, NULL, "nosuch") == NULL,
	      "mgmtdev lookup: a handle without bus only matches bus-less parents");

	uvdpa_bus_set_listener(bus, on_added, on_removed, events);

	/* names */
	memset(name64, 'a', UVDPA_NAME_MAX);
	name64[UVDPA_NAME_MAX] = 0;
	memset(name65, 'b', UVDPA_NAME_MAX + 1);
	name65[UVDPA_NAME_MAX + 1] = 0;
	CHECK(uvdpa_bus_dev_add(bus, &fake, "", NULL, &d, &msg) == -EINVAL && !d, "empty name -> EINVAL");
	CHECK(uvdpa_bus_dev_add(bus, &fake, NULL, NULL, &d, &msg) == -EINVAL, "NULL name -> EINVAL");
	CHECK(uvdpa_bus_dev_add(bus, &fake, name65, NULL, &d, &msg) == -EINVAL,
	      "65-byte name -> EINVAL");
	CHECK(nevents == 0, "refused names never reach the parent");
	CHECK(uvdpa_bus_dev_add(bus, &fake, name64, NULL, &d, &msg) == 0 && d &&
	      strcmp(d->name, name64) == 0 && d->mdev == &fake && d->bus == bus,
	      "64-byte name accepted; name, mdev and bus filled in");
	CHECK(seen(0, "add:") == false && strncmp(events[0], "add:aaaa", 8) == 0 &&
	      strncmp(events[1], "added:aaaa", 10) == 0, "parent dev_add, then listener added");
	CHECK(uvdpa_bus_dev_add(bus, &fake, "refuse", NULL, &d, &msg) == -EOPNOTSUPP &&
	      strcmp(msg, "refused") == 0 && uvdpa_bus_dev_count(bus) == 1,
	      "parent's error and message passed through");

	CHECK(uvdpa_bus_dev_add(bus, &fake, "a/b", NULL, &d, &msg) == 0 && strcmp(d->name, "a!b") == 0 &&
	      uvdpa_bus_dev_add(bus, &fake, "a!b", NULL, NULL, NULL) == -EEXIST &&
	      uvdpa_bus_dev_del(bus, "a!b") == 0, "'/' stored as '!' (the kernel's dev_set_name)");
	nevents = 0;
	msg = NULL;
	CHECK(uvdpa_bus_dev_add(bus, &fake, "veto", NULL, &d, &msg) == -EADDRINUSE && !d &&
	      msg && strcmp(msg, "vetoed") == 0 && !uvdpa_bus_find_dev(bus, "veto") &&
	      seen(0, "add:veto") && seen(1, "added:veto") && seen(2, "del:veto") &&
	      seen(3, "free:veto") && nevents == 4,
	      "a listener's veto undoes the add: dev_del and free, no removed");
	CHECK(uvdpa_bus_dev_add(bus, &fake, "x0", NULL, NULL, NULL) == 0, "add x0 (fake)");
	CHECK(uvdpa_bus_dev_add(bus, net, "x1", NULL, NULL, NULL) == 0, "add x1 (vdpasim_net)");
	CHECK(uvdpa_bus_dev_add(bus, blk, "x2", NULL, NULL, NULL) == 0, "add x2 (vdpasim_blk)");
	CHECK(uvdpa_bus_dev_add(bus, net, "x0", NULL, &d, NULL) == -EEXIST && !d,
	      "duplicate name on another parent -> EEXIST");
	CHECK(uvdpa_bus_dev_add(bus, &fake, "x2", NULL, &d, NULL) == -EEXIST,
	      "duplicate name on the same parent -> EEXIST");
	CHECK(uvdpa_bus_dev_count(bus) == 4 && strcmp(uvdpa_bus_dev_at(bus, 1)->name, "x0") == 0 &&
	      strcmp(uvdpa_bus_dev_at(bus, 2)->name, "x1") == 0 &&
	      strcmp(uvdpa_bus_dev_at(bus, 3)->name, "x2") == 0 && !uvdpa_bus_dev_at(bus, 4),
	      "devices in registration order");
	CHECK(uvdpa_bus_find_dev(bus, "x1")->ops->get_device_id(uvdpa_bus_find_dev(bus, "x1")) == 1 &&
	      uvdpa_bus_find_dev(bus, "x2")->ops->get_device_id(uvdpa_bus_find_dev(bus, "x2")) == 2 &&
	      !uvdpa_bus_find_dev(bus, "x3"), "find by name");

	nevents = 0;
	CHECK(uvdpa_bus_dev_del(bus, "x0") == 0, "delete x0");
	CHECK(seen(0, "removed:x0") && seen(1, "del:x0") && seen(2, "free:x0") && nevents == 3,
	      "listener removed, then dev_del, then free");
	CHECK(uvdpa_bus_dev_del(bus, "x0") == -ENODEV && uvdpa_bus_dev_del(bus, "nosuch") == -ENODEV,
	      "deleting an unknown device -> ENODEV");
	CHECK(uvdpa_bus_dev_add(bus, &fake, "x0", NULL, NULL, NULL) == 0 &&
	      strcmp(uvdpa_bus_dev_at(bus, 3)->name, "x0") == 0 &&
	      strcmp(uvdpa_bus_dev_at(bus, 1)->name, "x1") == 0, "a re-added name goes to the end");

	/* More devices than the initial registry capacity. */
	for (i = 0; i < 40; i++) {
		char n[16];

		snprintf(n, sizeof(n), "n%u", i);
		REQUIRE(uvdpa_bus_dev_add(bus, i % 2 ? net : blk, n, NULL, NULL, NULL) == 0, "add %s", n);
	}
	CHECK(uvdpa_bus_dev_count(bus) == 44 && strcmp(uvdpa_bus_dev_at(bus, 43)->name, "n39") == 0,
	      "44 devices registered");
	m = uvdpa_bus_find_dev(bus, "n7")->mdev;
	CHECK(m == net, "device remembers its parent");

	nevents = 0;
	uvdpa_bus_free(bus);
	CHECK(seen(0, "removed:n39") && nevents == 48 &&
	      strncmp(events[nevents - 1], "free:aaaa", 9) == 0 &&
	      strncmp(events[nevents - 2], "del:aaaa", 8) == 0 &&
	      strncmp(events[nevents - 3], "removed:aaaa", 12) == 0,
	      "bus_free deletes every device, newest first, through the listener");
	return 0;
}
