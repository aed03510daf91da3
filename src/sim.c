/* Placeholder until the simulator lands (being written now). */
#include <stdio.h>

#include "sim.h"

int mc_sim_main(const struct mc_config *cfg)
{
	fprintf(stderr, "memcoord: --simulate %s: the simulator is not built yet\n",
		cfg->simulate);
	return 1;
}
