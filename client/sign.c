/* sign.c: csign-client sign, one artifact after another (sign.h). */
#include "client/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/approval.h"
#include "client/batch.h"
#include "client/conn.h"
#include "client/inplace.h"
#include "client/json.h"
#include "client/output.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/names.h"

int
cl_sign_output(const char *file, const char *out, const char *format, char *dst,
    size_t dstlen)
{
	int fmt = format != NULL ? format_from_name(format) : FMT_RAW;
	int n;

	if ((out != NULL && strcmp(out, "-") == 0) ||
	    (out == NULL && strcmp(file, "-") == 0))
		n = snprintf(dst, dstlen, "%s", "");
	else if (out != NULL)
		n = snprintf(dst, dstlen, "%s", out);
	else if (fmt == FMT_MODULE) /* in place, as sign-file does */
		n = snprintf(dst, dstlen, "%s", file);
	else if (fmt == FMT_PE) /* as sbsign does */
		n = snprintf(dst, dstlen, "%s.signed", file);
	else if (fmt == FMT_OPENPGP_CLEAR) /* as gpg --clearsign does */
		n = snprintf(dst, dstlen, "%s.asc", file);
	else
		n = snprintf(dst, dstlen, "%s.sig", file);
	return n < 0 || (size_t)n >= dstlen ? -1 : 0;
}

int
cl_format_writes_artifact(const char *format)
{
	return format_writes_artifact(format_from_name(format));
}

/* The T_FLAGS of a sign request. */
static uint32_t
sign_flags(const struct options *o)
{
	return (o->pem ? SIGN_F_PEM : 0) | (o->replace ? SIGN_F_REPLACE : 0) |
	    (o->append ? SIGN_F_APPEND : 0) | (o->keyid ? SIGN_F_KEYID : 0) |
	    (o->timestamp ? SIGN_F_TIMESTAMP : 0) |
	    (o->nowait ? SIGN_F_NOWAIT : 0) | (o->armor ? SIGN_F_ARMOR : 0);
}

char *
cl_artifact_name(const char *file, char *dst, size_t dstlen)
{
	size_t end = strlen(file), start, n;

	if (dstlen == 0)
		return dst;
	if (end == 0) {
		dst[0] = '\0';
		return dst;
	}
	if (strcmp(file, "-") == 0) {
		snprintf(dst, dstlen, "stdin");
		return dst;
	}
	while (end > 1 && file[end - 1] == '/')
		end--;
	for (start = end; start > 0 && file[start - 1] != '/'; start--)
		;
	if (start == end) /* "/" alone */
		start = end - 1;
	n = end - start;
	if (n > ARTIFACT_NAME_MAX)
		n = ARTIFACT_NAME_MAX;
	if (n > dstlen - 1)
		n = dstlen - 1;
	/* Do not cut a UTF-8 sequence: back up over continuation bytes. */
	if (n < end - start)
		while (n > 0 && ((unsigned char)file[start + n] & 0xc0) == 0x80)
			n--;
	memcpy(dst, file + start, n);
	dst[n] = '\0';
	return dst;
}

int
cl_sign_build(struct buf *b, const struct options *o, const char *name,
    uint32_t flags)
{
	char out[PATH_MAX];

	/*
	 * --no-wait -o X of a detached signature: X (made absolute) is kept
	 * with the request, so that "wait ID" writes it there.
	 */
	if (o->nowait && o->out != NULL && strcmp(o->out, "-") != 0 &&
	    !cl_format_writes_artifact(o->format) &&
	    (o->out[0] == '/' ? snprintf(out, sizeof(out), "%s", o->out)
			      : cl_path_absolute(o->out, out, sizeof(out))) >=
		(int)sizeof(out))
		return -1;
	if (frame_begin(b, F_SIGN) == -1 ||
	    frame_add_str(b, T_KEY, o->key) == -1 ||
	    frame_add_str(b, T_FORMAT, o->format) == -1 ||
	    (o->digest != NULL &&
		frame_add_str(b, T_DIGEST, o->digest) == -1) ||
	    frame_add_str(b, T_NAME, name) == -1 ||
	    frame_add_u32(b, T_FLAGS, sign_flags(o) | flags) == -1 ||
	    (o->nowait && o->out != NULL && strcmp(o->out, "-") != 0 &&
		!cl_format_writes_artifact(o->format) &&
		frame_add_str(b, T_OUTPUT, out) == -1))
		return -1;
	return frame_finish(b);
}

/*
 * Open the artifact with the caller's own rights; "-" is stdin.  The
 * daemon checks what it gets; a directory or a terminal is refused here
 * already, as a clearer error than the daemon could give.
 */
int
cl_open_artifact(const char *file, struct failure *fl)
{
	struct stat st;
	int fd;

	if (strcmp(file, "-") == 0) {
		if (isatty(STDIN_FILENO)) {
			cl_fail_set(fl, EXIT_USAGE, "usage",
			    "refusing to read the artifact from a terminal");
			return -1;
		}
		return STDIN_FILENO;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		cl_fail_set(fl, EXIT_ERROR, "error", "%s", strerror(EISDIR));
		return -1;
	}
	return fd;
}

/* Open the JSON object of one file's outcome: file, output, key, format. */
static void
sign_json_open(struct json *j, const struct options *o, const char *file,
    const char *out)
{
	cl_json_init(j, stdout);
	cl_json_open(j, '{');
	cl_json_kv_str(j, "file", file);
	cl_json_kv_str(j, "output", out[0] != '\0' ? out : "-");
	cl_json_kv_str(j, "key", o->key);
	cl_json_kv_str(j, "format", o->format);
}

/* The JSON record of one signed file. */
static void
sign_json(const struct options *o, const char *file, const char *out,
    const struct tlv *dig, const char *hex)
{
	struct json j;

	sign_json_open(&j, o, file, out);
	if (dig != NULL)
		cl_json_kv_strn(&j, "digest", dig->val, dig->len);
	if (hex[0] != '\0')
		cl_json_kv_str(&j, "artifact_digest", hex);
	cl_json_kv_str(&j, "status", "ok");
	cl_json_close(&j, '}');
	fflush(stdout);
}

/*
 * The -v line of one signed file: on stdout, or on stderr when stdout
 * carries the result.
 */
static void
sign_verbose(const struct options *o, const char *file, const char *out,
    const struct tlv *dig, const char *hex)
{
	FILE *fp = out[0] != '\0' ? stdout : stderr;
	char name[32] = "";

	if (dig != NULL)
		cl_text_clean(name, sizeof(name), dig->val, dig->len);
	fprintf(fp, "%s: signed with %s (%s) -> %s", cl_file_label(file),
	    o->key, o->format, out[0] != '\0' ? out : "standard output");
	if (hex[0] != '\0')
		fprintf(fp, " (%s%s%s)", name, name[0] != '\0' ? ":" : "", hex);
	putc('\n', fp);
}

void
cl_sign_report(const struct options *o, const char *file, const char *out,
    const struct tlv *dig, const char *hex)
{
	if (o->json)
		sign_json(o, file, out, dig, hex);
	else if (o->verbose)
		sign_verbose(o, file, out, dig, hex);
}

/* Store the result in r for file: into out, or on stdout if out is "". */
static int
sign_save(const struct options *o, const char *file, const char *out,
    const struct reply *r, struct failure *fl)
{
	const struct tlv *sig = frame_find(&r->f, T_SIGNATURE);
	const struct tlv *ad = frame_find(&r->f, T_ADIGEST);
	char hex[2 * DIGEST_MAX + 1] = "";

	if (cl_format_writes_artifact(o->format))
		goto report; /* the daemon wrote the output itself */
	if (sig == NULL || sig->len == 0) {
		cl_fail_protocol(fl, "reply without a signature");
		return -1;
	}
	if (out[0] == '\0' && cl_write_stdout(sig->val, sig->len) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot write to standard output: %s", strerror(errno));
		return -1;
	}
	if (out[0] != '\0' &&
	    cl_write_atomic(out, sig->val, sig->len, o->out_mode) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot write %s: %s", out,
		    strerror(errno));
		return -1;
	}
report:
	if (ad != NULL)
		util_hex(ad->val, ad->len, hex, sizeof(hex));
	cl_sign_report(o, file, out, frame_find(&r->f, T_DIGEST), hex);
	return 0;
}

/*
 * --no-wait with a format whose output the daemon writes: the daemon
 * writes it when the request is approved, long after this client has
 * left, so the final file is opened (and emptied) now and stays empty
 * until then.  Signing in place or to standard output cannot work so.
 */
static int
open_output_nowait(const struct options *o, const char *file, const char *out,
    struct failure *fl)
{
	int fd;

	if (out[0] == '\0' || strcmp(out, file) == 0) {
		cl_fail_set(fl, EXIT_USAGE, "usage",
		    "--no-wait needs -o with "
		    "a new file for a signed %s",
		    o->format);
		return -1;
	}
	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		 o->out_mode)) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot create %s: %s",
		    out, strerror(errno));
	return fd;
}

/*
 * For formats whose output the daemon writes (module, pe): the output
 * descriptor to pass, a temporary file beside out (committed once signed)
 * or standard output.  A module signed in place keeps its mode.
 */
static int
open_output(const struct options *o, const char *file, const char *out,
    char *tmp, size_t tmplen, struct failure *fl)
{
	mode_t mode = o->out_mode;
	struct stat st;
	int fd;

	tmp[0] = '\0';
	if (o->nowait)
		return open_output_nowait(o, file, out, fl);
	if (out[0] == '\0')
		return STDOUT_FILENO;
	if (cl_output_special(out)) {
		if ((fd = cl_open_special(out)) == -1)
			cl_fail_set(fl, EXIT_ERROR, "error",
			    "cannot open %s: "
			    "%s",
			    out, strerror(errno));
		return fd;
	}
	if (strcmp(out, file) == 0 && stat(file, &st) == 0)
		mode = st.st_mode & 07777;
	if ((fd = cl_temp_create(out, mode, tmp, tmplen)) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot create %s: %s",
		    out, strerror(errno));
		tmp[0] = '\0';
	}
	return fd;
}

/* Put the daemon-written output in place, or throw it away. */
static int
close_output(int fd, const char *tmp, const char *out, int ok,
    struct failure *fl)
{
	if (tmp[0] == '\0')
		return ok ? 0 : -1;
	if (!ok) {
		cl_temp_abort(fd, tmp);
		return -1;
	}
	if (cl_temp_commit(fd, tmp, out) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot write %s: %s", out,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Sending an inline artifact failed: the daemon may have refused it before
 * reading a byte (not granted, over MaxUploadPerUser) and hung up.  Its
 * reply waits on the connection; if there is one, it is the reason.
 */
static void
sign_inline_refused(struct conn *c, struct reply *r, struct failure *fl)
{
	struct failure why = *fl;

	r->status = ST_COUNT;
	if (cl_conn_next(c, r, &why) == -1 && r->status != ST_COUNT &&
	    r->status != ST_OK)
		*fl = why;
}

/*
 * Inline exchange, for sockets that do not carry descriptors (OpenSSH
 * forwarding): F_SIGN with SIGN_F_INLINE and T_SIZE, the artifact in
 * F_DATA frames, then F_DATA frames of the output (module, pe) into outfd
 * and the reply into r.
 */
static int
sign_inline(struct conn *c, const struct options *o, const char *name, int fd,
    int outfd, struct reply *r, struct held_wait *hw, struct failure *fl)
{
	static uint8_t chunk[DATA_CHUNK];
	const struct tlv *t;
	struct stat st;
	struct buf b;
	ssize_t n;
	int ret = -1, k;

	if (fd == STDIN_FILENO || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		cl_fail_set(fl, EXIT_USAGE, "usage",
		    "this daemon's socket does "
		    "not pass descriptors (an SSH forward?): give a regular "
		    "file, not standard input");
		return -1;
	}
	buf_init(&b, FRAME_MAX + 4);
	if (frame_begin(&b, F_SIGN) == -1 ||
	    frame_add_str(&b, T_KEY, o->key) == -1 ||
	    frame_add_str(&b, T_FORMAT, o->format) == -1 ||
	    (o->digest != NULL &&
		frame_add_str(&b, T_DIGEST, o->digest) == -1) ||
	    frame_add_str(&b, T_NAME, name) == -1 ||
	    frame_add_u32(&b, T_FLAGS, sign_flags(o) | SIGN_F_INLINE) == -1 ||
	    frame_add_u64(&b, T_SIZE, (uint64_t)st.st_size) == -1 ||
	    frame_finish(&b) == -1 || cl_conn_send(c, &b, fl) == -1)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (frame_begin(&b, F_DATA) == -1 ||
		    frame_add_bytes(&b, T_DATA, chunk, (size_t)n) == -1 ||
		    frame_finish(&b) == -1)
			goto out;
		if (cl_conn_send(c, &b, fl) == -1) {
			sign_inline_refused(c, r, fl);
			goto out;
		}
	}
	while ((k = cl_conn_next(c, r, fl)) == 1 ||
	    (k == 0 && r->f.type == F_HELD)) {
		if (r->f.type == F_HELD) {
			if (cl_held_notice(c, o, r, hw, fl) == -1)
				goto out;
			continue;
		}
		if (outfd == -1 || (t = frame_find(&r->f, T_DATA)) == NULL ||
		    cl_write_fd(outfd, t->val, t->len) == -1) {
			cl_fail_protocol(fl,
			    "output data the format does not "
			    "have, or cannot be written");
			goto out;
		}
	}
	ret = k;
	if (k == -1)
		cl_held_timeout(hw, fl);
out:
	buf_free(&b);
	return ret;
}

/*
 * The request is held for approval: show each notice and wait for the
 * next frame, until the final reply.
 */
static int
sign_held(struct conn *c, const struct options *o, struct reply *r,
    struct held_wait *hw, struct failure *fl)
{
	int k = 0;

	while (k == 0 && r->f.type == F_HELD) {
		if (cl_held_notice(c, o, r, hw, fl) == -1)
			return -1;
		if ((k = cl_conn_reply(c, r, fl)) == -1)
			cl_held_timeout(hw, fl);
	}
	return k;
}

/* --no-wait, and the request is held: its id alone on stdout. */
static int
sign_held_id(const struct options *o, const char *file, const char *out,
    uint64_t id)
{
	struct json j;

	if (!o->json) {
		printf("%llu\n", (unsigned long long)id);
		return 0;
	}
	sign_json_open(&j, o, file, out);
	cl_json_kv_uint(&j, "request", id);
	cl_json_kv_str(&j, "status", "held");
	cl_json_close(&j, '}');
	return 0;
}

/* A successful reply: held (--no-wait) or signed. */
static int
sign_done(const struct options *o, const char *file, const char *out,
    const struct reply *r, struct failure *fl)
{
	uint64_t id;

	if (o->nowait && frame_get_u64(&r->f, T_ID, &id) == 0)
		return sign_held_id(o, file, out, id);
	return sign_save(o, file, out, r, fl);
}

/*
 * A module signed in place (inplace.h): one request on its descriptor,
 * then the appended signature made durable.
 */
static int
sign_inplace(struct conn *c, const struct options *o, const char *file, int fd,
    struct failure *fl)
{
	char name[ARTIFACT_NAME_MAX + 1];
	int fds[2] = { fd, fd }, ret = -1;
	struct held_wait hw = { 0 };
	struct reply r;
	struct buf req;

	cl_artifact_name(file, name, sizeof(name));
	buf_init(&req, FRAME_MAX + 4);
	cl_reply_init(&r);
	r.accept_held = 1;
	if (cl_sign_build(&req, o, name, SIGN_F_INPLACE) == -1)
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode the request");
	else if (cl_conn_request(c, &req, fds, 2, &r, fl) == 0 &&
	    sign_held(c, o, &r, &hw, fl) == 0) {
		c->timeout = o->timeout;
		ret = sign_save(o, file, file, &r, fl);
	}
	c->timeout = o->timeout;
	if (ret == 0 && fdatasync(fd) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "cannot write %s: %s",
		    file, strerror(errno));
		ret = -1;
	}
	close(fd);
	buf_free(&req);
	cl_reply_free(&r);
	return ret;
}

/* Sign one artifact: open it, pass it to the daemon, store the result. */
static int
sign_one(struct conn *c, const struct options *o, const char *file,
    struct failure *fl)
{
	char name[ARTIFACT_NAME_MAX + 1], out[PATH_MAX], tmp[PATH_MAX] = "";
	int fds[2] = { -1, -1 }, writes = cl_format_writes_artifact(o->format);
	struct held_wait hw = { 0 };
	struct reply r;
	struct buf req;
	int ret = -1, sent;

	fl->file = file;
	if (cl_sign_output(file, o->out, o->format, out, sizeof(out)) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s",
		    strerror(ENAMETOOLONG));
		return -1;
	}
	if ((fds[0] = cl_inplace_open(o, file, out, c->inline_data)) != -1)
		return sign_inplace(c, o, file, fds[0], fl);
	if ((fds[0] = cl_open_artifact(file, fl)) == -1)
		return -1;
	if (writes &&
	    (fds[1] = open_output(o, file, out, tmp, sizeof(tmp), fl)) == -1) {
		if (fds[0] != STDIN_FILENO)
			close(fds[0]);
		return -1;
	}
	cl_artifact_name(file, name, sizeof(name));
	buf_init(&req, FRAME_MAX + 4);
	cl_reply_init(&r);
	r.accept_held = 1;
	if (c->inline_data)
		sent = sign_inline(c, o, name, fds[0], fds[1], &r, &hw, fl);
	else if (cl_sign_build(&req, o, name, 0) == -1) {
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "cannot encode the request");
		sent = -1;
	} else
		sent = cl_conn_request(c, &req, fds,
		    (size_t)format_fd_count(format_from_name(o->format)), &r,
		    fl);
	if (sent == 0)
		sent = sign_held(c, o, &r, &hw, fl);
	c->timeout = o->timeout;
	if (sent == 0)
		ret = sign_done(o, file, out, &r, fl);
	if (writes && close_output(fds[1], tmp, out, ret == 0, fl) == -1)
		ret = -1;
	/* A device or FIFO written through (no temporary file). */
	if (writes && !o->nowait && tmp[0] == '\0' && fds[1] > STDERR_FILENO)
		close(fds[1]);
	/* --no-wait: the daemon has its own copy of the output. */
	if (writes && o->nowait && fds[1] != -1) {
		close(fds[1]);
		if (ret == -1)
			(void)unlink(out);
	}
	if (fds[0] != STDIN_FILENO)
		close(fds[0]);
	buf_free(&req);
	cl_reply_free(&r);
	return ret;
}

/*
 * Several files go through the batch engine (batch.h): several requests
 * in flight, outputs made durable once.  One file, standard input, an
 * inline connection, --no-wait, or files whose order matters (a name
 * given twice, an output that is another's input) keep the one-at-a-time
 * path.
 */
static int
sign_batchable(const struct conn *c, const struct options *o)
{
	if (o->nfiles < 2 || c->inline_data || o->nowait || o->out != NULL)
		return 0;
	for (int i = 0; i < o->nfiles; i++)
		if (strcmp(o->files[i], "-") == 0)
			return 0;
	return cl_batch_independent(o);
}

int
cl_cmd_sign(struct conn *c, const struct options *o, struct failure *fl)
{
	if (sign_batchable(c, o))
		return cl_batch_sign(c, o, fl);
	for (int i = 0; i < o->nfiles; i++)
		if (sign_one(c, o, o->files[i], fl) == -1)
			return -1;
	return 0;
}
