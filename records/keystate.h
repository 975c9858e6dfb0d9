/*
 * keystate: keys disabled for incident response ("csign-client admin
 * disable-key").  The state is the monitor's own, kept in a root-only
 * StateFile so that it survives reloads and restarts; a disabled key
 * refuses every signature until it is enabled again.
 *
 * The file holds one line per disabled key:
 *     KEY <TAB> unix-time <TAB> uid <TAB> reason
 * and is opened and replaced as records/statefile.h describes (never
 * through a symbolic link; temporary file, fsync, rename, directory
 * fsync).
 *
 * A change is made in two steps so that the caller can put its audit
 * record between them: keystate_prepare() writes the new file to a
 * durable temporary and changes nothing; keystate_commit() renames it
 * into place and only then changes the state in memory;
 * keystate_abort() drops it.
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

/* A prepared change: the new entries, written to tmp. */
struct keystate_change {
	struct keystate_entry *e; /* KEYSTATE_MAX entries, or NULL */
	size_t n;
	char tmp[4200];
};

/*
 * Load path (a missing file is an empty state; a symbolic link, a file
 * that is not a regular file of the daemon's user writable by it alone,
 * or a malformed line, is an error naming the file or line).  Temporary
 * files an interrupted write left next to it are removed first.  NULL
 * with err set on failure.
 */
struct keystate *keystate_load(const char *path, char *err, size_t errlen);
void keystate_free(struct keystate *ks);

/* The entry of a disabled key, or NULL if it is enabled. */
const struct keystate_entry *keystate_disabled(const struct keystate *ks,
    const char *key);

/*
 * Prepare disabling (with who, when and why) or enabling key: the new
 * file is written to ch->tmp; ks is unchanged.  0, or -1 with err set
 * (then there is nothing to commit or abort).
 */
int keystate_prepare(const struct keystate *ks, struct keystate_change *ch,
    const char *key, int disabled, uid_t uid, time_t when, const char *reason,
    char *err, size_t errlen);
/* Put a prepared change in place: 0, or -1 with err set and ks unchanged. */
int keystate_commit(struct keystate *ks, struct keystate_change *ch, char *err,
    size_t errlen);
/* Drop a prepared change (its temporary file too). */
void keystate_abort(struct keystate_change *ch);

/* Prepare and commit at once: 0, or -1 with err set, ks unchanged. */
int keystate_set(struct keystate *ks, const char *key, int disabled, uid_t uid,
    time_t when, const char *reason, char *err, size_t errlen);

#endif
