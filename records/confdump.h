/*
 * confdump: "csignd -T", the effective configuration (every keyword with
 * its value, defaults included) in csignd.conf(5) syntax, as "sshd -T"
 * prints sshd's.  The output is itself a configuration that parses to
 * the same values.
 */
#ifndef CSIGN_CONFDUMP_H
#define CSIGN_CONFDUMP_H

#include <stdio.h>

#include "records/config.h"

/* Write cfg to f: global keywords, Token blocks, Key blocks, Allow lines. */
void config_dump(const struct config *cfg, FILE *f);

#endif
