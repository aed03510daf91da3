/* fuzz_trace.c - libFuzzer target: a --trace CSV read back as a replayed
 * workload (csv.c's RFC 4180 reader, the header's columns, the numbers).
 * Any input must give a model or an error with a message free of control
 * bytes, never a crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim_model.h"
#include "sim_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memfd holding len bytes of text; its /proc path into path. */
static int memfd_with(const void *text, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char trace[64], scn[64], text[256], err[512] = "";
	int tfd = memfd_with(data, size, trace, sizeof(trace)), sfd, n;
	struct mc_sim_model *m;
	size_t i;

	/* The domain a fuzzer is likeliest to meet quoted: a comma, a quote. */
	n = snprintf(text, sizeof(text), "[host]\nduration = 10\n[vm \"v\"]\n"
		     "replay = %s\nreplay_domain = a,\"b\n", trace);
	sfd = memfd_with(text, (size_t)n, scn, sizeof(scn));
	m = mc_sim_scenario_load(scn, err, sizeof(err));
	if (!m && !err[0])
		abort();	/* every refusal says why */
	for (i = 0; err[i]; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();	/* and quotes no raw control byte */
	mc_sim_model_free(m);
	close(sfd);
	close(tfd);
	return 0;
}
