/*
 * resolve: the lookup process, "csign-sandbox [-u uid -g gid | -U] -R HOST".
 *
 * The monitor parses no bytes from the network, so the names of TSAs are
 * resolved here, as smtpd's lookup process does it: a process started
 * (fork and exec) by the monitor for one name, running as the SandboxUser
 * with no capabilities (sandbox/drop.c), which calls getaddrinfo() and
 * sends the addresses back as one fixed-size answer (proto/resolve.h) on
 * its channel (fd 3), then exits.  The monitor checks the answer's exact
 * length and every field, and kills the process at the TSA's deadline.
 */
#ifndef CSIGN_SANDBOX_RESOLVE_H
#define CSIGN_SANDBOX_RESOLVE_H

#include "proto/resolve.h"
#include "sandbox/drop.h"

/* Drop privileges (o), resolve host, answer on fd 3, exit. */
void resolve_main(struct drop_opts *o, const char *host)
    __attribute__((noreturn));

/* The TCP addresses of host, in getaddrinfo()'s order, into r. */
void resolve_lookup(const char *host, struct resolve_reply *r);

#endif
