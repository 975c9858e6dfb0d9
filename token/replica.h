/*
 * replica: the choice of a token among a key's replicas, apart from
 * libp11 so that it can be tested alone.  A key names its tokens in the
 * order of use ("Token hsm-a hsm-b"): a request goes to the first healthy
 * one it has not tried yet, and moves to the next healthy one once, on a
 * device or session error or a timeout (token/signer.c).
 */
#ifndef CSIGN_TOKEN_REPLICA_H
#define CSIGN_TOKEN_REPLICA_H

#include <stddef.h>

/* Tokens one request may try: the first, and one replica after it. */
#define REPLICA_TRIES 2

/*
 * The index of the first replica i < n with ready[i] set and bit i of
 * tried clear, or -1 when there is none.
 */
int replica_pick(const int *ready, size_t n, unsigned tried);

/*
 * May a request that tried the tokens in tried (tries of them) move on?
 * 1 if it has tries left and some healthy token it has not tried.
 */
int replica_may_retry(const int *ready, size_t n, unsigned tried,
    unsigned tries);

#endif
