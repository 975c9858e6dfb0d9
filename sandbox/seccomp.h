/*
 * seccomp: the session child's system-call allowlist (libseccomp), default
 * action SCMP_ACT_KILL_PROCESS.  Installed last by sandbox_drop().
 */
#ifndef CSIGN_SECCOMP_H
#define CSIGN_SECCOMP_H

/* Build and load the filter; fatal on any failure. */
void sandbox_seccomp(void);

#endif
