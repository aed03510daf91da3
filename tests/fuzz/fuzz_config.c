/* fuzz_config.c - libFuzzer target: the INI loader.  Any input must give
 * MC_CONFIG_OK or MC_CONFIG_ERROR with a message free of control bytes,
 * never a crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_config cfg = { 0 };
	char path[64], err[512] = "";
	enum mc_config_status st;
	size_t i;
	int fd = memfd_create("fuzz.ini", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	st = mc_config_load_file(&cfg, path, err, sizeof(err));
	if (st == MC_CONFIG_ERROR && !err[0])
		abort();	/* every refusal says why */
	for (i = 0; err[i]; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();	/* and quotes no raw control byte */
	mc_config_free(&cfg);
	close(fd);
	return 0;
}
