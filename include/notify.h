/*
 * notify.h - the sd_notify(3) protocol to systemd's NOTIFY_SOCKET:
 * readiness, reloads, status text, watchdog keep-alives.  Without
 * NOTIFY_SOCKET (not under systemd, Type= not notify) every call is a no-op.
 */
#ifndef MC_NOTIFY_H
#define MC_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "STOPPING=1", ...), one datagram, as it is: the
 * caller writes only fixed assignments.  0 when sent or when there is no
 * NOTIFY_SOCKET; -1 with errno otherwise. */
int mc_notify(const char *state);

/* "RELOADING=1" with MONOTONIC_USEC=now, as systemd wants for a reload. */
int mc_notify_reloading(void);

/* "STATUS=<text>": text comes from file names and policy errors, so every
 * control character in it is sent as '?' (a newline would start another
 * assignment: READY=1, MAINPID=...). */
int mc_notify_status(const char *text);

/* The watchdog interval in microseconds systemd expects WATCHDOG=1 within
 * (WATCHDOG_USEC), or 0 when there is none or it is meant for another
 * process (WATCHDOG_PID). */
uint64_t mc_notify_watchdog_usec(void);

#endif
