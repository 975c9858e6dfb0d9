/*
 * keystate: keys disabled for incident response ("csign-client admin
 * disable-key").  The state is the monitor's own, kept in a root-only
 * StateFile so that it survives reloads and restarts; a disabled key
 * refuses every signature until it is enabled again.
 *
 * The file holds one line per disabled key:
 *     KEY <TAB> unix-time <TAB> uid <TAB> reason
 * and is replaced atomically (temporary file, fsync, rename).
 */
#ifndef CSIGN_KEYSTATE_H
#define CSIGN_KEYSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "proto/names.h"

#define KEYSTATE_MAX 1024

struct keystate_entry {
	char key[KEY_NAME_MAX + 1];
	time_t when;
	uid_t uid;
	char reason[MESSAGE_MAX + 1];
};

struct keystate {
	char *path;
	struct keystate_entry *e;
	size_t n;
};

/*
 * Load path (a missing file is an empty state; a file that is not a
 * regular root-only file, or a malformed line, is an error naming the
 * line).  NULL with err set on failure.
 */
struct keystate *keystate_load(const char *path, char *err, size_t errlen);
void keystate_free(struct keystate *ks);

/* The entry of a disabled key, or NULL if it is enabled. */
const struct keystate_entry *keystate_disabled(const struct keystate *ks,
    const char *key);

/*
 * Disable (with who, when and why) or enable key, and write the file.
 * 0, or -1 with err set and the state unchanged.
 */
int keystate_set(struct keystate *ks, const char *key, int disabled,
    uid_t uid, time_t when, const char *reason, char *err, size_t errlen);

#endif
