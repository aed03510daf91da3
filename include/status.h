/*
 * status.h - what `memcoord status` prints: the running daemon's state
 * (policy and its hash, the last decision per domain with the clamps that
 * fired, errors, libvirt) as a table or as one JSON object.
 */
#ifndef MC_STATUS_H
#define MC_STATUS_H

#include <stdbool.h>
#include <stdio.h>

struct mc_config;
struct mc_coord;

/* Writes the state to out.  Every domain name and error is escaped (the
 * table) or a JSON string (json): both come from guests and policies. */
void mc_status_write(FILE *out, const struct mc_config *cfg,
		     const struct mc_coord *coord, bool json);

#endif
