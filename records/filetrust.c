/* filetrust.c: sshd's StrictModes for csignd's files (see filetrust.h). */
#include "records/filetrust.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHY_MAX 384

/* 1 if uid may own what csignd trusts: root or the daemon's own user. */
static int
trusted_uid(uid_t uid, uid_t self)
{
	return uid == 0 || uid == self;
}

/* Say who owns st when that is nobody csignd trusts. */
static void
owner_text(const struct stat *st, uid_t self, char *why, size_t len)
{
	if (self == 0)
		snprintf(why, len, "owned by uid %u, not root",
		    (unsigned)st->st_uid);
	else
		snprintf(why, len, "owned by uid %u, not root or uid %u",
		    (unsigned)st->st_uid, (unsigned)self);
}

/*
 * Owner and mode of one object on the path.  above: a directory above the
 * object csignd uses, which may be sticky instead of closed.
 */
static int
check_stat(const struct stat *st, int above, uid_t self, char *why, size_t len)
{
	mode_t mode = st->st_mode & 07777;

	if (!trusted_uid(st->st_uid, self)) {
		owner_text(st, self, why, len);
		return -1;
	}
	if ((mode & 022) == 0)
		return 0;
	/*
	 * A sticky directory such as /tmp: others may add entries to it,
	 * but cannot rename or remove the ones they do not own, and the
	 * entry below it on this path is checked to be root's or ours.  Not
	 * for the object itself: in the directory that holds the audit log
	 * or the socket, others could create the name before csignd does.
	 */
	if (above && S_ISDIR(st->st_mode) && (mode & S_ISVTX))
		return 0;
	snprintf(why, len, "writable by %s (mode %04o)",
	    (mode & 022) == 022 ? "group and others"
		: (mode & 020)	? "group"
				: "others",
	    (unsigned)mode);
	return -1;
}

/* Cut the last component off the absolute path in buf ("/a/b" -> "/a"). */
static void
parent_of(char *buf)
{
	char *slash = strrchr(buf, '/');

	if (slash == buf || slash == NULL)
		buf[1] = '\0';
	else
		*slash = '\0';
}

/* The first problem of the object at buf itself (its type), or NULL. */
static const char *
check_type(const struct stat *st, int file)
{
	if (file && !S_ISREG(st->st_mode))
		return "not a regular file";
	if (!file && !S_ISDIR(st->st_mode))
		return "not a directory";
	return NULL;
}

/*
 * Check path, a regular file (file) or a directory, then each directory
 * above it up to /.  Offenders other than a file are named "directory
 * X: ..." in why.
 */
static int
check_chain(const char *path, int file, uid_t self, char *why, size_t len)
{
	char buf[PATH_MAX], sub[WHY_MAX];
	const char *bad;
	struct stat st;
	int above = 0;

	if (path[0] != '/' || strlen(path) >= sizeof(buf)) {
		snprintf(why, len, "not an absolute path of at most %d bytes",
		    PATH_MAX - 1);
		return -1;
	}
	memcpy(buf, path, strlen(path) + 1);
	for (;;) {
		bad = NULL;
		if (stat(buf, &st) == -1)
			bad = strerror(errno);
		else if (!above)
			bad = check_type(&st, file);
		if (bad == NULL &&
		    check_stat(&st, above, self, sub, sizeof(sub)) == -1)
			bad = sub;
		if (bad != NULL) {
			if (file && !above)
				snprintf(why, len, "%s", bad);
			else
				snprintf(why, len, "directory %s: %s", buf,
				    bad);
			return -1;
		}
		if (strcmp(buf, "/") == 0)
			return 0;
		parent_of(buf);
		above = 1;
	}
}

/*
 * The path as written, then the path it resolves to (realpath): a link
 * in a trusted directory may point into one that is not.
 */
static int
check_both(const char *path, int file, uid_t self, char *why, size_t len)
{
	char real[PATH_MAX], sub[WHY_MAX];

	if (check_chain(path, file, self, why, len) == -1)
		return -1;
	if (realpath(path, real) == NULL) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (strcmp(real, path) == 0)
		return 0;
	if (check_chain(real, file, self, sub, sizeof(sub)) == -1) {
		snprintf(why, len, "resolves to %s: %s", real, sub);
		return -1;
	}
	return 0;
}

/* path made absolute (csignd -f may name a relative config) into dst. */
static int
absolute(const char *path, char *dst, size_t len, char *why, size_t whylen)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(dst, len, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(why, whylen, "getcwd: %s", strerror(errno));
		return -1;
	} else
		n = snprintf(dst, len, "%s/%s",
		    strcmp(cwd, "/") == 0 ? "" : cwd, path);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, whylen, "path too long");
		return -1;
	}
	return 0;
}

int
filetrust_path(const char *path, enum filetrust_kind kind, uid_t self,
    char *why, size_t whylen)
{
	char abs[PATH_MAX];

	if (absolute(path, abs, sizeof(abs), why, whylen) == -1)
		return -1;
	if (kind == FT_FILE)
		return check_both(abs, 1, self, why, whylen);
	parent_of(abs);
	return check_both(abs, 0, self, why, whylen);
}

/* "CONFIG:LINE: Keyword PATH: why: refusing" (no LINE when it is 0). */
static int
refuse(const struct config *cfg, int line, const char *kw, const char *path,
    const char *why, char *err, size_t errlen)
{
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s %s: %s: refusing", cfg->path,
		    line, kw, path, why);
	else
		snprintf(err, errlen, "%s: %s %s: %s: refusing", cfg->path, kw,
		    path, why);
	return -1;
}

/*
 * The mode csign's tmpfiles.d snippet gives the directory of a keyword:
 * the socket's and the PID file's are open to all, the audit log's to
 * root's group, the state's to root.
 */
static const char *
dir_mode(const char *kw)
{
	if (strcmp(kw, "AuditLog") == 0)
		return "0750";
	if (strcmp(kw, "StateFile") == 0)
		return "0700";
	return "0755";
}

/*
 * The directory that holds path does not exist: say how to make it
 * after the refusal in err ("systemd-tmpfiles --create" for the
 * directories csign's tmpfiles.d snippet makes).
 */
static void
missing_dir_hint(const char *kw, const char *path, char *err, size_t errlen)
{
	static const char *const tmpfiles[] = { "/run/csign", "/var/log/csign",
		"/var/lib/csign" };
	char dir[PATH_MAX];
	const char *via = "";
	struct stat st;
	size_t n = strlen(err);

	if (path[0] != '/' || strlen(path) >= sizeof(dir))
		return;
	memcpy(dir, path, strlen(path) + 1);
	parent_of(dir);
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return;
	for (size_t i = 0; i < sizeof(tmpfiles) / sizeof(tmpfiles[0]); i++)
		if (strcmp(dir, tmpfiles[i]) == 0)
			via = "systemd-tmpfiles --create, or ";
	if (n < errlen)
		snprintf(err + n, errlen - n,
		    "; create it with %smkdir -m %s "
		    "%s",
		    via, dir_mode(kw), dir);
}

/* Check one file or directory a keyword names; NULL paths are unset. */
static int
check_kw(const struct config *cfg, int line, const char *kw, const char *path,
    enum filetrust_kind kind, uid_t self, char *err, size_t errlen)
{
	char why[WHY_MAX];

	if (path == NULL ||
	    filetrust_path(path, kind, self, why, sizeof(why)) == 0)
		return 0;
	refuse(cfg, line, kw, path, why, err, errlen);
	if (kind == FT_DIR_OF)
		missing_dir_hint(kw, path, err, errlen);
	return -1;
}

/* Module and PinFile of every token (a credential: PIN is systemd's). */
static int
check_tokens(const struct config *cfg, uid_t self, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->ntokens; i++) {
		const struct cfg_token *t = &cfg->tokens[i];
		const char *pin = t->pinfile;

		if (pin != NULL && strncmp(pin, "credential:", 11) == 0)
			pin = NULL;
		if (check_kw(cfg, t->module_line, "Module", t->module, FT_FILE,
			self, err, errlen) == -1 ||
		    check_kw(cfg, t->pinfile_line, "PinFile", pin, FT_FILE,
			self, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Certificate, Chain and TimestampCA files of every key. */
static int
check_keys(const struct config *cfg, uid_t self, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const struct cfg_key *k = &cfg->keys[i];

		if (check_kw(cfg, k->cert_line, "Certificate", k->certfile,
			FT_FILE, self, err, errlen) == -1 ||
		    check_kw(cfg, k->chain_line, "Chain", k->chainfile, FT_FILE,
			self, err, errlen) == -1 ||
		    check_kw(cfg, k->tsa_ca_line, "TimestampCA", k->tsa_ca,
			FT_FILE, self, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* 1 if the daemon will write its StateFile: AdminGroup or an Approval. */
static int
statefile_needed(const struct config *cfg)
{
	if (cfg->has_admin_group)
		return 1;
	for (size_t i = 0; i < cfg->nkeys; i++)
		if (cfg->keys[i].has_approval)
			return 1;
	return 0;
}

/*
 * The StateFile's directory, which must exist and be writable when
 * "admin disable-key" or an approval will write there: finding out only
 * during the incident that disable-key exists for would be too late.
 * Unused, a missing directory is no error (the StateFile is then empty).
 */
static int
check_statefile(const struct config *cfg, uid_t self, char *err, size_t errlen)
{
	char dir[PATH_MAX], why[WHY_MAX];
	const char *path = cfg->state_file;
	int line = cfg->state_file_line;
	struct stat st;

	if (strlen(path) >= sizeof(dir))
		return refuse(cfg, line, "StateFile", path, "path too long",
		    err, errlen);
	memcpy(dir, path, strlen(path) + 1);
	parent_of(dir);
	if (!statefile_needed(cfg))
		return stat(dir, &st) == -1
		    ? 0
		    : check_kw(cfg, line, "StateFile", path, FT_DIR_OF, self,
			  err, errlen);
	if (check_kw(cfg, line, "StateFile", path, FT_DIR_OF, self, err,
		errlen) == -1)
		return -1;
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == -1) {
		snprintf(why, sizeof(why),
		    "directory %.256s: not writable (%s), "
		    "and AdminGroup or Approval must write there",
		    dir, strerror(errno));
		return refuse(cfg, line, "StateFile", path, why, err, errlen);
	}
	return 0;
}

int
filetrust_config(const struct config *cfg, uid_t self, char *err, size_t errlen)
{
	char why[WHY_MAX];

	if (filetrust_path(cfg->path, FT_FILE, self, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s: refusing", cfg->path, why);
		return -1;
	}
	if (check_kw(cfg, cfg->sandbox_program_line, "SandboxProgram",
		cfg->sandbox_program, FT_FILE, self, err, errlen) == -1 ||
	    check_kw(cfg, cfg->listen_line, "Listen", cfg->listen, FT_DIR_OF,
		self, err, errlen) == -1 ||
	    (cfg->pesign_listen != NULL &&
		check_kw(cfg, cfg->pesign_listen_line, "PesignListen",
		    cfg->pesign_listen, FT_DIR_OF, self, err, errlen) == -1) ||
	    check_kw(cfg, cfg->audit_log_line, "AuditLog", cfg->audit_log,
		FT_DIR_OF, self, err, errlen) == -1 ||
	    check_kw(cfg, cfg->pid_file_line, "PidFile", cfg->pid_file,
		FT_DIR_OF, self, err, errlen) == -1 ||
	    check_statefile(cfg, self, err, errlen) == -1)
		return -1;
	if (check_tokens(cfg, self, err, errlen) == -1)
		return -1;
	return check_keys(cfg, self, err, errlen);
}
