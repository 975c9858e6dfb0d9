/*
 * csignd: the privileged monitor of csign.
 *
 * Start-up order matters: config, then the audit log (nothing may be
 * signed unaudited), then the tokens (PIN read and wiped), then the
 * process is made undumpable, then the socket, the signing threads and the
 * first sandboxed children; only then does the loop serve anyone, and
 * only then is systemd told that the service is ready.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "broker/filetrust.h"
#include "broker/pool.h"
#include "broker/systemd.h"
#include "common/log.h"
#include "monitor/held.h"
#include "monitor/monitor.h"
#include "monitor/timestamp.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: csignd [-dtv] [-f config]\n");
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
		log_warnx("WARNING: not started as root: session children run "
		    "as uid %u like the monitor (no uid separation); seccomp "
		    "and no_new_privs still apply", (unsigned)geteuid());
		d->separate_uids = 0;
		return;
	}
	if ((pw = getpwnam(d->cfg->sandbox_user)) == NULL)
		fatalx("SandboxUser %s: no such user", d->cfg->sandbox_user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("SandboxUser %s: must not be root", d->cfg->sandbox_user);
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

	if ((d->sandbox_program = strdup(d->cfg->sandbox_program)) == NULL)
		fatal("strdup");
	if (pool_open_program(d) == -1 || fstat(d->sandbox_fd, &st) == -1)
		fatal("SandboxProgram %s", d->sandbox_program);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		fatalx("SandboxProgram %s: not an executable file",
		    d->sandbox_program);
	if (d->separate_uids && (st.st_uid != 0 || (st.st_mode & 022)))
		fatalx("SandboxProgram %s: must be owned by root and not "
		    "writable by group or others", d->sandbox_program);
}

/* Leave the terminal: fork, new session, stdio to /dev/null. */
static void
daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/*
 * What systemd hands over, taken before daemonize() forks (LISTEN_PID
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
	    d->cfg->nkeys, d->listen_name);
	if (systemd_notify(msg) == -1)
		log_warn("sd_notify(READY=1)");
}

/* Open the audit log and the tokens, and everything the loop needs. */
static void
startup(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];

	sandbox_identity(d);
	sandbox_program(d);
	server_fd_limit(d);
	if ((d->keystate = keystate_load(d->cfg->state_file, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	for (size_t i = 0; i < d->keystate->n; i++)
		log_warnx("key %s is disabled: %s", d->keystate->e[i].key,
		    d->keystate->e[i].reason);
	if ((d->audit = audit_open(d->cfg->audit_log, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (held_open(d->cfg->state_file, d->audit, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (ts_anchors_check(d->cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((d->tokens = tokens_open(d->cfg, err, sizeof(err))) == NULL) {
		server_audit_event(d, "error", "error", err);
		fatalx("%s", err);
	}
	harden_self();
	if (server_listen(d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d->signer = signer_start(d->cfg->sign_workers, monitor_sign_done, d);
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	server_start_events(d);
	d->started = time(NULL);
	pool_fill(d);
}

/* Release everything (so leak checkers see a clean exit). */
static void
shutdown_all(struct csignd *d)
{
	struct child *c;

	pool_kill_all(d, 0);
	signer_stop(d->signer);
	audit_dispatch(d->audit);
	server_audit_event(d, "stop", "ok", NULL);
	held_close();
	audit_close(d->audit);
	while ((c = TAILQ_FIRST(&d->children)) != NULL) {
		TAILQ_REMOVE(&d->children, c, entry);
		event_free(c->ev);
		event_free(c->timer);
		close(c->fd);
		free(c);
	}
	server_free_waiting(d);
	for (size_t i = 0; i < sizeof(d->ev_signals) / sizeof(d->ev_signals[0]); i++)
		if (d->ev_signals[i] != NULL)
			event_free(d->ev_signals[i]);
	event_free(d->ev_listen);
	event_free(d->ev_signer);
	event_free(d->ev_audit);
	event_free(d->ev_tick);
	event_free(d->ev_resume);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	event_base_free(d->base);
	/* Only a socket we bound: systemd's stays for the next start. */
	if (d->listen_path != NULL)
		(void)unlink(d->listen_path);
	free(d->listen_path);
	free(d->listen_name);
	pool_close_program(d);
	free(d->sandbox_program);
	if (d->ev_respawn != NULL)
		event_free(d->ev_respawn);
	tokens_close(d->tokens);
	keystate_free(d->keystate);
	config_free(d->cfg);
}

int
main(int argc, char *argv[])
{
	struct csignd d = { .listen_fd = -1, .sandbox_fd = -1, .null_fd = -1 };
	char err[CONFIG_ERR_MAX];
	int ch, test_only = 0, verbose = 0;

	d.cfgpath = CONFIG_DEFAULT_PATH;
	TAILQ_INIT(&d.children);
	TAILQ_INIT(&d.waiting);
	while ((ch = getopt(argc, argv, "df:htv")) != -1) {
		switch (ch) {
		case 'd':
			d.foreground = 1;
			break;
		case 'f':
			d.cfgpath = optarg;
			break;
		case 't':
			test_only = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("csignd", d.foreground || test_only ? LOG_TO_STDERR :
	    LOG_TO_SYSLOG, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if ((d.cfg = config_load(d.cfgpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* Warnings, then sshd's StrictModes: refuse what others can change. */
	config_warn(d.cfg);
	if (filetrust_config(d.cfg, geteuid(), err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		config_free(d.cfg);
		return 1;
	}
	if (test_only && ts_anchors_check(d.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", d.cfgpath, err);
		config_free(d.cfg);
		return 1;
	}
	if (test_only) {
		printf("%s: configuration OK\n", d.cfgpath);
		config_free(d.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	systemd_takeover(&d);
	if (!d.foreground)
		daemonize();
	startup(&d);
	server_audit_event(&d, "start", "ok", NULL);
	log_info("csignd %s ready on %s (%zu keys, %u session children kept "
	    "ready)", CSIGN_VERSION, d.listen_name, d.cfg->nkeys,
	    d.cfg->pool_size);
	notify_ready(&d);
	event_base_dispatch(d.base);
	log_info("csignd stopping");
	shutdown_all(&d);
	return 0;
}
