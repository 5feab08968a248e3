/* SPDX-License-Identifier: MIT */
/* systemd's readiness protocol (sd_notify), spoken by hand: no libsystemd. */
#ifndef UVDPAD_NOTIFY_H
#define UVDPAD_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET if it is set. */
void notify_systemd(const char *state);

#endif
