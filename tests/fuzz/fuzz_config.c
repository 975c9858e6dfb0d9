/* fuzz_config: csignd.conf, as csignd -t and SIGHUP read it. */
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
	int fd = fuzz_memfd(data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_free(config_load(path, err, sizeof(err)));
	close(fd);
	return 0;
}
