/*
 * csign-client: the options of one run, the failure every command reports,
 * and the commands themselves (see csign-client(1)).
 *
 * Everything libclient.a exports is named cl_*: the unit tests link the
 * archives of every program, and a shared name would bind silently to
 * another program's function.
 *
 * A command returns the exit code of a successful run (0, or 4 for a
 * status report with a token that is not ready), or -1 with a filled
 * struct failure; main() prints the failure and exits with its code.
 */
#ifndef CSIGN_CLIENT_H
#define CSIGN_CLIENT_H

#include <sys/types.h>

#define CLIENT_PROG "csign-client"
#define DEFAULT_SOCKET "/run/csign/csignd.sock"
#define DEFAULT_TIMEOUT 120 /* seconds to wait for each reply */
#define TIMEOUT_MAX 86400
#define WAIT_TIMEOUT_MAX 691200 /* 8 days: past the longest Approval */

enum cmd_id {
	CMD_NONE = 0,
	CMD_SIGN,
	CMD_KEYS,
	CMD_CERT,
	CMD_WHOAMI,
	CMD_STATUS,
	CMD_ADMIN,
	CMD_PENDING,
	CMD_APPROVE,
	CMD_DENY,
	CMD_WAIT,
	CMD_COUNT
};

/* Everything the command line asked for; filled by cl_args_parse(). */
struct options {
	const char *socket; /* -S, or NULL: see cl_socket_path() */
	int json;	    /* --json */
	int verbose;	    /* -v */
	int timeout;	    /* --timeout, seconds */
	enum cmd_id cmd;
	const char *key;    /* sign -k, cert KEY */
	const char *format; /* sign -f */
	const char *digest; /* sign -d, or NULL */
	const char *out;    /* -o, "-" for stdout, or NULL */
	int pem;	    /* sign --pem */
	int armor;	    /* sign --armor (openpgp) */
	int openpgp;	    /* cert --openpgp */
	int replace;	    /* sign --replace */
	int append;	    /* sign --append */
	int atomic;	    /* sign --atomic: no module signed in place */
	int keyid;	    /* sign --keyid */
	int timestamp;	    /* sign --timestamp */
	unsigned admin_op;  /* admin: ADMIN_DISABLE_KEY or _ENABLE_KEY */
	const char *reason; /* admin, approve, deny --reason */
	unsigned long long request; /* approve, deny, wait: the id */
	int nowait;		    /* sign --no-wait */
	int wait_timeout;	    /* sign, wait --wait-timeout; 0: until the
				   request expires */
	char **files;		    /* sign operands */
	int nfiles;
	int jobs;	 /* sign --jobs, 0 if not given */
	mode_t out_mode; /* mode of new output files, umask applied */
};

/* Why a run failed: one line on stderr, one JSON object with --json. */
struct failure {
	int code;	    /* exit code */
	const char *status; /* status name for --json */
	const char *file;   /* the artifact concerned, or NULL */
	char msg[1280];
	int own_timeout; /* this client's reply timeout ran out */
};

/* Fill fl with an exit code, a status name and a message. */
void cl_fail_set(struct failure *fl, int code, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct conn;

int cl_cmd_sign(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_keys(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_cert(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_whoami(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_status(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_admin(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_pending(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_decide(struct conn *c, const struct options *o, struct failure *fl);
int cl_cmd_wait(struct conn *c, const struct options *o, struct failure *fl);

#endif
