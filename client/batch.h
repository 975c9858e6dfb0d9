/*
 * csign-client sign with several files: several requests in flight.
 *
 * The files are handed out in the order of the command line (batchq.h)
 * to up to cl_batch_conns() connections, each its own session child that
 * hashes its artifacts, so that artifacts are hashed in parallel; each
 * connection also queues the next request behind the one being served
 * (the session reads it once it has answered), so that no session waits
 * for this client.  A connection the daemon refuses (MaxSessionsPerUser,
 * busy) is simply not used: the batch goes on with fewer.
 *
 * What is printed, and the exit status, are those of the serial client:
 * the -v or --json report of each signed file in the order of the
 * command line, and the first failure in that order.  Outputs are made
 * durable once for the batch (batchout.h).
 */
#ifndef CSIGN_CLIENT_BATCH_H
#define CSIGN_CLIENT_BATCH_H

#include "client/client.h"
#include "client/conn.h"

/*
 * 1 if the files of o can be signed at once with the same outcome as one
 * after another: each exists, no file is named twice, and no output of
 * one is another's input (signing "a a.sig" signs the new a.sig when done
 * in order).  Otherwise the serial client runs, as it always did.
 */
int cl_batch_independent(const struct options *o);

/*
 * Sign o->files over c (open, passing descriptors) and connections
 * opened like it.  0, or -1 with fl filled (the first failure).
 */
int cl_batch_sign(struct conn *c, const struct options *o, struct failure *fl);

#endif
