/* SPDX-License-Identifier: MIT */
/*
 * Reply messages of the vdpa family, attribute for attribute as the kernel's
 * *_fill() functions in drivers/vdpa/vdpa.c build them.
 */
#ifndef UVDPA_MGMT_VDPA_FILL_H
#define UVDPA_MGMT_VDPA_FILL_H

#include "mgmt/mgmt_priv.h"

/* Each returns the message length, or -EMSGSIZE when cap is too small. */
int vdpa_fill_mgmtdev(struct uvdpa_mgmtdev *m, void *buf, size_t cap,
		      const struct genl_dest *to);
int vdpa_fill_dev(struct mgmt_server *s, struct uvdpa_device *d, void *buf, size_t cap,
		  const struct genl_dest *to);
/* Also -EOPNOTSUPP for a class without config reporting. */
int vdpa_fill_config(struct uvdpa_device *d, void *buf, size_t cap,
		     const struct genl_dest *to);
/* Also the kernel's vstats errors, with ext set. */
int vdpa_fill_vstats(struct uvdpa_device *d, uint32_t index, void *buf, size_t cap,
		     const struct genl_dest *to, struct mgmt_extack *ext);

#endif
