// SPDX-License-Identifier: MIT
/*
 * Device helpers with the side effects of the kernel's vdpa_reset(),
 * vdpa_set_features() and vdpa_get_config() (include/linux/vdpa.h).
 */
#include <errno.h>

#include <uvdpa/device.h>

int uvdpa_device_reset(struct uvdpa_device *d)
{
	d->features_valid = false;
	return d->ops->reset(d);
}

int uvdpa_device_set_features(struct uvdpa_device *d, uint64_t features)
{
	d->features_valid = true;
	return d->ops->set_driver_features(d, features);
}

void uvdpa_device_get_config(struct uvdpa_device *d, unsigned offset, void *buf,
			     unsigned len)
{
	/* A driver that reads config before negotiating is treated as legacy
	 * (features 0), as the kernel does; the device may refuse the write. */
	if (!d->features_valid)
		uvdpa_device_set_features(d, 0);
	d->ops->get_config(d, offset, buf, len);
}

/* The faces' threads race for a device: one compare-and-swap decides. */
int uvdpa_device_claim(struct uvdpa_device *d, const char *owner, const char **holder)
{
	const char *expected = NULL;

	if (__atomic_compare_exchange_n(&d->driver_owner, &expected, owner, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 0;
	if (holder)
		*holder = expected;
	return -EBUSY;
}

void uvdpa_device_release(struct uvdpa_device *d, const char *owner)
{
	const char *expected = owner;

	__atomic_compare_exchange_n(&d->driver_owner, &expected, NULL, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

const char *uvdpa_device_owner(const struct uvdpa_device *d)
{
	return __atomic_load_n(&d->driver_owner, __ATOMIC_ACQUIRE);
}
