/* args.c: csign-client's command line (see args.h, csign-client(1)). */
#include "client/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/batchq.h"
#include "proto/frame.h"
#include "proto/names.h"

/*
 * Long options carry codes apart from every short option letter, so that
 * an error can tell "-S" from "--socket": OPT_LONG marks the long spelling
 * of a short option, and the long-only options sit above 0x100.
 */
#define OPT_LONG 0x1000
enum {
	OPT_JSON = 0x100,
	OPT_TIMEOUT,
	OPT_VERSION,
	OPT_PEM,
	OPT_REPLACE,
	OPT_APPEND,
	OPT_KEYID,
	OPT_REASON,
	OPT_TIMESTAMP,
	OPT_NOWAIT,
	OPT_WAIT_TIMEOUT,
	OPT_ARMOR,
	OPT_OPENPGP,
	OPT_JOBS,
	OPT_ATOMIC
};

#define GLOBAL_SHORT ":hvS:"
#define GLOBAL_LONG \
	{ "help", no_argument, NULL, OPT_LONG | 'h' }, \
	    { "json", no_argument, NULL, OPT_JSON }, \
	    { "socket", required_argument, NULL, OPT_LONG | 'S' }, \
	    { "timeout", required_argument, NULL, OPT_TIMEOUT }, \
	    { "verbose", no_argument, NULL, OPT_LONG | 'v' }, \
	{ \
		"version", no_argument, NULL, OPT_VERSION \
	}
#define LONG_END \
	{ \
		NULL, 0, NULL, 0 \
	}

static const struct option global_long[] = { GLOBAL_LONG, LONG_END };
static const struct option sign_long[] = { GLOBAL_LONG,
	{ "key", required_argument, NULL, OPT_LONG | 'k' },
	{ "format", required_argument, NULL, OPT_LONG | 'f' },
	{ "digest", required_argument, NULL, OPT_LONG | 'd' },
	{ "output", required_argument, NULL, OPT_LONG | 'o' },
	{ "pem", no_argument, NULL, OPT_PEM },
	{ "armor", no_argument, NULL, OPT_ARMOR },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "append", no_argument, NULL, OPT_APPEND },
	{ "atomic", no_argument, NULL, OPT_ATOMIC },
	{ "keyid", no_argument, NULL, OPT_KEYID },
	{ "timestamp", no_argument, NULL, OPT_TIMESTAMP },
	{ "no-wait", no_argument, NULL, OPT_NOWAIT },
	{ "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
	{ "jobs", required_argument, NULL, OPT_JOBS }, LONG_END };
static const struct option wait_long[] = { GLOBAL_LONG,
	{ "output", required_argument, NULL, OPT_LONG | 'o' },
	{ "wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT },
	LONG_END };
static const struct option admin_long[] = { GLOBAL_LONG,
	{ "reason", required_argument, NULL, OPT_REASON }, LONG_END };
static const struct option cert_long[] = { GLOBAL_LONG,
	{ "output", required_argument, NULL, OPT_LONG | 'o' },
	{ "openpgp", no_argument, NULL, OPT_OPENPGP }, LONG_END };

typedef enum parse_result (
    *operand_fn)(struct options *, const char *, int, char **, char *, size_t);

static enum parse_result sign_operands(struct options *, const char *, int,
    char **, char *, size_t);
static enum parse_result cert_operands(struct options *, const char *, int,
    char **, char *, size_t);
static enum parse_result no_operands(struct options *, const char *, int,
    char **, char *, size_t);
static enum parse_result admin_operands(struct options *, const char *, int,
    char **, char *, size_t);
static enum parse_result id_operand(struct options *, const char *, int,
    char **, char *, size_t);

/* The commands: their options and the check of their operands. */
static const struct cmd_spec {
	const char *name;
	enum cmd_id id;
	const char *shortopts;
	const struct option *longopts;
	operand_fn operands;
} cmd_specs[] = {
	{ "sign", CMD_SIGN, GLOBAL_SHORT "k:f:d:o:", sign_long, sign_operands },
	{ "keys", CMD_KEYS, GLOBAL_SHORT, global_long, no_operands },
	{ "cert", CMD_CERT, GLOBAL_SHORT "o:", cert_long, cert_operands },
	{ "whoami", CMD_WHOAMI, GLOBAL_SHORT, global_long, no_operands },
	{ "status", CMD_STATUS, GLOBAL_SHORT, global_long, no_operands },
	{ "admin", CMD_ADMIN, GLOBAL_SHORT, admin_long, admin_operands },
	{ "pending", CMD_PENDING, GLOBAL_SHORT, global_long, no_operands },
	{ "approve", CMD_APPROVE, GLOBAL_SHORT, admin_long, id_operand },
	{ "deny", CMD_DENY, GLOBAL_SHORT, admin_long, id_operand },
	{ "wait", CMD_WAIT, GLOBAL_SHORT "o:", wait_long, id_operand },
};

static const char usage_text[] =
    "usage: csign-client [-v] [--json] [-S socket] [--timeout sec] command\n"
    "                    [argument ...]\n"
    "       csign-client sign -k key -f format [-d digest] [-o out] [--pem]\n"
    "                    [--armor] [--replace | --append] [--keyid]\n"
    "                    [--timestamp] [--atomic]\n"
    "                    [--no-wait | --wait-timeout sec] [--jobs n] file ...\n"
    "       csign-client keys\n"
    "       csign-client cert [-o out] [--openpgp] key\n"
    "       csign-client whoami\n"
    "       csign-client status\n"
    "       csign-client admin disable-key key --reason text\n"
    "       csign-client admin enable-key key [--reason text]\n"
    "       csign-client pending\n"
    "       csign-client approve id [--reason text]\n"
    "       csign-client deny id --reason text\n"
    "       csign-client wait [-o out] [--wait-timeout sec] id\n"
    "       csign-client -h | --help | --version\n";

void
cl_usage(FILE *fp)
{
	fputs(usage_text, fp);
}

const char *
cl_socket_path(const char *opt, const char *env)
{
	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	return DEFAULT_SOCKET;
}

/* Write one error line into err and return PARSE_ERROR. */
static enum parse_result __attribute__((format(printf, 3, 4)))
parse_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return PARSE_ERROR;
}

/*
 * Describe the option at which getopt_long() failed.  A short option is
 * named by optopt; a long one (optopt 0 or a long-only code) is the
 * argument getopt has just stepped over, shown without any "=value".
 */
static enum parse_result
bad_option(int ch, char **argv, char *err, size_t errlen)
{
	const char *what = ch == ':' ? "needs an argument" : "is not known";
	const char *arg;
	size_t n;

	if (optopt > ' ' && optopt < 0x7f)
		return parse_fail(err, errlen, "option -%c %s", optopt, what);
	arg = argv[optind - 1];
	n = strcspn(arg, "=");
	if (n > 64)
		n = 64;
	return parse_fail(err, errlen, "option %.*s %s", (int)n, arg, what);
}

/* Parse a --timeout argument: whole seconds from 1 to TIMEOUT_MAX. */
static enum parse_result
parse_timeout(const char *arg, int *sec, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > TIMEOUT_MAX)
		return parse_fail(err, errlen,
		    "invalid timeout '%s': expected 1 to %d seconds", arg,
		    TIMEOUT_MAX);
	*sec = (int)v;
	return PARSE_RUN;
}

/* --wait-timeout: whole seconds from 1 to WAIT_TIMEOUT_MAX. */
static enum parse_result
parse_wait_timeout(const char *arg, int *sec, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > WAIT_TIMEOUT_MAX)
		return parse_fail(err, errlen,
		    "invalid wait timeout '%s': expected 1 to %d seconds", arg,
		    WAIT_TIMEOUT_MAX);
	*sec = (int)v;
	return PARSE_RUN;
}

/* --jobs: connections for a batch, 1 to BATCH_JOBS_MAX. */
static enum parse_result
parse_jobs(const char *arg, int *jobs, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 1 ||
	    v > BATCH_JOBS_MAX)
		return parse_fail(err, errlen,
		    "invalid jobs '%s': expected 1 to %d", arg, BATCH_JOBS_MAX);
	*jobs = (int)v;
	return PARSE_RUN;
}

/* Apply one option that getopt_long() returned. */
static enum parse_result
apply_option(struct options *o, int ch, const char *arg, char *err,
    size_t errlen)
{
	switch (ch) {
	case 'h':
		return PARSE_HELP;
	case OPT_VERSION:
		return PARSE_VERSION;
	case 'v':
		o->verbose = 1;
		return PARSE_RUN;
	case OPT_JSON:
		o->json = 1;
		return PARSE_RUN;
	case 'S':
		if (arg[0] == '\0')
			return parse_fail(err, errlen, "empty socket path");
		o->socket = arg;
		return PARSE_RUN;
	case OPT_TIMEOUT:
		return parse_timeout(arg, &o->timeout, err, errlen);
	case 'k':
		o->key = arg;
		return PARSE_RUN;
	case 'f':
		o->format = arg;
		return PARSE_RUN;
	case 'd':
		o->digest = arg;
		return PARSE_RUN;
	case 'o':
		o->out = arg;
		return PARSE_RUN;
	case OPT_PEM:
		o->pem = 1;
		return PARSE_RUN;
	case OPT_ARMOR:
		o->armor = 1;
		return PARSE_RUN;
	case OPT_OPENPGP:
		o->openpgp = 1;
		return PARSE_RUN;
	case OPT_REPLACE:
		o->replace = 1;
		return PARSE_RUN;
	case OPT_APPEND:
		o->append = 1;
		return PARSE_RUN;
	case OPT_ATOMIC:
		o->atomic = 1;
		return PARSE_RUN;
	case OPT_KEYID:
		o->keyid = 1;
		return PARSE_RUN;
	case OPT_TIMESTAMP:
		o->timestamp = 1;
		return PARSE_RUN;
	case OPT_REASON:
		o->reason = arg;
		return PARSE_RUN;
	case OPT_NOWAIT:
		o->nowait = 1;
		return PARSE_RUN;
	case OPT_WAIT_TIMEOUT:
		return parse_wait_timeout(arg, &o->wait_timeout, err, errlen);
	case OPT_JOBS:
		return parse_jobs(arg, &o->jobs, err, errlen);
	}
	return parse_fail(err, errlen, "unexpected option");
}

/*
 * Run getopt_long() over argv (argv[0] is the program or the command
 * name) from the start; optind is left at the first operand.
 */
static enum parse_result
parse_options(int argc, char **argv, const char *shortopts,
    const struct option *longopts, struct options *o, char *err, size_t errlen)
{
	enum parse_result r;
	int ch;

	optind = 0; /* GNU: reinitialise, argv may be a new vector */
	opterr = 0;
	while (
	    (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':')
			return bad_option(ch, argv, err, errlen);
		r = apply_option(o, ch & ~OPT_LONG, optarg, err, errlen);
		if (r != PARSE_RUN)
			return r;
	}
	return PARSE_RUN;
}

/* Check a key name from the command line. */
static enum parse_result
check_key(const char *cmd, const char *key, char *err, size_t errlen)
{
	if (key[0] == '\0')
		return parse_fail(err, errlen, "%s: empty key name", cmd);
	if (strlen(key) > KEY_NAME_MAX)
		return parse_fail(err, errlen,
		    "%s: key name longer than %d bytes", cmd, KEY_NAME_MAX);
	return PARSE_RUN;
}

/* Check -k, -f and -d of sign against the names every program shares. */
static enum parse_result
check_sign_names(const struct options *o, char *err, size_t errlen)
{
	char names[128];

	if (o->key == NULL)
		return parse_fail(err, errlen, "sign: missing -k key");
	if (check_key("sign", o->key, err, errlen) != PARSE_RUN)
		return PARSE_ERROR;
	if (o->format == NULL)
		return parse_fail(err, errlen, "sign: missing -f format");
	if (format_from_name(o->format) == -1) {
		formats_to_str((1u << FMT_COUNT) - 1, names, sizeof(names));
		return parse_fail(err, errlen,
		    "sign: unknown format '%s' (one of: %s)", o->format, names);
	}
	if (o->digest != NULL && digest_from_name(o->digest) == -1) {
		digests_to_str((1u << DIG_COUNT) - 1, names, sizeof(names));
		return parse_fail(err, errlen,
		    "sign: unknown digest '%s' (one of: %s)", o->digest, names);
	}
	return PARSE_RUN;
}

/*
 * The files of sign: at least one, standard input at most once, -o only
 * with one file, and --json never sharing stdout with a signature.
 */
static enum parse_result
sign_operands(struct options *o, const char *cmd, int argc, char **argv,
    char *err, size_t errlen)
{
	int nstdin = 0;

	if (check_sign_names(o, err, errlen) != PARSE_RUN)
		return PARSE_ERROR;
	if (argc == 0)
		return parse_fail(err, errlen, "%s: no file to sign", cmd);
	if (o->out != NULL && o->out[0] == '\0')
		return parse_fail(err, errlen, "%s: empty output name", cmd);
	if (o->out != NULL && argc > 1)
		return parse_fail(err, errlen,
		    "%s: -o is allowed with one file only", cmd);
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '\0')
			return parse_fail(err, errlen, "%s: empty file name",
			    cmd);
		if (strcmp(argv[i], "-") == 0)
			nstdin++;
	}
	if (nstdin > 1)
		return parse_fail(err, errlen,
		    "%s: standard input given more than once", cmd);
	if (o->replace && o->append)
		return parse_fail(err, errlen,
		    "%s: --replace and --append exclude each other", cmd);
	if (o->json &&
	    ((o->out != NULL && strcmp(o->out, "-") == 0) ||
		(o->out == NULL && nstdin > 0)))
		return parse_fail(err, errlen,
		    "%s: --json needs the signature in a file (use -o)", cmd);
	if (o->nowait && (argc > 1 || o->wait_timeout != 0))
		return parse_fail(err, errlen,
		    "%s: --no-wait takes one file "
		    "and no --wait-timeout",
		    cmd);
	o->files = argv;
	o->nfiles = argc;
	return PARSE_RUN;
}

/* The one operand of cert: the key. */
static enum parse_result
cert_operands(struct options *o, const char *cmd, int argc, char **argv,
    char *err, size_t errlen)
{
	if (argc != 1)
		return parse_fail(err, errlen, "%s: expected one key name",
		    cmd);
	if (o->out != NULL && o->out[0] == '\0')
		return parse_fail(err, errlen, "%s: empty output name", cmd);
	o->key = argv[0];
	return check_key(cmd, o->key, err, errlen);
}

/* admin disable-key KEY --reason TEXT, admin enable-key KEY. */
static enum parse_result
admin_operands(struct options *o, const char *cmd, int argc, char **argv,
    char *err, size_t errlen)
{
	if (argc != 2)
		return parse_fail(err, errlen,
		    "%s: expected disable-key or "
		    "enable-key and a key name",
		    cmd);
	if (strcmp(argv[0], "disable-key") == 0)
		o->admin_op = ADMIN_DISABLE_KEY;
	else if (strcmp(argv[0], "enable-key") == 0)
		o->admin_op = ADMIN_ENABLE_KEY;
	else
		return parse_fail(err, errlen, "%s: unknown operation '%s'",
		    cmd, argv[0]);
	if (o->admin_op == ADMIN_DISABLE_KEY &&
	    (o->reason == NULL || o->reason[0] == '\0'))
		return parse_fail(err, errlen, "%s: disable-key needs --reason",
		    cmd);
	if (o->reason != NULL && strlen(o->reason) > MESSAGE_MAX)
		return parse_fail(err, errlen,
		    "%s: reason longer than %d "
		    "bytes",
		    cmd, MESSAGE_MAX);
	o->key = argv[1];
	return check_key(cmd, o->key, err, errlen);
}

/*
 * approve ID, deny ID --reason TEXT, wait ID: a request id, a decimal
 * number from 1.
 */
static enum parse_result
id_operand(struct options *o, const char *cmd, int argc, char **argv, char *err,
    size_t errlen)
{
	char *end;

	if (argc != 1)
		return parse_fail(err, errlen, "%s: expected one request id",
		    cmd);
	errno = 0;
	o->request = strtoull(argv[0], &end, 10);
	if (argv[0][0] < '0' || argv[0][0] > '9' || *end != '\0' ||
	    errno != 0 || o->request == 0)
		return parse_fail(err, errlen, "%s: bad request id '%s'", cmd,
		    argv[0]);
	if (o->cmd == CMD_DENY && (o->reason == NULL || o->reason[0] == '\0'))
		return parse_fail(err, errlen, "%s: needs --reason", cmd);
	if (o->reason != NULL && strlen(o->reason) > MESSAGE_MAX)
		return parse_fail(err, errlen,
		    "%s: reason longer than %d "
		    "bytes",
		    cmd, MESSAGE_MAX);
	if (o->out != NULL && o->out[0] == '\0')
		return parse_fail(err, errlen, "%s: empty output name", cmd);
	return PARSE_RUN;
}

/* Commands without operands. */
static enum parse_result
no_operands(struct options *o, const char *cmd, int argc, char **argv,
    char *err, size_t errlen)
{
	(void)o;
	if (argc > 0)
		return parse_fail(err, errlen, "%s: unexpected argument '%s'",
		    cmd, argv[0]);
	return PARSE_RUN;
}

/* The spec of the command called name, or NULL. */
static const struct cmd_spec *
cmd_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(cmd_specs) / sizeof(cmd_specs[0]); i++)
		if (strcmp(cmd_specs[i].name, name) == 0)
			return &cmd_specs[i];
	return NULL;
}

enum parse_result
cl_args_parse(int argc, char **argv, struct options *o, char *err,
    size_t errlen)
{
	const struct cmd_spec *cs;
	enum parse_result r;

	memset(o, 0, sizeof(*o));
	o->timeout = DEFAULT_TIMEOUT;
	o->out_mode = 0644;
	err[0] = '\0';
	/* Global options stop at the command name ("+"). */
	r = parse_options(argc, argv, "+" GLOBAL_SHORT, global_long, o, err,
	    errlen);
	if (r != PARSE_RUN)
		return r;
	if (optind >= argc)
		return parse_fail(err, errlen, "missing command");
	if ((cs = cmd_lookup(argv[optind])) == NULL)
		return parse_fail(err, errlen, "unknown command '%s'",
		    argv[optind]);
	o->cmd = cs->id;
	argc -= optind;
	argv += optind;
	r = parse_options(argc, argv, cs->shortopts, cs->longopts, o, err,
	    errlen);
	if (r != PARSE_RUN)
		return r;
	return cs->operands(o, cs->name, argc - optind, argv + optind, err,
	    errlen);
}
