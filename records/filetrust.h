/*
 * filetrust: sshd's StrictModes for the files csignd trusts.
 *
 * Whoever can change the config, a PKCS#11 module, the sandbox program,
 * a PinFile or a certificate can sign as csignd, or make it sign what they
 * want.  So each of those files, and every directory above it up to /,
 * must be owned by root or by the daemon's own user and must not be
 * writable by group or others.  The directories that will hold the
 * socket, the audit log and the StateFile are held to the same rule.
 * Both the path as written and the path it resolves to are checked, so a
 * symbolic link cannot lead around the rule.
 */
#ifndef CSIGN_FILETRUST_H
#define CSIGN_FILETRUST_H

#include <stddef.h>
#include <sys/types.h>

#include "records/config.h"

/* What filetrust_path checks: the file itself, or the directory it is in. */
enum filetrust_kind {
	FT_FILE,  /* a regular file that must exist */
	FT_DIR_OF /* the directory that holds (or will hold) path */
};

/*
 * Check path and the directories above it: owned by root or self, not
 * writable by group or others.  A directory above the checked object may
 * be writable by others if it is sticky and owned by root or self (/tmp).
 * 0, or -1 with why set to the first offender, e.g. "writable by group
 * (mode 0664)" for the object itself, or "directory /etc/csign: writable
 * by group (mode 0775)".
 */
int filetrust_path(const char *path, enum filetrust_kind kind, uid_t self,
    char *why, size_t whylen);

/*
 * Every file cfg names (the config itself, Module, SandboxProgram,
 * PinFile unless credential:, Certificate, Chain, TimestampCA) and the
 * directories of Listen, AuditLog, PidFile and StateFile; and, when
 * AdminGroup or an Approval is set, a StateFile directory that exists and
 * is writable.  0, or -1 with err set to "CONFIG:LINE: Keyword PATH: why:
 * refusing", and for a directory that does not exist "; create it with
 * ... mkdir -m MODE DIR" after it.
 */
int filetrust_config(const struct config *cfg, uid_t self, char *err,
    size_t errlen);

#endif
