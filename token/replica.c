/* replica.c: which of a key's tokens signs (see replica.h). */
#include "token/replica.h"

int
replica_pick(const int *ready, size_t n, unsigned tried)
{
	for (size_t i = 0; i < n && i < sizeof(tried) * 8; i++)
		if (ready[i] && (tried & (1u << i)) == 0)
			return (int)i;
	return -1;
}

int
replica_may_retry(const int *ready, size_t n, unsigned tried, unsigned tries)
{
	return tries < REPLICA_TRIES && replica_pick(ready, n, tried) >= 0;
}
