/*
 * policy: who may sign with which key in which format.  Pure functions over
 * a config and the kernel-reported identity of a peer; every decision made
 * by the monitor goes through here.
 */
#ifndef CSIGN_POLICY_H
#define CSIGN_POLICY_H

#include <stddef.h>
#include <sys/types.h>

#include "records/config.h"

#define IDENT_MAX_GROUPS 256

/* A peer as the kernel reports it (SO_PEERCRED + SO_PEERGROUPS). */
struct identity {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[KEY_NAME_MAX + 1];	/* name of uid, or the number */
	gid_t groups[IDENT_MAX_GROUPS]; /* supplementary groups */
	size_t ngroups;
	int via; /* enum via: the listener (the loop's) */
};

/* 1 if gid is the identity's primary or one of its supplementary groups. */
int identity_in_group(const struct identity *id, gid_t gid);

enum policy_result {
	POLICY_OK = 0,
	POLICY_NO_KEY,	    /* no such key (reported like not granted) */
	POLICY_NOT_GRANTED, /* no Allow line names this identity */
	POLICY_BAD_FORMAT,  /* granted, but not for this format */
	POLICY_BAD_DIGEST   /* granted, but not with this digest */
};

/* 1 if this Allow line grants key to id. */
int policy_rule_grants(const struct cfg_allow *a, const struct identity *id,
    const struct cfg_key *key);

/* 1 if this Allow line grants key to id for format (enum csign_format). */
int policy_rule_grants_format(const struct cfg_allow *a,
    const struct identity *id, const struct cfg_key *key, int format);

/* 1 if some Allow line grants key to id (primary or supplementary group). */
int policy_granted(const struct config *cfg, const struct identity *id,
    const struct cfg_key *key);

/*
 * The formats (FMT_BIT mask) that the Allow lines granting key to id
 * allow together; 0 if none grants it.
 */
unsigned policy_formats(const struct config *cfg, const struct identity *id,
    const struct cfg_key *key);

/*
 * Check a sign request: key name, format (enum csign_format) and digest
 * (enum csign_digest).  On POLICY_OK *keyp is the config's key record.
 */
enum policy_result policy_check(const struct config *cfg,
    const struct identity *id, const char *keyname, int format, int digest,
    const struct cfg_key **keyp);

/* Text for a result, for replies and audit records. */
const char *policy_result_str(enum policy_result r);

/* Fill id->user from uid (getpwuid), falling back to the number. */
void identity_resolve_user(struct identity *id);

#endif
