// SPDX-License-Identifier: MIT
/*
 * The uvdpa bus (kernel drivers/vdpa/vdpa.c, bus half): management devices
 * in registration order, devices in registration order with unique names,
 * and the add/del lifecycle. Everything lives in a struct uvdpa_bus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvdpa/bus.h>
#include "core/bus_priv.h"

struct bus_mgmtdev {
	struct uvdpa_mgmtdev *m;
	void (*release)(struct uvdpa_mgmtdev *m);   /* non-NULL: owned by the bus */
};

struct uvdpa_bus {
	struct bus_mgmtdev *mdevs;
	unsigned n_mdevs, cap_mdevs;
	struct uvdpa_device **devs;
	unsigned n_devs, cap_devs;
	uvdpa_bus_added_fn added;
	uvdpa_bus_notify_fn removed;
	void *opaque;
	bool keep_devices;              /* uvdpa_bus_keep_devices; atomic access */
};

void uvdpa_bus_keep_devices(struct uvdpa_bus *bus)
{
	__atomic_store_n(&bus->keep_devices, true, __ATOMIC_SEQ_CST);
}

bool uvdpa_bus_keeps_devices(const struct uvdpa_bus *bus)
{
	return __atomic_load_n(&bus->keep_devices, __ATOMIC_SEQ_CST);
}

/* Grows *arr (elements of size sz) so that it holds at least n + 1. */
static int grow(void **arr, unsigned *cap, unsigned n, size_t sz)
{
	unsigned ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, (size_t)ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct uvdpa_bus *uvdpa_bus_new(void)
{
	return calloc(1, sizeof(struct uvdpa_bus));
}

void uvdpa_bus_set_listener(struct uvdpa_bus *bus, uvdpa_bus_added_fn added,
			    uvdpa_bus_notify_fn removed, void *opaque)
{
	bus->added = added;
	bus->removed = removed;
	bus->opaque = opaque;
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int register_mgmtdev(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m,
			    void (*release)(struct uvdpa_mgmtdev *m))
{
	unsigned i;

	/* The kernel refuses a mgmtdev without device, ops, dev_add or dev_del. */
	if (!bus || !m || !m->dev_name || !*m->dev_name || !m->ops ||
	    !m->ops->dev_add || !m->ops->dev_del)
		return -EINVAL;
	for (i = 0; i < bus->n_mdevs; i++) {
		struct uvdpa_mgmtdev *o = bus->mdevs[i].m;

		if (o == m || (same_str(o->bus_name, m->bus_name) &&
			       strcmp(o->dev_name, m->dev_name) == 0))
			return -EEXIST;
	}
	if (grow((void **)&bus->mdevs, &bus->cap_mdevs, bus->n_mdevs, sizeof(*bus->mdevs)))
		return -ENOMEM;
	bus->mdevs[bus->n_mdevs].m = m;
	bus->mdevs[bus->n_mdevs].release = release;
	bus->n_mdevs++;
	return 0;
}

int uvdpa_bus_register_mgmtdev(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m)
{
	return register_mgmtdev(bus, m, NULL);
}

int uvdpa_bus_adopt_mgmtdev(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m,
			    void (*release)(struct uvdpa_mgmtdev *m))
{
	if (!release)
		return -EINVAL;
	return register_mgmtdev(bus, m, release);
}

unsigned uvdpa_bus_mgmtdev_count(const struct uvdpa_bus *bus)
{
	return bus->n_mdevs;
}

struct uvdpa_mgmtdev *uvdpa_bus_mgmtdev_at(const struct uvdpa_bus *bus, unsigned i)
{
	return i < bus->n_mdevs ? bus->mdevs[i].m : NULL;
}

struct uvdpa_mgmtdev *uvdpa_bus_find_mgmtdev(const struct uvdpa_bus *bus,
					     const char *bus_name, const char *dev_name)
{
	unsigned i;

	if (!dev_name)
		return NULL;
	for (i = 0; i < bus->n_mdevs; i++) {
		struct uvdpa_mgmtdev *m = bus->mdevs[i].m;

		/* A request without a bus name only matches bus-less parents. */
		if (same_str(m->bus_name, bus_name) && strcmp(m->dev_name, dev_name) == 0)
			return m;
	}
	return NULL;
}

static bool mgmtdev_registered(const struct uvdpa_bus *bus, const struct uvdpa_mgmtdev *m)
{
	unsigned i;

	for (i = 0; i < bus->n_mdevs; i++)
		if (bus->mdevs[i].m == m)
			return true;
	return false;
}

/*
 * The kernel's naming (dev_set_name -> kobject_set_name_vargs) refuses only an
 * empty name (kobject_add). The length limit is uvdpa's: the name becomes a
 * socket file name. NULL if name is fine, else why not.
 */
static const char *name_problem(const char *name)
{
	size_t len = name ? strnlen(name, UVDPA_NAME_MAX + 1) : 0;

	if (!len)
		return "vdpa: device name is empty";
	return len > UVDPA_NAME_MAX ? UVDPA_DEV_NAME_TOO_LONG_MSG : NULL;
}

/* The name as stored and shown: each '/' becomes '!', as in the kernel. */
static char *stored_name(const char *name)
{
	char *copy = strdup(name);

	for (char *p = copy; p && (p = strchr(p, '/')) != NULL; p++)
		*p = '!';
	return copy;
}

static int find_index(const struct uvdpa_bus *bus, const char *name)
{
	unsigned i;

	for (i = 0; i < bus->n_devs; i++)
		if (strcmp(bus->devs[i]->name, name) == 0)
			return (int)i;
	return -1;
}

/* Stops and releases a device that is no longer in the registry. */
static void destroy_dev(struct uvdpa_device *d, struct uvdpa_mgmtdev *m)
{
	char *name = d->name;

	m->ops->dev_del(m, d);
	if (d->ops && d->ops->free)
		d->ops->free(d);
	free(name);
}

/* Tells the listener; a veto takes the device back out, as if never added. */
static int notify_added(struct uvdpa_bus *bus, struct uvdpa_device *d, const char **msg)
{
	int ret;

	if (!bus->added)
		return 0;
	ret = bus->added(bus->opaque, d, msg);
	if (ret >= 0)
		return 0;
	bus->n_devs--;
	destroy_dev(d, d->mdev);
	return ret;
}

int uvdpa_bus_dev_add(struct uvdpa_bus *bus, struct uvdpa_mgmtdev *m, const char *name,
		      const struct uvdpa_dev_set_config *cfg, struct uvdpa_device **out,
		      const char **msg)
{
	static const struct uvdpa_dev_set_config none;
	struct uvdpa_device *d = NULL;
	char *copy;
	int ret;

	if (out)
		*out = NULL;
	if (!bus || !m)
		return -EINVAL;
	if (name_problem(name)) {
		if (msg)
			*msg = name_problem(name);
		return -EINVAL;
	}
	if (!mgmtdev_registered(bus, m))
		return -ENODEV;
	if (grow((void **)&bus->devs, &bus->cap_devs, bus->n_devs, sizeof(*bus->devs)))
		return -ENOMEM;
	copy = stored_name(name);
	if (!copy)
		return -ENOMEM;
	/* Checked before creating so a duplicate costs nothing (the kernel
	 * finds it at registration, on the stored name; the answer is the same
	 * EEXIST). */
	if (find_index(bus, copy) >= 0) {
		free(copy);
		return -EEXIST;
	}
	ret = m->ops->dev_add(m, copy, cfg ? cfg : &none, &d, msg);
	if (ret < 0 || !d) {
		free(copy);
		return ret < 0 ? ret : -EINVAL;
	}
	d->name = copy;
	d->mdev = m;
	d->bus = bus;
	bus->devs[bus->n_devs++] = d;
	ret = notify_added(bus, d, msg);
	if (ret < 0)
		return ret;
	if (out)
		*out = d;
	return 0;
}

int uvdpa_bus_dev_del(struct uvdpa_bus *bus, const char *name)
{
	struct uvdpa_device *d;
	int i;

	if (!bus || !name)
		return -ENODEV;
	i = find_index(bus, name);
	if (i < 0)
		return -ENODEV;
	d = bus->devs[i];
	/* The face lets go first, so nothing drives the device while it stops. */
	if (bus->removed)
		bus->removed(bus->opaque, d);
	memmove(&bus->devs[i], &bus->devs[i + 1],
		(size_t)(bus->n_devs - (unsigned)i - 1) * sizeof(*bus->devs));
	bus->n_devs--;
	destroy_dev(d, d->mdev);
	return 0;
}

unsigned uvdpa_bus_dev_count(const struct uvdpa_bus *bus)
{
	return bus->n_devs;
}

struct uvdpa_device *uvdpa_bus_dev_at(const struct uvdpa_bus *bus, unsigned i)
{
	return i < bus->n_devs ? bus->devs[i] : NULL;
}

struct uvdpa_device *uvdpa_bus_find_dev(const struct uvdpa_bus *bus, const char *name)
{
	int i;

	if (!name)
		return NULL;
	i = find_index(bus, name);
	return i < 0 ? NULL : bus->devs[i];
}

void uvdpa_bus_free(struct uvdpa_bus *bus)
{
	unsigned i;

	if (!bus)
		return;
	/* Newest first, like unloading modules in reverse. */
	while (bus->n_devs)
		uvdpa_bus_dev_del(bus, bus->devs[bus->n_devs - 1]->name);
	for (i = bus->n_mdevs; i-- > 0;)
		if (bus->mdevs[i].release)
			bus->mdevs[i].release(bus->mdevs[i].m);
	free(bus->devs);
	free(bus->mdevs);
	free(bus);
}
