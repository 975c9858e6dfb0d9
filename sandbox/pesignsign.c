/*
 * pesignsign.c: a pesign client's sign command, through the one sign
 * path of csign-client's requests (signreq.c session_sign): the same
 * KEYINFO and SIGN, so the same grants, formats, approval, rate limits,
 * timestamps, and the same checks of the artifact and of the signature.
 *
 * The artifact is signed into the scratch file; only a signature that
 * succeeded reaches the client's output, which is then truncated and
 * written as pesignd writes it:
 *   PE, attached       the signed image (an existing signature replaced)
 *   PE, detached       the PKCS#7 DER alone
 *   module, attached   the module with its signature (sign-file's bytes)
 *   module, detached   PKCS#7 | struct module_signature | magic
 * A refusal writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/pesign.h"
#include "sandbox/artifact.h"
#include "sandbox/channel.h"
#include "sandbox/formats/elf.h"
#include "sandbox/formats/pe_parse.h"
#include "sandbox/pesign.h"
#include "sandbox/sessionpriv.h"

/* What the audit record names as the artifact: pesign sends no name. */
#define PESIGN_ARTIFACT "pesign-client input"

/* Receive the input and output descriptors: one per 2-byte message. */
static int
pesign_fds(struct session *s, int fds[2], char *msg, size_t msglen)
{
	uint8_t b[PESIGN_FD_MSG_LEN];
	size_t n;

	for (int i = 0; i < 2; i++) {
		if (pesign_recv(s->client, b, sizeof(b), &fds[i], 1, &n,
			(int)s->info->idle_timeout_ms) != 1 ||
		    n != 1) {
			if (n == 1)
				close(fds[i]);
			if (i == 1)
				close(fds[0]);
			snprintf(msg, msglen,
			    "a sign command must be "
			    "followed by the input and the output descriptor, "
			    "one per message");
			return -1;
		}
	}
	return 0;
}

/* The output must be a file (or pipe, or device) open for writing. */
static int
pesign_out_ok(int fd)
{
	struct stat st;
	int fl;

	return artifact_fstat(fd, &st) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ||
		S_ISCHR(st.st_mode)) &&
	    (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) != O_RDONLY;
}

/* The F_SIGN frame csign-client would send for this request. */
static int
pesign_frame(struct buf *b, struct frame *f, const char *key, int format)
{
	const char *err;

	if (frame_begin(b, F_SIGN) == -1 ||
	    frame_add_str(b, T_KEY, key) == -1 ||
	    frame_add_str(b, T_FORMAT, format_name(format)) == -1 ||
	    frame_add_str(b, T_NAME, PESIGN_ARTIFACT) == -1 ||
	    /* pesignd clears the certificate table before it signs. */
	    (format == FMT_PE &&
		frame_add_u32(b, T_FLAGS, SIGN_F_REPLACE) == -1) ||
	    frame_finish(b) == -1)
		return -1;
	return frame_decode(buf_ptr(b) + 4, buf_left(b) - 4, f, &err);
}

/*
 * Replace the client's output by bytes [off, off + len) of the scratch
 * file (a pipe or device is written as it is).
 */
static int
pesign_write(int out, uint64_t off, uint64_t len)
{
	struct stat st;

	if (artifact_fstat(out, &st) == -1)
		return -1;
	if (S_ISREG(st.st_mode) &&
	    (ftruncate(out, 0) == -1 || lseek(out, 0, SEEK_SET) == -1))
		return -1;
	return artifact_copy_range(SCRATCH_OUT_FD, out, off, len);
}

/* The length of the DER SEQUENCE at p (at most max bytes), or 0. */
static size_t
der_len(const uint8_t *p, size_t max)
{
	size_t n, len = 0;

	if (max < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80)
		return 2 + (size_t)p[1] <= max ? 2 + (size_t)p[1] : 0;
	n = p[1] & 0x7f;
	if (n == 0 || n > 4 || 2 + n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		len = len << 8 | p[2 + i];
	return len <= max - 2 - n ? 2 + n + len : 0;
}

/*
 * The PKCS#7 of a PE image signed with its certificate table replaced:
 * the one WIN_CERTIFICATE's DER, without its header and padding.
 */
static int
pesign_pe_pkcs7(uint64_t size, uint64_t *off, uint64_t *len)
{
	struct pe_image *img;
	struct pe_err e;
	uint8_t h[PE_WIN_CERT_HDR + 6];
	uint32_t dwlen;
	int r = -1;

	if ((img = malloc(sizeof(*img))) == NULL)
		return -1;
	if (pe_parse(SCRATCH_OUT_FD, size, img, &e) == 0 &&
	    img->cert_entries == 1 && img->cert_size >= sizeof(h) &&
	    artifact_pread(SCRATCH_OUT_FD, img->cert_off, h, sizeof(h)) == 0) {
		dwlen = (uint32_t)h[0] | (uint32_t)h[1] << 8 |
		    (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
		if (dwlen > PE_WIN_CERT_HDR && dwlen <= img->cert_size) {
			uint8_t d[6];

			memcpy(d, h + PE_WIN_CERT_HDR, sizeof(d));
			*len = der_len(d, dwlen - PE_WIN_CERT_HDR);
			*off = img->cert_off + PE_WIN_CERT_HDR;
			r = *len > 0 ? 0 : -1;
		}
	}
	free(img);
	return r;
}

/* The tail of a signed module: PKCS#7, module_signature, magic. */
static int
pesign_module_tail(uint64_t size, uint64_t *off, uint64_t *len)
{
	struct artifact_err e;
	uint64_t body;

	if (modsig_find(SCRATCH_OUT_FD, size, &body, &e) != 1)
		return -1;
	*off = body;
	*len = size - body;
	return 0;
}

/* Write what the client asked for from the signed scratch file. */
static int
pesign_output(const struct pesign_req *req, int format, int out,
    uint64_t written, char *msg, size_t msglen)
{
	uint64_t off = 0, len = written;
	int r = 0;

	if (!req->attached)
		r = format == FMT_PE ? pesign_pe_pkcs7(written, &off, &len)
				     : pesign_module_tail(written, &off, &len);
	if (r == -1) {
		snprintf(msg, msglen,
		    "cannot cut the detached signature out "
		    "of the signed %s",
		    format == FMT_PE
			? "image"
			: "module (compressed modules are signed attached only)");
		return -1;
	}
	if (pesign_write(out, off, len) == -1) {
		snprintf(msg, msglen, "cannot write the output: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Sign in with the key key; 0 signed, 1 refused (msg), -1 client lost. */
static int
pesign_run(struct session *s, const struct pesign_req *req, const char *key,
    int format, const int fds[2], char *msg, size_t msglen)
{
	int scratch[2] = { fds[0], SCRATCH_OUT_FD };
	struct frame *f;
	struct buf b;
	int r;

	if (ftruncate(SCRATCH_OUT_FD, 0) == -1 ||
	    lseek(SCRATCH_OUT_FD, 0, SEEK_SET) == -1 ||
	    (f = malloc(sizeof(*f))) == NULL) {
		snprintf(msg, msglen, "no scratch space");
		return 1;
	}
	buf_init(&b, FRAME_MAX + 4);
	s->capture->status = ST_INTERNAL;
	snprintf(s->capture->message, sizeof(s->capture->message),
	    "internal error");
	if (pesign_frame(&b, f, key, format) == -1)
		r = 1;
	else if ((r = session_sign(s, f, scratch, 2)) == 0)
		r = s->capture->status == ST_OK ? 0 : 1;
	if (r == 1)
		snprintf(msg, msglen, "%s", s->capture->message);
	else if (r == 0 &&
	    pesign_output(req, format, fds[1], s->capture->written, msg,
		msglen) == -1)
		r = 1;
	/* The signed bytes are the client's now: none stay in memory. */
	if (ftruncate(SCRATCH_OUT_FD, 0) == -1)
		log_warn("cannot empty the scratch file");
	buf_free(&b);
	free(f);
	return r;
}

int
pesign_sign(struct session *s, const struct pesign_req *req, int32_t *rc,
    char *msg, size_t msglen)
{
	int format = req->file_type == PESIGN_FT_MODULE ? FMT_MODULE : FMT_PE;
	struct msg_pesign m = { .op = PESIGN_OP_MAP,
		.format = (uint8_t)format };
	struct msg_pesign_reply rep;
	int fds[2], r;

	*rc = -1;
	if (pesign_fds(s, fds, msg, msglen) == -1)
		return -1;
	snprintf(m.token, sizeof(m.token), "%s", req->token);
	snprintf(m.cert, sizeof(m.cert), "%s", req->cert);
	if (!pesign_out_ok(fds[1]))
		snprintf(msg, msglen,
		    "the output must be a file open for "
		    "writing");
	else if (sandbox_request_pesign(&m, &rep) == -1)
		snprintf(msg, msglen, "internal error");
	else if (rep.rc != 0)
		snprintf(msg, msglen, "%s", rep.message);
	else if ((r = pesign_run(s, req, rep.key, format, fds, msg, msglen)) ==
	    0)
		*rc = 0;
	else if (r == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[0]);
	close(fds[1]);
	return 0;
}
