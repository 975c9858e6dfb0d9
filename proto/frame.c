/* frame.c: encode and strictly decode client frames (see frame.h). */
#include "proto/frame.h"

#include <string.h>

#include "proto/names.h"

/* K_NAME: a key name, in the characters csignd.conf(5) allows for one. */
enum tlv_kind { K_U32, K_U64, K_STR, K_NAME, K_BYTES };

/* What each tag holds and how large it may be. */
static const struct tag_spec {
	enum tlv_kind kind;
	uint32_t max;
} tag_specs[T_TAG_COUNT] = {
	[T_VERSION] = { K_U32, 4 },
	[T_KEY] = { K_NAME, KEY_NAME_MAX },
	[T_FORMAT] = { K_STR, 16 },
	[T_DIGEST] = { K_STR, 16 },
	[T_NAME] = { K_STR, ARTIFACT_NAME_MAX },
	[T_FLAGS] = { K_U32, 4 },
	[T_STATUS] = { K_U32, 4 },
	[T_MESSAGE] = { K_STR, 1024 },
	[T_SIGNATURE] = { K_BYTES, FRAME_MAX - 64 },
	[T_CERT] = { K_BYTES, FRAME_MAX - 64 },
	[T_UID] = { K_U32, 4 },
	[T_GID] = { K_U32, 4 },
	[T_USER] = { K_STR, 64 },
	[T_GROUP] = { K_STR, 96 },
	[T_FORMATS] = { K_STR, 128 },
	[T_DIGESTS] = { K_STR, 64 },
	[T_ALG] = { K_STR, 32 },
	[T_TOKEN] = { K_STR, KEY_NAME_MAX },
	[T_STATE] = { K_STR, 32 },
	[T_SIZE] = { K_U64, 8 },
	[T_ADIGEST] = { K_BYTES, DIGEST_MAX },
	[T_FINGERPRINT] = { K_STR, 128 },
	[T_TEST_SYSCALL] = { K_STR, 32 },
	[T_NOTAFTER] = { K_STR, 32 },
	[T_DATA] = { K_BYTES, DATA_CHUNK },
	[T_WARN_DAYS] = { K_U32, 4 },
	[T_TIMESTAMP] = { K_STR, 16 },
	[T_ID] = { K_U64, 8 },
	[T_COUNT] = { K_U32, 4 },
	[T_NEEDED] = { K_U32, 4 },
	[T_EXPIRES] = { K_U32, 4 },
	[T_AGE] = { K_U32, 4 },
	[T_RELOAD] = { K_STR, 1024 },
};

_Static_assert(T_TAG_COUNT <= 64, "tag masks hold 64 tags");

#define B(t) (1ull << (t))

/* Per frame type: tags allowed, tags required, tags that may repeat. */
static const struct type_spec {
	const char *name;
	uint64_t allowed;
	uint64_t required;
	uint64_t repeat;
} type_specs[F_TYPE_COUNT] = {
	[F_HELLO] = { "hello", B(T_VERSION), B(T_VERSION), 0 },
	[F_SIGN] = { "sign",
	    B(T_KEY) | B(T_FORMAT) | B(T_DIGEST) | B(T_NAME) | B(T_FLAGS) |
		B(T_SIZE)
#ifdef CSIGN_TEST_HOOKS
		| B(T_TEST_SYSCALL)
#endif
	    , B(T_KEY) | B(T_FORMAT), 0 },
	[F_KEYS] = { "keys", 0, 0, 0 },
	[F_CERT] = { "cert", B(T_KEY), B(T_KEY), 0 },
	[F_WHOAMI] = { "whoami", 0, 0, 0 },
	[F_STATUS] = { "status", 0, 0, 0 },
	/*
	 * Replies list entries: keys, groups, tokens and held requests
	 * repeat.
	 */
	[F_REPLY] = { "reply", ~0ull & ~B(0) & ~B(T_TEST_SYSCALL),
	    B(T_STATUS) | B(T_MESSAGE),
	    B(T_KEY) | B(T_FORMATS) | B(T_DIGESTS) | B(T_ALG) | B(T_GROUP) |
		B(T_TOKEN) | B(T_STATE) | B(T_FINGERPRINT) | B(T_NOTAFTER) |
		B(T_TIMESTAMP) |
		B(T_ID) | B(T_USER) | B(T_FORMAT) | B(T_NAME) | B(T_DIGEST) |
		B(T_ADIGEST) | B(T_SIZE) | B(T_AGE) | B(T_COUNT) |
		B(T_NEEDED) | B(T_EXPIRES) },
	[F_DATA] = { "data", B(T_DATA), B(T_DATA), 0 },
	[F_ADMIN] = { "admin", B(T_KEY) | B(T_FLAGS) | B(T_MESSAGE),
	    B(T_KEY) | B(T_FLAGS), 0 },
	[F_PENDING] = { "pending", 0, 0, 0 },
	[F_APPROVE] = { "approve", B(T_ID) | B(T_MESSAGE), B(T_ID), 0 },
	[F_DENY] = { "deny", B(T_ID) | B(T_MESSAGE), B(T_ID), 0 },
	[F_WAIT] = { "wait", B(T_ID), B(T_ID), 0 },
	[F_HELD] = { "held",
	    B(T_ID) | B(T_GROUP) | B(T_COUNT) | B(T_NEEDED) | B(T_EXPIRES) |
		B(T_USER),
	    B(T_ID) | B(T_GROUP) | B(T_COUNT) | B(T_NEEDED) | B(T_EXPIRES),
	    0 },
};

/* Check one TLV value against its tag's kind and size. */
static int
tlv_check(const struct tlv *t, const char **err)
{
	const struct tag_spec *s = &tag_specs[t->tag];

	switch (s->kind) {
	case K_U32:
	case K_U64:
		if (t->len != s->max) {
			*err = "integer field of wrong size";
			return -1;
		}
		return 0;
	case K_STR:
		if (t->len > s->max || memchr(t->val, '\0', t->len) != NULL) {
			*err = "string field too long or with NUL";
			return -1;
		}
		return 0;
	case K_NAME:
		if (!key_name_valid(t->val, t->len)) {
			*err = "key name empty, too long or not of A-Z a-z 0-9 "
			    ". _ -";
			return -1;
		}
		return 0;
	case K_BYTES:
		if (t->len > s->max) {
			*err = "byte field too long";
			return -1;
		}
		return 0;
	}
	*err = "unknown field kind";
	return -1;
}

/* Read one TLV header and value from b into t. */
static int
tlv_read(struct buf *b, struct tlv *t, const char **err)
{
	if (buf_get_u16(b, &t->tag) == -1 || buf_get_u32(b, &t->len) == -1) {
		*err = "truncated field header";
		return -1;
	}
	if (t->len > buf_left(b)) {
		*err = "field runs past the end of the frame";
		return -1;
	}
	t->val = buf_ptr(b);
	buf_skip(b, t->len);
	if (t->tag == 0 || t->tag >= T_TAG_COUNT) {
		*err = "unknown field tag";
		return -1;
	}
	return tlv_check(t, err);
}

int
frame_decode(const uint8_t *p, size_t len, struct frame *f, const char **err)
{
	const struct type_spec *ts;
	uint64_t seen = 0;
	struct buf b;

	f->ntlv = 0;
	buf_view(&b, p, len);
	if (len > FRAME_MAX) {
		*err = "frame too large";
		return -1;
	}
	if (buf_get_u16(&b, &f->type) == -1) {
		*err = "frame too short";
		return -1;
	}
	if (f->type == 0 || f->type >= F_TYPE_COUNT) {
		*err = "unknown frame type";
		return -1;
	}
	ts = &type_specs[f->type];
	while (buf_left(&b) > 0) {
		struct tlv t;

		if (f->ntlv == FRAME_MAX_TLV) {
			*err = "too many fields";
			return -1;
		}
		if (tlv_read(&b, &t, err) == -1)
			return -1;
		if (!(ts->allowed & B(t.tag))) {
			*err = "field not allowed in this frame type";
			return -1;
		}
		if ((seen & B(t.tag)) && !(ts->repeat & B(t.tag))) {
			*err = "repeated field";
			return -1;
		}
		seen |= B(t.tag);
		f->tlv[f->ntlv++] = t;
	}
	if ((seen & ts->required) != ts->required) {
		*err = "required field missing";
		return -1;
	}
	return 0;
}

const struct tlv *
frame_find(const struct frame *f, uint16_t tag)
{
	for (size_t i = 0; i < f->ntlv; i++)
		if (f->tlv[i].tag == tag)
			return &f->tlv[i];
	return NULL;
}

int
frame_get_u32(const struct frame *f, uint16_t tag, uint32_t *v)
{
	const struct tlv *t = frame_find(f, tag);
	struct buf b;

	if (t == NULL || t->len != 4)
		return -1;
	buf_view(&b, t->val, t->len);
	return buf_get_u32(&b, v);
}

int
frame_get_u64(const struct frame *f, uint16_t tag, uint64_t *v)
{
	const struct tlv *t = frame_find(f, tag);
	struct buf b;

	if (t == NULL || t->len != 8)
		return -1;
	buf_view(&b, t->val, t->len);
	return buf_get_u64(&b, v);
}

int
frame_get_str(const struct frame *f, uint16_t tag, char *dst, size_t dstlen)
{
	const struct tlv *t = frame_find(f, tag);

	if (t == NULL || t->len >= dstlen)
		return -1;
	memcpy(dst, t->val, t->len);
	dst[t->len] = '\0';
	return 0;
}

int
frame_begin(struct buf *b, uint16_t type)
{
	buf_reset(b);
	if (b->max < FRAME_MAX + 4)
		b->max = FRAME_MAX + 4;
	if (buf_put_u32(b, 0) == -1)
		return -1;
	return buf_put_u16(b, type);
}

/* Append a TLV header for len bytes of value. */
static int
tlv_head(struct buf *b, uint16_t tag, size_t len)
{
	if (len > UINT32_MAX || buf_put_u16(b, tag) == -1)
		return -1;
	return buf_put_u32(b, (uint32_t)len);
}

int
frame_add_u32(struct buf *b, uint16_t tag, uint32_t v)
{
	if (tlv_head(b, tag, 4) == -1)
		return -1;
	return buf_put_u32(b, v);
}

int
frame_add_u64(struct buf *b, uint16_t tag, uint64_t v)
{
	if (tlv_head(b, tag, 8) == -1)
		return -1;
	return buf_put_u64(b, v);
}

int
frame_add_bytes(struct buf *b, uint16_t tag, const void *p, size_t len)
{
	if (tlv_head(b, tag, len) == -1)
		return -1;
	return buf_put(b, p, len);
}

int
frame_add_str(struct buf *b, uint16_t tag, const char *s)
{
	return frame_add_bytes(b, tag, s, strlen(s));
}

int
frame_finish(struct buf *b)
{
	if (b->len < 6 || b->len - 4 > FRAME_MAX)
		return -1;
	return buf_poke_u32(b, 0, (uint32_t)(b->len - 4));
}

int
frame_reply_status(struct buf *b, int status, const char *msg)
{
	if (frame_begin(b, F_REPLY) == -1 ||
	    frame_add_u32(b, T_STATUS, (uint32_t)status) == -1 ||
	    frame_add_str(b, T_MESSAGE, msg) == -1)
		return -1;
	return frame_finish(b);
}

const char *
frame_type_name(int type)
{
	if (type <= 0 || type >= F_TYPE_COUNT)
		return "unknown";
	return type_specs[type].name;
}
