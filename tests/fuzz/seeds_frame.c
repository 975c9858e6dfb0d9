/*
 * seeds_frame: write the seed corpus of fuzz_frame from the real encoders
 * and the protocol table, so the seeds follow both: for every frame type,
 * one frame with only its required fields and one with every field it may
 * carry (lengths inside the row's bounds), each as the whole wire frame
 * (length first), and a client's opening stream (HELLO then SIGN).
 * make fuzz-seeds builds and runs it:  seeds_frame DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/frame.h"

static const char *dir;

/* Write b to DIR/name; exit on failure. */
static void
put(const char *name, const struct buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(buf_ptr(b), 1, buf_left(b), f) != buf_left(b) ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A plausible string value for a tag, so later handlers would take it. */
static const char *
tag_text(uint16_t tag)
{
	switch (tag) {
	case T_KEY:
		return "kmod";
	case T_FORMAT:
		return "module";
	case T_DIGEST:
		return "sha256";
	case T_NAME:
		return "hello.ko";
	case T_GROUP:
		return "kernel-builders:1001";
	case T_FORMATS:
		return "module pe";
	case T_DIGESTS:
		return "sha256 sha512";
	case T_ALG:
		return "rsa-2048";
	case T_STATE:
		return "ready";
	case T_NOTAFTER:
		return "2027-12-02T10:00:00Z";
	case T_FINGERPRINT:
		return "6f0c1e9d2a7b4f5e8c3d1a0b9e8f7c6d5b4a39281706f5e4d3c2b1a09f8e7d6c";
	default:
		return "csign";
	}
}

/* Add one field of row entry fld with a value inside its bounds. */
static int
add_field(struct buf *b, const struct frame_field *fld)
{
	uint8_t bytes[64];
	char s[256];
	size_t n;

	switch (fld->kind) {
	case K_U32:
		return frame_add_u32(b, fld->tag, 1);
	case K_U64:
		return frame_add_u64(b, fld->tag, 4096);
	case K_NAME:
		return frame_add_str(b, fld->tag, "kmod");
	case K_STR:
		n = strlen(tag_text(fld->tag));
		if (n < fld->min || n > fld->max) {
			n = fld->min > 0 ? fld->min : 1;
			if (n >= sizeof(s))
				return -1;
			memset(s, 'a', n);
			s[n] = '\0';
			return frame_add_str(b, fld->tag, s);
		}
		return frame_add_str(b, fld->tag, tag_text(fld->tag));
	case K_BYTES:
		n = fld->min > 32 ? fld->min : (fld->max < 32 ? fld->max : 32);
		if (n > sizeof(bytes))
			return -1;
		for (size_t i = 0; i < n; i++)
			bytes[i] = (uint8_t)(0x30 + i);
		return frame_add_bytes(b, fld->tag, bytes, n);
	}
	return -1;
}

/* A whole frame of row fs: required fields only, or every field. */
static int
build(struct buf *b, const struct frame_spec *fs, int all)
{
	if (frame_begin(b, fs->type) == -1)
		return -1;
	for (size_t i = 0; i < T_TAG_COUNT && fs->fields[i].tag != 0; i++)
		if ((all || (fs->fields[i].flags & FIELD_REQUIRED)) &&
		    add_field(b, &fs->fields[i]) == -1)
			return -1;
	return frame_finish(b);
}

int
main(int argc, char **argv)
{
	const struct frame_spec *fs;
	struct buf b, hello, stream;
	char name[128];
	size_t n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds_frame DIR\n");
		return 2;
	}
	dir = argv[1];
	buf_init(&b, FRAME_MAX + 4);
	for (int t = 0; t < 256; t++) {
		if ((fs = frame_spec(t)) == NULL)
			continue;
		for (int all = 0; all <= 1; all++) {
			buf_reset(&b);
			if (build(&b, fs, all) == -1) {
				fprintf(stderr, "cannot encode %s\n", fs->name);
				return 1;
			}
			snprintf(name, sizeof(name), "%s-%s", fs->name,
			    all ? "all" : "required");
			put(name, &b);
			n++;
		}
	}
	/* What a client sends first: HELLO, then a SIGN on the same stream. */
	buf_init(&hello, FRAME_MAX + 4);
	buf_init(&stream, 2 * (FRAME_MAX + 4));
	if (frame_begin(&hello, F_HELLO) == -1 ||
	    frame_add_u32(&hello, T_VERSION, 1) == -1 ||
	    frame_finish(&hello) == -1 || (buf_reset(&b), 0) ||
	    frame_begin(&b, F_SIGN) == -1 ||
	    frame_add_str(&b, T_KEY, "kmod") == -1 ||
	    frame_add_str(&b, T_FORMAT, "module") == -1 ||
	    frame_add_str(&b, T_DIGEST, "sha256") == -1 ||
	    frame_add_str(&b, T_NAME, "hello.ko") == -1 ||
	    frame_finish(&b) == -1 ||
	    buf_put(&stream, buf_ptr(&hello), buf_left(&hello)) == -1 ||
	    buf_put(&stream, buf_ptr(&b), buf_left(&b)) == -1) {
		fprintf(stderr, "cannot encode the opening stream\n");
		return 1;
	}
	put("stream-hello-sign", &stream);
	if (n == 0) {
		fprintf(stderr, "no frame types\n");
		return 1;
	}
	buf_free(&b);
	buf_free(&hello);
	buf_free(&stream);
	return 0;
}
