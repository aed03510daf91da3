/*
 * sim_scenario.h - scenario files for the simulated host (format in
 * conf/scenarios/README.md): [host], [defaults] and [vm "NAME"] sections,
 * workload phases, replays of recorded traces.  Builds a model
 * (sim_model.h); knows nothing of what runs it.
 */
#ifndef MC_SIM_SCENARIO_H
#define MC_SIM_SCENARIO_H

#include <stddef.h>

struct mc_sim_model;

/* Parses the scenario at path and returns its model with the VMs due at
 * t=0 booted.  NULL on failure with err holding file:line and why (names
 * and paths escaped).  Free with mc_sim_model_free(). */
struct mc_sim_model *mc_sim_scenario_load(const char *path, char *err,
					  size_t errlen);

#endif
