/* frame.c: encode and strictly decode client frames (see frame.h). */
#include "proto/frame.h"

#include <string.h>

#include "proto/names.h"

/* The tags a frame has carried so far, as a mask. */
#define B(t) (1ull << (t))
_Static_assert(T_TAG_COUNT <= 64, "tag masks hold 64 tags");

/* Check one TLV value against its field's kind and size bounds. */
static int
tlv_check(const struct tlv *t, const struct frame_field *s, const char **err)
{
	switch (s->kind) {
	case K_U32:
	case K_U64:
		if (t->len < s->min || t->len > s->max) {
			*err = "integer field of wrong size";
			return -1;
		}
		return 0;
	case K_STR:
		if (t->len < s->min || t->len > s->max ||
		    memchr(t->val, '\0', t->len) != NULL) {
			*err = "string field too long or with NUL";
			return -1;
		}
		return 0;
	case K_NAME:
		if (t->len < s->min || t->len > s->max ||
		    !key_name_valid(t->val, t->len)) {
			*err = "key name empty, too long or not of A-Z a-z 0-9 "
			       ". _ -";
			return -1;
		}
		return 0;
	case K_BYTES:
		if (t->len < s->min || t->len > s->max) {
			*err = "byte field too long";
			return -1;
		}
		return 0;
	}
	*err = "unknown field kind";
	return -1;
}

/*
 * Read one TLV header and value from b into t, and check it against the
 * fields of the frame type fs.
 */
static int
tlv_read(struct buf *b, const struct frame_spec *fs, struct tlv *t,
    const struct frame_field **fld, const char **err)
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
	if ((*fld = frame_spec_field(fs, t->tag)) == NULL) {
		*err = "field not allowed in this frame type";
		return -1;
	}
	return tlv_check(t, *fld, err);
}

/* 1 if every field fs requires was seen (a mask of tags). */
static int
required_seen(const struct frame_spec *fs, uint64_t seen)
{
	for (size_t i = 0; i < T_TAG_COUNT && fs->fields[i].tag != 0; i++)
		if ((fs->fields[i].flags & FIELD_REQUIRED) &&
		    !(seen & B(fs->fields[i].tag)))
			return 0;
	return 1;
}

int
frame_decode(const uint8_t *p, size_t len, struct frame *f, const char **err)
{
	const struct frame_spec *fs;
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
	if ((fs = frame_spec(f->type)) == NULL) {
		*err = "unknown frame type";
		return -1;
	}
	while (buf_left(&b) > 0) {
		const struct frame_field *fld;
		struct tlv t;

		if (f->ntlv == FRAME_MAX_TLV) {
			*err = "too many fields";
			return -1;
		}
		if (tlv_read(&b, fs, &t, &fld, err) == -1)
			return -1;
		if ((seen & B(t.tag)) && !(fld->flags & FIELD_REPEAT)) {
			*err = "repeated field";
			return -1;
		}
		seen |= B(t.tag);
		f->tlv[f->ntlv++] = t;
	}
	if (!required_seen(fs, seen)) {
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
	const struct frame_spec *fs = frame_spec(type);

	return fs != NULL ? fs->name : "unknown";
}

int
frame_dir_allowed(int type, unsigned dir)
{
	const struct frame_spec *fs = frame_spec(type);

	return fs != NULL && (fs->dir & dir) == dir;
}

int
frame_fds_allowed(int type, size_t nfds)
{
	const struct frame_spec *fs = frame_spec(type);

	return fs != NULL && nfds <= fs->maxfds;
}
