/*
 * One log interface for every csign program.
 *
 * fatal() and log_warn() append strerror(errno); the -x variants do not.
 * Programs choose the sink once with log_init(): stderr (foreground,
 * tools), syslog (daemon) or a callback (the sandbox forwards its lines to
 * the monitor).  Never format a secret into a log line.
 *
 * Every line is made safe before it reaches its sink (log_text_safe):
 * whatever a client or a child put in a string, a line stays one line of
 * printable ASCII.
 */
#ifndef CSIGN_LOG_H
#define CSIGN_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

enum log_sink {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
	LOG_TO_CALLBACK
};

typedef void (*log_cb)(enum log_level, const char *line);

/* Set the program name, sink and verbosity (LOG_LVL_INFO by default). */
void log_init(const char *progname, enum log_sink sink, enum log_level max);
void log_set_callback(log_cb cb);
/*
 * With the syslog sink: also write errors and warnings to stderr (on),
 * as a daemon does until it has detached from the terminal; or stop.
 */
void log_tee_stderr(int on);
/*
 * Make text from an untrusted process safe to log: every byte that is
 * not printable ASCII becomes '?'.
 */
void log_text_safe(char *s);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
