/*
 * csignd: the privileged monitor of csign.
 *
 * Start-up order matters: config, then the audit log (nothing may be
 * signed unaudited), then the tokens (PIN read and wiped), then the
 * process is made undumpable, then the socket, the signing threads and the
 * first sandboxed children; only then does the loop serve anyone, and
 * only then is systemd told that the service is ready.
 *
 * Like sshd, csignd fails where the admin is looking: a detached start
 * forks first (PKCS#11 is not fork-safe, so the token is opened by the
 * process that keeps it), but the parent waits until the daemon serves
 * or has failed, and exits 0 or 1 accordingly; until then, errors and
 * warnings also go to the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/csignd.h"
#include "records/confdump.h"
#include "records/filetrust.h"
#include "broker/pidfile.h"
#include "broker/pool.h"
#include "broker/systemd.h"
#include "common/log.h"
#include "monitor/held.h"
#include "monitor/monitor.h"
#include "monitor/timestamp.h"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: csignd [-dnTtv] [-f config]\n");
	exit(2);
}

/*
 * No core dumps and no ptrace by other users: the process holds a token
 * session (and, with a software token, key material in the module).
 */
static void
harden_self(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
}

/* Resolve SandboxUser; without root, say loudly that uids are shared. */
static void
sandbox_identity(struct csignd *d)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		log_warnx(
		    "WARNING: not started as root: session children run "
		    "as uid %u like the monitor (no uid separation); seccomp "
		    "and no_new_privs still apply",
		    (unsigned)geteuid());
		d->separate_uids = 0;
		return;
	}
	if ((pw = getpwnam(d->mon.cfg->sandbox_user)) == NULL)
		fatalx("SandboxUser %s: no such user",
		    d->mon.cfg->sandbox_user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("SandboxUser %s: must not be root",
		    d->mon.cfg->sandbox_user);
	d->sandbox_uid = pw->pw_uid;
	d->sandbox_gid = pw->pw_gid;
	d->separate_uids = 1;
}

/*
 * Open the sandbox program once and check the file opened: children are
 * run from this descriptor (fexecve), so a file put at the path later is
 * never run, and a reload cannot change it either.
 */
static void
sandbox_program(struct csignd *d)
{
	struct stat st;

	if ((d->sandbox_program = strdup(d->mon.cfg->sandbox_program)) == NULL)
		fatal("strdup");
	if (pool_open_program(d) == -1 || fstat(d->sandbox_fd, &st) == -1)
		fatal("SandboxProgram %s", d->sandbox_program);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		fatalx("SandboxProgram %s: not an executable file",
		    d->sandbox_program);
	if (d->separate_uids && (st.st_uid != 0 || (st.st_mode & 022)))
		fatalx("SandboxProgram %s: must be owned by root and not "
		       "writable by group or others",
		    d->sandbox_program);
}

/*
 * Leave the terminal, first half: fork and start a new session.  The
 * parent waits for one byte on a pipe from the child: 'R' once it serves
 * (exit 0), nothing if it failed (its error is on stderr: exit 1).  The
 * child gets the pipe's write end.
 */
static int
detach_begin(void)
{
	int p[2];
	ssize_t n;
	char c = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		close(p[0]);
		if (setsid() == -1)
			fatal("setsid");
		if (chdir("/") == -1)
			fatal("chdir");
		return p[1];
	default:
		break;
	}
	close(p[1]);
	while ((n = read(p[0], &c, 1)) == -1 && errno == EINTR)
		;
	_exit(n == 1 && c == 'R' ? 0 : 1);
}

/*
 * Second half, once the daemon serves: from now on only syslog hears
 * it; stdio goes to /dev/null (so that a caller reading our output sees
 * its end), then the parent is told to exit 0.
 */
static void
detach_end(int ready)
{
	int fd;

	log_tee_stderr(0);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(ready, "R", 1) != 1)
		log_warn("cannot tell the starting process that csignd serves");
	close(ready);
}

/*
 * What systemd hands over, taken before detach_begin() forks (LISTEN_PID
 * names this process) and before anything is exec'd: the variables are
 * removed from the environment and the socket made close-on-exec.
 */
static void
systemd_takeover(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];

	if (systemd_notify_init(err, sizeof(err)) == -1)
		log_warnx("%s; not notifying systemd", err);
	if ((d->listen_fd = systemd_listen_fd(err, sizeof(err))) == -2)
		fatalx("%s", err);
	d->activated = d->listen_fd >= 0;
}

/* Tell systemd (Type=notify) that clients are being served. */
static void
notify_ready(const struct csignd *d)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving %zu keys on %s",
	    d->mon.cfg->nkeys, d->listen_name);
	if (systemd_notify(msg) == -1)
		log_warn("sd_notify(READY=1)");
}

/* Open the audit log and the tokens, and everything the loop needs. */
static void
startup(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];

	pool_monitor_init(d);
	/* A second daemon on a live socket: refused before it opens anything. */
	if (!d->activated &&
	    server_listen_check(d->mon.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (server_pesign_check(d->mon.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	sandbox_identity(d);
	sandbox_program(d);
	server_fd_limit(d);
	if ((d->mon.keystate = keystate_load(d->mon.cfg->state_file, err,
		 sizeof(err))) == NULL)
		fatalx("%s", err);
	for (size_t i = 0; i < d->mon.keystate->n; i++)
		log_warnx("key %s is disabled: %s", d->mon.keystate->e[i].key,
		    d->mon.keystate->e[i].reason);
	if ((d->mon.audit = audit_open(d->mon.cfg->audit_log, err,
		 sizeof(err))) == NULL)
		fatalx("%s", err);
	if (held_open(&d->mon, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (ts_anchors_check(d->mon.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((d->mon.tokens = tokens_open(d->mon.cfg, err, sizeof(err))) ==
	    NULL) {
		server_audit_event(d, "error", "error", err);
		fatalx("%s", err);
	}
	harden_self();
	/*
	 * The PID file before the socket: its lock keeps two daemons given
	 * the same one from both removing a dead socket and binding anew.
	 */
	if (d->mon.cfg->pid_file != NULL &&
	    pidfile_write(d->mon.cfg->pid_file, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (server_listen(d, err, sizeof(err)) == -1 ||
	    server_pesign_listen(d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d->mon.signer =
	    signer_start(d->mon.cfg->sign_workers, monitor_sign_done, &d->mon);
	signer_on_signed(d->mon.signer, monitor_sign_signed);
	signer_configure(d->mon.signer, d->mon.tokens,
	    d->mon.cfg->token_timeout, d->mon.cfg->token_probe);
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	d->mon.base = d->base;
	d->mon.lookup = (struct tsa_lookup){ .program = d->sandbox_program,
		.separate = d->separate_uids,
		.uid = d->sandbox_uid,
		.gid = d->sandbox_gid };
	server_start_events(d);
	d->mon.started = time(NULL);
	pool_fill(d);
}

/* Release everything (so leak checkers see a clean exit). */
static void
shutdown_all(struct csignd *d)
{
	struct child *c;

	pool_kill_all(d, 0);
	signer_stop(d->mon.signer);
	audit_dispatch(d->mon.audit);
	server_audit_event(d, "stop", "ok", NULL);
	held_close(&d->mon);
	audit_close(d->mon.audit);
	while ((c = TAILQ_FIRST(&d->children)) != NULL) {
		TAILQ_REMOVE(&d->children, c, entry);
		event_free(c->ev);
		event_free(c->timer);
		close(c->ms.fd);
		free(c);
	}
	server_free_waiting(d);
	for (size_t i = 0; i < sizeof(d->ev_signals) / sizeof(d->ev_signals[0]);
	     i++)
		if (d->ev_signals[i] != NULL)
			event_free(d->ev_signals[i]);
	event_free(d->ev_listen);
	if (d->ev_pesign != NULL)
		event_free(d->ev_pesign);
	event_free(d->ev_signer);
	event_free(d->ev_audit);
	event_free(d->ev_tick);
	event_free(d->ev_resume);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	/* Every event is freed before the base it belongs to. */
	pool_timers_free(d);
	event_base_free(d->base);
	server_unlink_socket(d);
	server_pesign_unlink(d);
	pidfile_remove();
	free(d->listen_name);
	pool_close_program(d);
	free(d->sandbox_program);
	tokens_close(d->mon.tokens);
	keystate_free(d->mon.keystate);
	monitor_free(&d->mon);
}

/* What the command line asks for besides running. */
enum run_mode {
	RUN_DAEMON,
	RUN_PARSE,     /* -n: the file and the files it names, no token */
	RUN_PREFLIGHT, /* -t: everything a start checks, then exit */
	RUN_DUMP       /* -T: print the effective configuration */
};

/* The process that removes its socket and PID file at exit (fatal too). */
static struct csignd *exit_owner;
static pid_t exit_pid;

/* atexit: a start that fails after the bind leaves no socket behind. */
static void
cleanup_at_exit(void)
{
	if (exit_owner == NULL || getpid() != exit_pid)
		return;
	server_unlink_socket(exit_owner);
	server_pesign_unlink(exit_owner);
	pidfile_remove();
}

/*
 * -t: what a start opens and checks, short of serving: the sandbox user
 * and program, the StateFile, the TimestampCA files, every module, token
 * login, key and certificate (a test signature each), and whether a
 * daemon already answers on Listen (not an error here: -t is run beside
 * the running daemon before a reload).  Errors are the start's, word for
 * word; exit status 1.
 */
static int
preflight(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	struct keystate *ks;
	struct tokens *t;
	size_t nkeys = d->mon.cfg->nkeys, ntok = d->mon.cfg->ntokens;
	long pid;

	sandbox_identity(d);
	sandbox_program(d);
	pool_close_program(d);
	free(d->sandbox_program);
	if ((ks = keystate_load(d->mon.cfg->state_file, err, sizeof(err))) ==
	    NULL)
		fatalx("%s", err);
	keystate_free(ks);
	if (ts_anchors_check(d->mon.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((t = tokens_open(d->mon.cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	tokens_close(t);
	if (server_listen_probe("Listen", d->mon.cfg->listen, &pid, err,
		sizeof(err)) == LISTEN_LIVE)
		log_info(
		    "note: a daemon (pid %ld) serves on Listen %s now: "
		    "reload it with SIGHUP; a second csignd on it would not "
		    "start",
		    pid, d->mon.cfg->listen);
	/* A live PesignListen may be this daemon's; anything else fails. */
	if (server_pesign_probe(d->mon.cfg, &pid, err, sizeof(err)) ==
	    LISTEN_ERROR)
		fatalx("%s", err);
	printf("%s: configuration OK (%zu token%s logged in, %zu key%s "
	       "checked with a test signature)\n",
	    d->cfgpath, ntok, ntok == 1 ? "" : "s", nkeys,
	    nkeys == 1 ? "" : "s");
	return 0;
}

/*
 * The config given with -f as an absolute path, for SIGHUP after the
 * daemon has changed to "/" (a relative -f would name another file).
 */
static const char *
config_path_absolute(const char *path)
{
	static char buf[PATH_MAX];
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd, path) >=
		sizeof(buf))
		return path;
	return buf;
}

/* Read and check the config: -1 (said on stderr) if it is refused. */
static int
config_read(struct csignd *d, enum run_mode mode)
{
	char err[CONFIG_ERR_MAX];

	if ((d->mon.cfg = config_load(d->cfgpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	/* Warnings, then sshd's StrictModes: refuse what others can change. */
	if (mode != RUN_DUMP)
		config_warn(d->mon.cfg);
	if (filetrust_config(d->mon.cfg, geteuid(), err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (mode != RUN_DAEMON && mode != RUN_PREFLIGHT &&
	    ts_anchors_check(d->mon.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", d->cfgpath, err);
		return -1;
	}
	return 0;
}

/* The checks and printouts that exit without serving. */
static int
run_check(struct csignd *d, enum run_mode mode)
{
	int r = 0;

	switch (mode) {
	case RUN_PARSE:
		printf("%s: configuration OK (not checked: modules, tokens, "
		       "keys and certificates; csignd -t checks them)\n",
		    d->cfgpath);
		break;
	case RUN_DUMP:
		config_dump(d->mon.cfg, stdout);
		break;
	case RUN_PREFLIGHT:
		r = preflight(d);
		break;
	case RUN_DAEMON:
		break;
	}
	config_free(d->mon.cfg);
	return r;
}

/*
 * Keep freed heap memory instead of giving it back to the kernel at once:
 * with glibc's default trim threshold (128 KiB) the loop's message and
 * audit buffers made the heap shrink and grow again several times per
 * signature, and each shrink flushes the TLB on every CPU.  Buffers are
 * wiped before they are freed (buf_free), so what is kept holds no data;
 * allocations of 1 MiB and more still get mappings of their own.
 */
static void
heap_keep(void)
{
	(void)mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
}

int
main(int argc, char *argv[])
{
	struct csignd d = { .listen_fd = -1,
		.pesign_fd = -1,
		.sandbox_fd = -1,
		.null_fd = -1 };
	enum run_mode mode = RUN_DAEMON;
	int ch, verbose = 0, ready = -1;

	heap_keep();
	d.cfgpath = CONFIG_DEFAULT_PATH;
	TAILQ_INIT(&d.children);
	TAILQ_INIT(&d.waiting);
	while ((ch = getopt(argc, argv, "df:hnTtv")) != -1) {
		switch (ch) {
		case 'd':
			d.foreground = 1;
			break;
		case 'f':
			d.cfgpath = config_path_absolute(optarg);
			break;
		case 'n':
			mode = RUN_PARSE;
			break;
		case 'T':
			mode = RUN_DUMP;
			break;
		case 't':
			mode = RUN_PREFLIGHT;
			break;
		case 'v':
			verbose = d.debug = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("csignd",
	    d.foreground || mode != RUN_DAEMON ? LOG_TO_STDERR : LOG_TO_SYSLOG,
	    verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	log_tee_stderr(!d.foreground && mode == RUN_DAEMON);
	if (config_read(&d, mode) == -1) {
		config_free(d.mon.cfg);
		return 1;
	}
	if (mode != RUN_DAEMON)
		return run_check(&d, mode);
	signal(SIGPIPE, SIG_IGN);
	systemd_takeover(&d);
	if (!d.foreground)
		ready = detach_begin();
	exit_owner = &d;
	exit_pid = getpid();
	atexit(cleanup_at_exit);
	startup(&d);
	server_audit_event(&d, "start", "ok", NULL);
	log_info("csignd %s ready on %s (%zu keys, %u session children kept "
		 "ready)",
	    CSIGN_VERSION, d.listen_name, d.mon.cfg->nkeys,
	    d.mon.cfg->pool_size);
	notify_ready(&d);
	if (ready != -1)
		detach_end(ready);
	event_base_dispatch(d.base);
	log_info("csignd stopping");
	shutdown_all(&d);
	exit_owner = NULL;
	return 0;
}
