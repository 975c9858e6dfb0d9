/*
 * reload.c: SIGHUP and SIGUSR1: the audit log reopened by its path, the
 * configuration read again (kept when the new one is refused), and how
 * the last reload went for "csign-client status".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/csignd.h"
#include "broker/pool.h"
#include "common/log.h"
#include "monitor/timestamp.h"
#include "records/auditev.h"
#include "records/filetrust.h"

void
server_audit_event(struct csignd *d, const char *event, const char *result,
    const char *reason)
{
	struct audit_event ev;

	auditev_init(&ev, event, NULL);
	auditev_result(&ev, result, reason);
	if (audit_write_sync(d->mon.audit, &ev) == -1)
		log_warnx("audit: cannot write the %s record", event);
}

/*
 * SIGUSR1 (after logrotate renamed the file), and SIGHUP: reopen AuditLog
 * by its path.  The writer switches files between two batches and the
 * chain goes on: the new file's first record, a "rotate" event, links to
 * the last record of the old one, so "csign-audit verify OLD NEW" checks
 * across the rotation.  On failure the old file is kept.
 */
void
server_reopen_audit(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	int r;

	if ((r = audit_reopen(d->mon.audit, err, sizeof(err))) == -1)
		log_warnx("audit log not reopened, still writing to the old "
			  "file: %s",
		    err);
	else if (r == 1)
		log_info("audit log reopened: %s is a new file; the chain "
			 "continues in it",
		    audit_path(d->mon.audit));
	else
		log_debug("audit log reopen: %s is still the same file",
		    audit_path(d->mon.audit));
}

/* RELOADING=1 with the time systemd wants beside it (for notify-reload). */
static void
server_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
		(unsigned long long)ts.tv_nsec / 1000ull);
	server_notify(msg);
}

/*
 * A reload was refused: keep the running config, and say why in the log,
 * the audit trail and "csign-client status" (monitor_reload_text).
 */
static void
server_reload_refused(struct csignd *d, const char *err)
{
	log_warnx("reload failed, keeping the running config: %s", err);
	server_audit_event(d, "reload", "error", err);
	monitor_reload_refused(&d->mon, err);
}

/* The new config n, read and checked; its certificates staged in *certs. */
static int
server_reload_check(struct csignd *d, struct config *n,
    struct token_certs **certs, char *err, size_t errlen)
{
	if (filetrust_config(n, geteuid(), err, errlen) == -1 ||
	    tokens_check_config(d->mon.tokens, n, err, errlen) == -1 ||
	    ts_anchors_check(n, err, errlen) == -1)
		return -1;
	*certs = tokens_certs_load(d->mon.tokens, n, err, errlen);
	return *certs == NULL ? -1 : 0;
}

/* SIGHUP: load the config again; keep the old one if the new is bad. */
static void
server_reload_config(struct csignd *d)
{
	char err[CONFIG_ERR_MAX];
	struct token_certs *certs = NULL;
	struct config *n;
	size_t changed;

	if ((n = config_load(d->cfgpath, err, sizeof(err))) == NULL ||
	    server_reload_check(d, n, &certs, err, sizeof(err)) == -1) {
		server_reload_refused(d, err);
		config_free(n);
		return;
	}
	/*
	 * The sandbox program stays the file opened at start, as sshd
	 * keeps its own binary until it is restarted: a reload never
	 * changes the code that children run.
	 */
	if (strcmp(n->listen, d->mon.cfg->listen) != 0 ||
	    strcmp(n->audit_log, d->mon.cfg->audit_log) != 0 ||
	    strcmp(n->sandbox_user, d->mon.cfg->sandbox_user) != 0 ||
	    strcmp(n->sandbox_program, d->mon.cfg->sandbox_program) != 0 ||
	    (n->pid_file == NULL) != (d->mon.cfg->pid_file == NULL) ||
	    (n->pid_file != NULL &&
		strcmp(n->pid_file, d->mon.cfg->pid_file) != 0) ||
	    (n->pesign_listen == NULL) != (d->mon.cfg->pesign_listen == NULL) ||
	    (n->pesign_listen != NULL &&
		strcmp(n->pesign_listen, d->mon.cfg->pesign_listen) != 0))
		log_warnx(
		    "reload: Listen, PesignListen, PidFile, AuditLog, "
		    "SandboxUser and SandboxProgram changes take effect at the "
		    "next restart");
	changed = tokens_certs_apply(d->mon.tokens, certs);
	/* The new config replaces the old; the rate limits start afresh. */
	monitor_reload(&d->mon, n);
	signer_configure(d->mon.signer, d->mon.tokens, n->token_timeout,
	    n->token_probe);
	log_info("configuration reloaded from %s (%zu certificate%s changed)",
	    d->cfgpath, changed, changed == 1 ? "" : "s");
	server_fd_limit(d);
	server_audit_event(d, "reload", "ok", NULL);
	pool_fill(d);
}

/*
 * SIGHUP: reopen the audit log, then reload the configuration.  During a
 * shutdown systemd has been told STOPPING=1 and hears nothing more.
 */
void
server_reload(struct csignd *d)
{
	if (!d->draining)
		server_notify_reloading();
	server_reopen_audit(d);
	server_reload_config(d);
	if (!d->draining)
		server_notify("READY=1\nSTATUS=serving");
}
