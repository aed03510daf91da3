/*
 * sim.h - the simulator's driver (--simulate): loads a scenario
 * (sim_scenario.h) into a model (sim_model.h), runs the unchanged
 * coordinator on it through the sim backend (hypervisor.h), keeps the
 * score (scorecard.h) and writes the outputs.  The only module that uses
 * all of them; none of them uses it.
 */
#ifndef MC_SIM_H
#define MC_SIM_H

struct mc_config;

/* Runs cfg->simulate with cfg->policy; prints the scorecard, writes
 * --report/--trace/--plot.  Returns the process exit status. */
int mc_sim_main(const struct mc_config *cfg);

#endif
