/* log.c: the one log sink of each program (stderr, syslog or callback). */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "csign";
static enum log_sink log_sink = LOG_TO_STDERR;
static enum log_level log_max = LOG_LVL_INFO;
static log_cb log_callback;
static int log_tee; /* syslog: warnings also to stderr */

void
log_init(const char *progname, enum log_sink sink, enum log_level max)
{
	log_prog = progname;
	log_sink = sink;
	log_max = max;
	if (sink == LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_tee_stderr(int on)
{
	log_tee = on;
}

void
log_set_callback(log_cb cb)
{
	log_callback = cb;
}

void
log_text_safe(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* Format one line, add the errno text if asked, and send it to the sink. */
static void
log_emit(enum log_level lvl, int with_errno, int saved_errno, const char *fmt,
    va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	size_t n;

	if (lvl > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (with_errno && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved_errno));
	/*
	 * Lines carry strings from less trusted peers (key names, reasons,
	 * artifact names, a child's words): no byte of theirs may end the
	 * line, start a forged one or drive the terminal that shows it.
	 */
	log_text_safe(line);
	switch (log_sink) {
	case LOG_TO_SYSLOG:
		syslog(prio[lvl], "%s", line);
		if (log_tee && lvl <= LOG_LVL_WARN)
			fprintf(stderr, "%s: %s\n", log_prog, line);
		break;
	case LOG_TO_CALLBACK:
		if (log_callback != NULL) {
			log_callback(lvl, line);
			break;
		}
		/* FALLTHROUGH */
	case LOG_TO_STDERR:
		fprintf(stderr, "%s: %s\n", log_prog, line);
		break;
	}
}

#define LOG_BODY(lvl, with_errno) \
	do { \
		int saved = errno; \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(lvl, with_errno, saved, fmt, ap); \
		va_end(ap); \
		errno = saved; \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 0);
	exit(1);
}
