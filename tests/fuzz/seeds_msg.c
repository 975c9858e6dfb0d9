/*
 * seeds_msg: write the seed corpus of fuzz_msg, one whole datagram per
 * message type, from the real encoders (so the seeds follow the codec).
 * make fuzz-seeds builds and runs it:  seeds_msg DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/chan.h"
#include "proto/msg.h"

static const char *dir;

/* Write b to DIR/name; exit on failure. */
static void
put(const char *name, const struct buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Encode with e (0 expected) and write as name. */
#define SEED(name, e) \
	do { \
		if ((e) != 0) { \
			fprintf(stderr, "cannot encode %s\n", name); \
			exit(1); \
		} \
		put(name, &b); \
	} while (0)

int
main(int argc, char **argv)
{
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	static struct msg_sign sign;
	static struct msg_sign_reply sreply;
	struct msg_ready ready = { .version = CHAN_VERSION };
	struct msg_session session = { .session_id = 7,
		.max_artifact = 1u << 30,
		.idle_timeout_ms = 30000,
		.via = VIA_PESIGN,
		.busy = 3 };
	struct msg_keyinfo keyinfo = { .key = "kmod",
		.format = FMT_MODULE,
		.name = "a.ko" };
	struct msg_keyinfo_reply kreply = { .status = ST_OK,
		.keytype = KT_RSA,
		.default_digest = DIG_SHA256,
		.formats = 0x1f,
		.digests = 0x7,
		.cert = cert,
		.certlen = sizeof(cert),
		.ts_mode = 1,
		.ntsa = 1,
		.pgp_created = 1767225600,
		.pgp_uid = "Packages <packages@example.org>",
		.approval = 1 };
	struct msg_query query = { .what = Q_KEYS };
	struct msg_log log = { .level = 2, .text = "hello" };
	struct msg_admin admin = { .op = 1, .key = "kmod", .reason = "lost" };
	struct msg_tsa_open topen = { .index = 0 };
	struct msg_tsa_reply treply = { .status = ST_OK,
		.url = "http://t/",
		.hostport = "t:80",
		.path = "/",
		.timeout_ms = 5000,
		.now = 1700000000,
		.max_skew = 300,
		.anchors = cert,
		.anchorslen = sizeof(cert) };
	struct msg_tsa_done tdone = { .status = ST_OK,
		.index = 0,
		.gentime = "20261202101010Z" };
	struct msg_sign_held held = { .reqid = 1,
		.id = 9,
		.group = "releng",
		.have = 0,
		.need = 2,
		.expires_in = 3600 };
	struct msg_approval appr = { .op = APPR_APPROVE, .id = 9 };
	static const uint8_t frame[] = { 0, 0, 0, 4, 0, 2, 0, 0 };
	struct msg_held_result result = { .id = 9,
		.frame = frame,
		.len = sizeof(frame) };
	struct msg_upload upload = { .key = "kmod",
		.format = FMT_RAW,
		.size = 4096,
		.name = "blob" };
	struct msg_upload_reply ureply = { .status = ST_OK, .message = "ok" };
	struct msg_progress progress = { .bytes = 65536 };
	struct msg_pesign pesign = { .op = PESIGN_OP_MAP,
		.format = FMT_PE,
		.token = "NSS Certificate DB",
		.cert = "signer" };
	struct msg_pesign_reply preply = { .rc = 0, .key = "efi" };
	struct buf b, fr;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds_msg DIR\n");
		return 2;
	}
	dir = argv[1];
	buf_init(&b, MSG_MAX);
	snprintf(ready.build, sizeof(ready.build), "%s", chan_build_id());
	sign.reqid = 1;
	snprintf(sign.key, sizeof(sign.key), "kmod");
	sign.format = FMT_MODULE;
	sign.digest = DIG_SHA256;
	sign.tbslen = sign.adigestlen = 32;
	memset(sign.tbs, 0xaa, 32);
	memset(sign.adigest, 0xbb, 32);
	snprintf(sign.name, sizeof(sign.name), "a.ko");
	sign.size = 4096;
	sreply.reqid = 1;
	sreply.status = ST_OK;
	sreply.siglen = 256;
	memset(sreply.sig, 0x5a, 256);
	SEED("ready", msg_enc_ready(&b, &ready));
	SEED("session", msg_enc_session(&b, &session));
	SEED("keyinfo", msg_enc_keyinfo(&b, &keyinfo));
	SEED("keyinfo_reply", msg_enc_keyinfo_reply(&b, &kreply));
	SEED("sign", msg_enc_sign(&b, &sign));
	SEED("sign_reply", msg_enc_sign_reply(&b, &sreply));
	SEED("query", msg_enc_query(&b, &query));
	buf_view(&fr, frame, sizeof(frame));
	SEED("query_reply", msg_enc_query_reply(&b, &fr));
	SEED("log", msg_enc_log(&b, &log));
	SEED("done", msg_enc_empty(&b, MSG_DONE));
	SEED("admin", msg_enc_admin(&b, &admin));
	SEED("tsa_open", msg_enc_tsa_open(&b, &topen));
	SEED("tsa_reply", msg_enc_tsa_reply(&b, &treply));
	SEED("tsa_done", msg_enc_tsa_done(&b, &tdone));
	SEED("sign_held", msg_enc_sign_held(&b, &held));
	SEED("approval", msg_enc_approval(&b, &appr));
	SEED("held_cancel", msg_enc_empty(&b, MSG_HELD_CANCEL));
	SEED("held_result", msg_enc_held_result(&b, &result));
	SEED("upload", msg_enc_upload(&b, &upload));
	SEED("upload_reply", msg_enc_upload_reply(&b, &ureply));
	SEED("upload_done", msg_enc_empty(&b, MSG_UPLOAD_DONE));
	SEED("progress", msg_enc_progress(&b, &progress));
	SEED("pesign", msg_enc_pesign(&b, &pesign));
	SEED("pesign-reply", msg_enc_pesign_reply(&b, &preply));
	buf_free(&b);
	return 0;
}
