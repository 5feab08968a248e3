// SPDX-License-Identifier: MIT
/*
 * Device helpers with the side effects of the kernel's vdpa_reset(),
 * vdpa_set_features() and vdpa_get_config() (include/linux/vdpa.h).
 */
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
