/*
 * sim.h - the simulated host: a backend that models Linux guests with
 * virtio balloons running scripted workloads, and the driver that runs the
 * coordinator on it as fast as the CPU allows (or in real time).
 */
#ifndef MC_SIM_H
#define MC_SIM_H

#include "config.h"
#include "hypervisor.h"

/* Runs cfg->simulate with cfg->policy; prints the scorecard, writes
 * --report/--trace/--plot.  Returns the process exit status. */
int mc_sim_main(const struct mc_config *cfg);

#endif
