/* SPDX-License-Identifier: MIT */
/*
 * The vdpa generic-netlink ABI, numbered exactly as the latest kernel's
 * include/uapi/linux/vdpa.h (commands 0-8, attributes 0-36). uvdpad speaks
 * it over a Unix socket; the uvdpa CLI speaks it to uvdpad or to a kernel.
 * Prefixed UVDPA_ so it can coexist with an older <linux/vdpa.h>.
 */
#ifndef UVDPA_VDPA_ABI_H
#define UVDPA_VDPA_ABI_H

#define UVDPA_GENL_NAME    "vdpa"
#define UVDPA_GENL_VERSION 1

enum uvdpa_command {
	UVDPA_CMD_UNSPEC,
	UVDPA_CMD_MGMTDEV_NEW,          /* reply cmd of MGMTDEV_GET */
	UVDPA_CMD_MGMTDEV_GET,          /* do + dump */
	UVDPA_CMD_DEV_NEW,
	UVDPA_CMD_DEV_DEL,
	UVDPA_CMD_DEV_GET,              /* do + dump; reply cmd DEV_NEW */
	UVDPA_CMD_DEV_CONFIG_GET,       /* do + dump */
	UVDPA_CMD_DEV_VSTATS_GET,
	UVDPA_CMD_DEV_ATTR_SET,
	UVDPA_CMD_MAX_PLUS_ONE
};

enum uvdpa_attr {
	UVDPA_ATTR_UNSPEC,                      /* 0, also the pad attribute */
	UVDPA_ATTR_MGMTDEV_BUS_NAME,            /* 1  string */
	UVDPA_ATTR_MGMTDEV_DEV_NAME,            /* 2  string */
	UVDPA_ATTR_MGMTDEV_SUPPORTED_CLASSES,   /* 3  u64 */
	UVDPA_ATTR_DEV_NAME,                    /* 4  string */
	UVDPA_ATTR_DEV_ID,                      /* 5  u32 */
	UVDPA_ATTR_DEV_VENDOR_ID,               /* 6  u32 */
	UVDPA_ATTR_DEV_MAX_VQS,                 /* 7  u32 */
	UVDPA_ATTR_DEV_MAX_VQ_SIZE,             /* 8  u16 */
	UVDPA_ATTR_DEV_MIN_VQ_SIZE,             /* 9  u16 */
	UVDPA_ATTR_DEV_NET_CFG_MACADDR,         /* 10 binary, 6 bytes */
	UVDPA_ATTR_DEV_NET_STATUS,              /* 11 u16 on the wire */
	UVDPA_ATTR_DEV_NET_CFG_MAX_VQP,         /* 12 u16 */
	UVDPA_ATTR_DEV_NET_CFG_MTU,             /* 13 u16, >= 68 */
	UVDPA_ATTR_DEV_NEGOTIATED_FEATURES,     /* 14 u64 */
	UVDPA_ATTR_DEV_MGMTDEV_MAX_VQS,         /* 15 u32 */
	UVDPA_ATTR_DEV_SUPPORTED_FEATURES,      /* 16 u64 */
	UVDPA_ATTR_DEV_QUEUE_INDEX,             /* 17 u32 */
	UVDPA_ATTR_DEV_VENDOR_ATTR_NAME,        /* 18 string */
	UVDPA_ATTR_DEV_VENDOR_ATTR_VALUE,       /* 19 u64 */
	UVDPA_ATTR_DEV_FEATURES,                /* 20 u64 */
	UVDPA_ATTR_DEV_BLK_CFG_CAPACITY,        /* 21 u64 (v6.1: supported features!) */
	UVDPA_ATTR_DEV_BLK_CFG_SIZE_MAX,        /* 22 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_BLK_SIZE,        /* 23 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_SEG_MAX,         /* 24 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES,      /* 25 u16 */
	UVDPA_ATTR_DEV_BLK_CFG_PHY_BLK_EXP,     /* 26 u8 */
	UVDPA_ATTR_DEV_BLK_CFG_ALIGN_OFFSET,    /* 27 u8 */
	UVDPA_ATTR_DEV_BLK_CFG_MIN_IO_SIZE,     /* 28 u16 */
	UVDPA_ATTR_DEV_BLK_CFG_OPT_IO_SIZE,     /* 29 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEC, /* 30 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_MAX_DISCARD_SEG, /* 31 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_DISCARD_SEC_ALIGN, /* 32 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEC, /* 33 u32 */
	UVDPA_ATTR_DEV_BLK_CFG_MAX_WRITE_ZEROES_SEG, /* 34 u32 */
	UVDPA_ATTR_DEV_BLK_READ_ONLY,           /* 35 u8 */
	UVDPA_ATTR_DEV_BLK_FLUSH,               /* 36 u8 */
	UVDPA_ATTR_MAX_PLUS_ONE,
	UVDPA_ATTR_MAX = UVDPA_ATTR_MAX_PLUS_ONE   /* = 37, the kernel's VDPA_ATTR_MAX */
};

#define UVDPA_ATTR_BIT(a) (1ULL << (a))

/*
 * The longest device name (bytes, without the NUL) that uvdpad, its netlink
 * policy (DEV_NAME) and the uvdpa CLI accept: one limit everywhere. The
 * kernel has none; uvdpa needs one because each name becomes a socket file,
 * RUNDIR/vhost/NAME.sock, and a Unix socket path holds 107 bytes: 64 leaves
 * 31 bytes for RUNDIR (/run/uvdpa and /run/user/UID/uvdpa fit).
 */
#define UVDPA_DEV_NAME_MAX 64
/* What both say to a longer name (the daemon as an extack, -ERANGE). */
#define UVDPA_DEV_NAME_TOO_LONG_MSG "vdpa: device name is longer than 64 bytes"

/*
 * uvdpa's own reply-only attributes, numbered far above the kernel's so a
 * future kernel attribute can never collide. Clients that do not know them
 * (iproute2) ignore them, as they ignore any type above their VDPA_ATTR_MAX.
 */
#define UVDPA_ATTR_UVDPA_VHOST_SOCKET 200   /* string: the device's vhost-user socket (DEV_GET reply) */
/*
 * blk_file settings: DEV_NEW takes them, DEV_GET replies carry them back
 * (with the kernel's BLK_READ_ONLY, 35, for `readonly`, and BLK_CFG_CAPACITY
 * and BLK_CFG_NUM_QUEUES in DEV_NEW as for vdpasim_blk).
 */
#define UVDPA_ATTR_UVDPA_BLK_PATH     201   /* string: backing file or block device */
#define UVDPA_ATTR_UVDPA_BLK_DIRECT   202   /* u8: 1 = O_DIRECT, 0 = page cache */
#define UVDPA_ATTR_UVDPA_BLK_SERIAL   203   /* string, at most 20 bytes: GET_ID's answer */
/*
 * net_tap: the TAP interface to create or attach (DEV_NEW), and the one the
 * device uses (DEV_GET reply). 204-209 are kept for a colleague's work.
 */
#define UVDPA_ATTR_UVDPA_NET_TAP      210   /* string, at most 15 bytes: interface name */
/*
 * u8, always 1 (present or absent): uvdpad owns the TAP (it created it, it
 * is persistent, `dev del` deletes it). uvdpad adds it to the state file's
 * record of a device whose TAP it created, so a restart re-attaches to the
 * same interface and still deletes it with the device; a TAP that existed
 * before `dev add` is recorded without it and never deleted.
 */
#define UVDPA_ATTR_UVDPA_NET_TAP_OWNED 211
/*
 * u8, DEV_NEW: 1 = put the device on the kernel's vdpa bus through VDUSE too
 * (/dev/vduse/NAME), 0 = not; absent = the daemon's default (uvdpad -K).
 * Not the parent's: every mgmtdev takes it. DEV_GET replies say whether the
 * device is exported with UVDPA_ATTR_UVDPA_VDUSE (220).
 */
#define UVDPA_ATTR_UVDPA_EXPORT_VDUSE 212
#define UVDPA_ATTR_UVDPA_MAX          212
/* Bit of a uvdpa attribute in uvdpa_dev_set_config.uvdpa_mask. */
#define UVDPA_ATTR_UVDPA_BIT(a)       (1U << ((a) - UVDPA_ATTR_UVDPA_VHOST_SOCKET))
/* Reply-only, above UVDPA_ATTR_UVDPA_MAX (DEV_NEW never takes them).
 * string: the device's VDUSE node (/dev/vduse/NAME) when uvdpad exports it to
 * the kernel's vdpa bus (uvdpad --vduse; DEV_GET reply) */
#define UVDPA_ATTR_UVDPA_VDUSE 220
/* string: features the device has that the kernel's VDUSE refuses, so the
 * kernel sees it without them, comma-separated (e.g. "CTRL_VQ,MQ") */
#define UVDPA_ATTR_UVDPA_VDUSE_WITHOUT 221

#endif
