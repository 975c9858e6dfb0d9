/* pesign.c: see pesign.h. */
#include "proto/pesign.h"

#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

static const char *const cmd_names[PESIGN_CMD_COUNT] = { "kill-daemon",
	"unlock-token", "sign-attached", "sign-detached", "response",
	"is-token-unlocked", "get-cmd-version", "sign-attached-with-file-type",
	"sign-detached-with-file-type" };

const char *
pesign_cmd_name(uint32_t command)
{
	return command < PESIGN_CMD_COUNT ? cmd_names[command] : "unknown";
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v)); /* host order, as pesign sends it */
	return v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

int
pesign_hdr_decode(const uint8_t p[PESIGN_HDR_LEN], struct pesign_hdr *h,
    char *err, size_t errlen)
{
	h->version = get32(p);
	h->command = get32(p + 4);
	h->size = get32(p + 8);
	if (h->version != PESIGN_MAGIC) {
		snprintf(err, errlen, "not a pesign message (version 0x%08x)",
		    (unsigned)h->version);
		return -1;
	}
	if (h->command >= PESIGN_CMD_COUNT || h->command == PESIGN_RESPONSE) {
		snprintf(err, errlen, "unknown pesign command %u",
		    (unsigned)h->command);
		return -1;
	}
	if (h->size > PESIGN_PAYLOAD_MAX) {
		snprintf(err, errlen, "%s: payload of %u bytes (at most %u)",
		    pesign_cmd_name(h->command), (unsigned)h->size,
		    (unsigned)PESIGN_PAYLOAD_MAX);
		return -1;
	}
	return 0;
}

/* A reader over one payload. */
struct rd {
	const uint8_t *p;
	size_t left;
	const char *what; /* the command, for messages */
	char *err;
	size_t errlen;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4) {
		snprintf(r->err, r->errlen,
		    "%s: payload ends inside a "
		    "number",
		    r->what);
		return -1;
	}
	*v = get32(r->p);
	r->p += 4;
	r->left -= 4;
	return 0;
}

/* 1 if the n bytes of s are a name: UTF-8, no control characters. */
static int
name_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if ((l = utf8_len(s + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

int
pesign_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= PESIGN_NAME_MAX && name_ok((const uint8_t *)s, n);
}

/*
 * A string: u32 length counting the NUL, the bytes, the NUL.  Copied into
 * dst (NULL: skipped, as a PIN is) when it is a valid name.
 */
static int
rd_str(struct rd *r, const char *field, char *dst, size_t dstlen)
{
	uint32_t n;

	if (rd_u32(r, &n) == -1)
		return -1;
	if (n == 0 || n > r->left) {
		snprintf(r->err, r->errlen,
		    "%s: %s length %u does not fit "
		    "the %zu bytes left",
		    r->what, field, (unsigned)n, r->left);
		return -1;
	}
	if (r->p[n - 1] != '\0' || memchr(r->p, '\0', n - 1) != NULL) {
		snprintf(r->err, r->errlen,
		    "%s: %s is not one NUL-terminated "
		    "string",
		    r->what, field);
		return -1;
	}
	if (dst != NULL) {
		if (n - 1 > PESIGN_NAME_MAX || n > dstlen) {
			snprintf(r->err, r->errlen,
			    "%s: %s longer than %u "
			    "bytes",
			    r->what, field, (unsigned)PESIGN_NAME_MAX);
			return -1;
		}
		if (n == 1 || !name_ok(r->p, n - 1)) {
			snprintf(r->err, r->errlen,
			    "%s: %s is empty or not "
			    "printable UTF-8",
			    r->what, field);
			return -1;
		}
		memcpy(dst, r->p, n);
	}
	r->p += n;
	r->left -= n;
	return 0;
}

static int
rd_end(struct rd *r)
{
	if (r->left == 0)
		return 0;
	snprintf(r->err, r->errlen, "%s: %zu bytes left over", r->what,
	    r->left);
	return -1;
}

int
pesign_req_decode(uint32_t command, const uint8_t *p, size_t len,
    struct pesign_req *req, char *err, size_t errlen)
{
	struct rd r = { p, len, pesign_cmd_name(command), err, errlen };
	uint32_t ft;

	memset(req, 0, sizeof(*req));
	req->command = command;
	switch (command) {
	case PESIGN_KILL_DAEMON:
		return rd_end(&r);
	case PESIGN_UNLOCK_TOKEN:
		if (rd_str(&r, "token", req->token, sizeof(req->token)) == -1 ||
		    rd_str(&r, "PIN", NULL, 0) == -1)
			return -1;
		return rd_end(&r);
	case PESIGN_IS_TOKEN_UNLOCKED:
		if (rd_str(&r, "token", req->token, sizeof(req->token)) == -1)
			return -1;
		return rd_end(&r);
	case PESIGN_GET_CMD_VERSION:
		if (rd_u32(&r, &req->asked) == -1)
			return -1;
		return rd_end(&r);
	case PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE:
	case PESIGN_SIGN_DETACHED_WITH_FILE_TYPE:
		if (rd_u32(&r, &ft) == -1)
			return -1;
		if (ft != PESIGN_FT_PE && ft != PESIGN_FT_MODULE) {
			snprintf(err, errlen, "%s: unknown file type %u",
			    r.what, (unsigned)ft);
			return -1;
		}
		req->file_type = (int)ft;
		/* FALLTHROUGH */
	case PESIGN_SIGN_ATTACHED:
	case PESIGN_SIGN_DETACHED:
		req->sign = 1;
		req->attached = command == PESIGN_SIGN_ATTACHED ||
		    command == PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE;
		if (rd_str(&r, "token", req->token, sizeof(req->token)) == -1 ||
		    rd_str(&r, "certificate", req->cert, sizeof(req->cert)) ==
			-1)
			return -1;
		return rd_end(&r);
	default:
		snprintf(err, errlen, "unknown pesign command %u",
		    (unsigned)command);
		return -1;
	}
}

size_t
pesign_reply_encode(uint8_t *dst, size_t dstlen, int32_t rc, const char *msg)
{
	size_t n = msg != NULL ? strlen(msg) + 1 : 0;
	size_t room = PESIGN_REPLY_MAX - PESIGN_HDR_LEN - 4;

	if (n > room)
		n = room;
	if (dstlen < PESIGN_HDR_LEN + 4 + n)
		return 0;
	put32(dst, PESIGN_MAGIC);
	put32(dst + 4, PESIGN_RESPONSE);
	put32(dst + 8, (uint32_t)(4 + n));
	put32(dst + 12, (uint32_t)rc);
	if (n > 0) {
		memcpy(dst + 16, msg, n - 1);
		dst[16 + n - 1] = '\0';
	}
	return PESIGN_HDR_LEN + 4 + n;
}

size_t
pesign_req_encode(uint8_t *dst, size_t dstlen, uint32_t command,
    const uint32_t *word, const char *const *names, size_t nnames)
{
	size_t o = PESIGN_HDR_LEN;

	if (word != NULL) {
		if (dstlen < o + 4)
			return 0;
		put32(dst + o, *word);
		o += 4;
	}
	for (size_t i = 0; i < nnames; i++) {
		size_t n = strlen(names[i]) + 1;

		if (n > UINT32_MAX || dstlen < o + 4 + n)
			return 0;
		put32(dst + o, (uint32_t)n);
		memcpy(dst + o + 4, names[i], n);
		o += 4 + n;
	}
	if (dstlen < PESIGN_HDR_LEN)
		return 0;
	put32(dst, PESIGN_MAGIC);
	put32(dst + 4, command);
	put32(dst + 8, (uint32_t)(o - PESIGN_HDR_LEN));
	return o;
}
