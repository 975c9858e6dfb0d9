/* output.c: result files, terminal-safe text and failures (output.h). */
#include "client/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/json.h"
#include "common/log.h"
#include "common/utf8.h"
#include "common/util.h"
#include "proto/names.h"

void
cl_fail_set(struct failure *fl, int code, const char *status, const char *fmt,
    ...)
{
	va_list ap;

	fl->code = code;
	fl->status = status;
	fl->own_timeout = 0;
	va_start(ap, fmt);
	vsnprintf(fl->msg, sizeof(fl->msg), fmt, ap);
	va_end(ap);
}

const char *
cl_file_label(const char *file)
{
	return strcmp(file, "-") == 0 ? "stdin" : file;
}

char *
cl_fail_line(char *dst, size_t dstlen, const struct failure *fl)
{
	if (fl->file != NULL)
		snprintf(dst, dstlen, "%s: %s", cl_file_label(fl->file),
		    fl->msg);
	else
		snprintf(dst, dstlen, "%s", fl->msg);
	return dst;
}

void
cl_fail_json(FILE *fp, const struct failure *fl)
{
	struct json j;

	cl_json_init(&j, fp);
	cl_json_open(&j, '{');
	if (fl->file != NULL)
		cl_json_kv_str(&j, "file", fl->file);
	cl_json_kv_str(&j, "status", fl->status != NULL ? fl->status : "error");
	cl_json_kv_str(&j, "message", fl->msg);
	cl_json_close(&j, '}');
}

int
cl_fail_report(const struct failure *fl, int json)
{
	char line[sizeof(fl->msg) + 512];

	log_warnx("%s", cl_fail_line(line, sizeof(line), fl));
	if (json)
		cl_fail_json(stdout, fl);
	return fl->code != 0 ? fl->code : EXIT_ERROR;
}

int
cl_path_dir(const char *path, char *dst, size_t dstlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(dst, dstlen, ".") < (int)dstlen ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dstlen)
		return -1;
	memcpy(dst, path, n);
	dst[n] = '\0';
	return 0;
}

/*
 * Make a rename in the directory of path durable.  Best effort: the output
 * is already complete and in place, and some file systems refuse fsync on
 * a directory.
 */
static void
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	if (cl_path_dir(path, dir, sizeof(dir)) == -1)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Fill the temporary file fd with p[0..len), give it mode, close it. */
static int
fill_temp(int fd, const void *p, size_t len, mode_t mode)
{
	int saved;

	if (fchmod(fd, mode) == -1 || util_write_all(fd, p, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* Block the signals that end the client; the old mask into *old. */
static void
hold_signals(sigset_t *old)
{
	sigset_t hold;

	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigprocmask(SIG_BLOCK, &hold, old);
}

int
cl_write_atomic(const char *path, const void *p, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	sigset_t old;
	int fd, saved, ret = -1;

	if (cl_output_special(path)) {
		if ((fd = cl_open_special(path)) == -1)
			return -1;
		ret = util_write_all(fd, p, len);
		saved = errno;
		close(fd);
		errno = saved;
		return ret;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* An interrupt between mkstemp and rename would leave tmp behind. */
	hold_signals(&old);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		goto out;
	if (fill_temp(fd, p, len, mode) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto out;
	}
	sync_dir(path);
	ret = 0;
out:
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return ret;
}

int
cl_path_absolute(const char *path, char *dst, size_t dstlen)
{
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return (int)dstlen;
	return snprintf(dst, dstlen, "%s/%s", cwd, path);
}

int
cl_output_special(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode);
}

int
cl_open_special(const char *path)
{
	return open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

int
cl_write_stdout(const void *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, stdout) != len)
		return -1;
	return fflush(stdout) == EOF ? -1 : 0;
}

/* 1 if the n-byte sequence at p is a character a terminal shows as is. */
static int
text_printable(const uint8_t *p, size_t n)
{
	if (n == 1)
		return p[0] >= 0x20 && p[0] != 0x7f;
	if (utf8_bidi_control(p, n) != 0)
		return 0;
	/* U+0080..U+009F, the C1 controls, are C2 80..C2 9F. */
	return !(n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
}

char *
cl_text_clean(char *dst, size_t dstlen, const void *p, size_t len)
{
	const uint8_t *s = p;
	size_t i = 0, o = 0, n;

	if (dstlen == 0)
		return dst;
	while (i < len) {
		n = utf8_len(s + i, len - i);
		if (n == 0 || !text_printable(s + i, n)) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
	return dst;
}

size_t
cl_text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((uint8_t)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* The temporary output of the request in flight, for the signal handler. */
static char temp_pending[PATH_MAX];

/* Remove the pending temporary file, then die of the signal as usual. */
static void
temp_signal(int sig)
{
	if (temp_pending[0] != '\0')
		(void)unlink(temp_pending);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Install temp_signal for the signals that end a run. */
static void
temp_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = temp_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

/* Record (or clear, with "") the pending name with signals held. */
static void
temp_set_pending(const char *tmp)
{
	sigset_t old;

	hold_signals(&old);
	snprintf(temp_pending, sizeof(temp_pending), "%s", tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int
cl_temp_create(const char *path, mode_t mode, char *tmp, size_t tmplen)
{
	int fd;

	if (snprintf(tmp, tmplen, "%s.XXXXXX", path) >= (int)tmplen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	temp_handlers();
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return -1;
	temp_set_pending(tmp);
	if (fchmod(fd, mode) == -1) {
		cl_temp_abort(fd, tmp);
		return -1;
	}
	return fd;
}

int
cl_temp_commit(int fd, const char *tmp, const char *path)
{
	int saved;

	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		temp_set_pending("");
		errno = saved;
		return -1;
	}
	temp_set_pending("");
	sync_dir(path);
	return 0;
}

void
cl_temp_abort(int fd, const char *tmp)
{
	int saved = errno;

	close(fd);
	(void)unlink(tmp);
	temp_set_pending("");
	errno = saved;
}

int
cl_write_fd(int fd, const void *p, size_t len)
{
	return util_write_all(fd, p, len);
}
