/* policy.c: who may sign with which key in which format (see policy.h). */
#include "records/policy.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PWBUF_START 1024
#define PWBUF_MAX ((size_t)1024 * 1024)

/*
 * Texts for replies and audit records.  POLICY_NO_KEY reads exactly like
 * POLICY_NOT_GRANTED so that a peer cannot probe which key names exist.
 */
static const char *const result_texts[] = {
	[POLICY_OK] = "ok",
	[POLICY_NO_KEY] = "key not granted to this user",
	[POLICY_NOT_GRANTED] = "key not granted to this user",
	[POLICY_BAD_FORMAT] = "key not allowed for this format",
	[POLICY_BAD_DIGEST] = "digest not allowed for this key",
};

int
identity_in_group(const struct identity *id, gid_t gid)
{
	size_t n =
	    id->ngroups < IDENT_MAX_GROUPS ? id->ngroups : IDENT_MAX_GROUPS;

	if (id->gid == gid)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (id->groups[i] == gid)
			return 1;
	return 0;
}

/* 1 if the Allow line's user or group covers the identity. */
static int
allow_matches(const struct cfg_allow *a, const struct identity *id)
{
	if (a->is_group)
		return identity_in_group(id, a->gid);
	return a->uid == id->uid;
}

/* 1 if the Allow line lists this very key record. */
static int
allow_lists(const struct cfg_allow *a, const struct cfg_key *key)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (a->keys[i] == key)
			return 1;
	return 0;
}

int
policy_rule_grants(const struct cfg_allow *a, const struct identity *id,
    const struct cfg_key *key)
{
	return allow_matches(a, id) && allow_lists(a, key);
}

/* The formats an Allow line grants with key: its own list or the key's. */
static unsigned
allow_formats(const struct cfg_allow *a, const struct cfg_key *key)
{
	return a->formats != 0 ? a->formats & key->formats : key->formats;
}

int
policy_rule_grants_format(const struct cfg_allow *a, const struct identity *id,
    const struct cfg_key *key, int format)
{
	if (format < 0 || format >= FMT_COUNT)
		return 0;
	return policy_rule_grants(a, id, key) &&
	    (allow_formats(a, key) & FMT_BIT(format)) != 0;
}

int
policy_granted(const struct config *cfg, const struct identity *id,
    const struct cfg_key *key)
{
	if (cfg == NULL || id == NULL || key == NULL)
		return 0;
	for (size_t i = 0; i < cfg->nallows; i++) {
		const struct cfg_allow *a = &cfg->allows[i];

		if (allow_matches(a, id) && allow_lists(a, key))
			return 1;
	}
	return 0;
}

unsigned
policy_formats(const struct config *cfg, const struct identity *id,
    const struct cfg_key *key)
{
	unsigned mask = 0;

	if (cfg == NULL || id == NULL || key == NULL)
		return 0;
	for (size_t i = 0; i < cfg->nallows; i++) {
		const struct cfg_allow *a = &cfg->allows[i];

		if (allow_matches(a, id) && allow_lists(a, key))
			mask |= allow_formats(a, key);
	}
	return mask;
}

/*
 * The grant is checked before format and digest: a peer that may not use
 * the key learns nothing about what the key would allow.  The format must
 * be one that a line granting the key to the peer allows ("formats" on
 * the line, else the key's Formats).
 */
enum policy_result
policy_check(const struct config *cfg, const struct identity *id,
    const char *keyname, int format, int digest, const struct cfg_key **keyp)
{
	const struct cfg_key *key;

	if (keyp != NULL)
		*keyp = NULL;
	if ((key = config_find_key(cfg, keyname)) == NULL)
		return POLICY_NO_KEY;
	if (!policy_granted(cfg, id, key))
		return POLICY_NOT_GRANTED;
	if (format < 0 || format >= FMT_COUNT ||
	    !(policy_formats(cfg, id, key) & FMT_BIT(format)))
		return POLICY_BAD_FORMAT;
	if (digest < 0 || digest >= DIG_COUNT ||
	    !(key->digests & DIG_BIT(digest)))
		return POLICY_BAD_DIGEST;
	if (keyp != NULL)
		*keyp = key;
	return POLICY_OK;
}

const char *
policy_result_str(enum policy_result r)
{
	size_t n = sizeof(result_texts) / sizeof(result_texts[0]);

	if ((size_t)r >= n || result_texts[r] == NULL)
		return "policy error";
	return result_texts[r];
}

/* Name of uid into dst (dstlen bytes); -1 if unknown or too long. */
static int
user_name(uid_t uid, char *dst, size_t dstlen)
{
	struct passwd pw, *res = NULL;
	size_t len = PWBUF_START;
	char *buf = NULL, *nbuf;
	int rc, ret = -1;

	for (;;) {
		if ((nbuf = realloc(buf, len)) == NULL)
			break;
		buf = nbuf;
		rc = getpwuid_r(uid, &pw, buf, len, &res);
		if (rc != ERANGE || len >= PWBUF_MAX)
			break;
		len *= 2;
	}
	if (res != NULL && strlen(res->pw_name) < dstlen) {
		memcpy(dst, res->pw_name, strlen(res->pw_name) + 1);
		ret = 0;
	}
	free(buf);
	return ret;
}

/*
 * A name longer than the field falls back to the number rather than being
 * cut, so two users can never show up under the same truncated name.
 */
void
identity_resolve_user(struct identity *id)
{
	if (user_name(id->uid, id->user, sizeof(id->user)) == 0)
		return;
	snprintf(id->user, sizeof(id->user), "%lu", (unsigned long)id->uid);
}
