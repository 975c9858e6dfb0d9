/*
 * fuzz_config: csignd.conf, as csignd -t and SIGHUP read it (from a path).
 * The seeds (corpus/config) are the shipped example and what csignd -T
 * prints for it (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "records/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[CONFIG_ERR_MAX];
	struct config *cfg;
	int fd = fuzz_memfd(data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((cfg = config_load(path, err, sizeof(err))) != NULL)
		FUZZ_PASSED();
	config_free(cfg);
	close(fd);
	return 0;
}
