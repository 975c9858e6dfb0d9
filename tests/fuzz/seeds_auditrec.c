/*
 * seeds_auditrec: write the seed corpus of fuzz_auditrec with the real
 * encoder, auditrec_format(): a log of every kind of record csignd
 * writes, one chain from seq 1; each kind alone as the first record of a
 * log; and a rotated file, which starts with its "rotate" record in the
 * middle of a chain.  make fuzz-seeds builds and runs it:
 *   seeds_auditrec DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/auditrec.h"

#define T0 1764669600 /* 2025-12-02 10:00 UTC */

static const char *dir;

/* Records of every kind, as csignd fills them. */
static const struct audit_event events[] = {
	{ .event = "start", .result = "ok", .reason = "csignd 1.0" },
	{ .event = "sign",
	    .has_peer = 1,
	    .uid = 1001,
	    .user = "alice",
	    .groups = { 1001, 1100 },
	    .ngroups = 2,
	    .pid = 4242,
	    .key = "kmod",
	    .cert_sha256 =
		"6f0c1e9d2a7b4f5e8c3d1a0b9e8f7c6d5b4a39281706f5e4d3c2b1a09f8e7d6c",
	    .format = "module",
	    .artifact = "hello.ko",
	    .has_size = 1,
	    .size = 4096,
	    .digest_alg = "sha256",
	    .digest_hex =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    .result = "ok" },
	{ .event = "deny",
	    .has_peer = 1,
	    .uid = 1002,
	    .user = "mallory",
	    .groups = { 1002 },
	    .ngroups = 1,
	    .pid = 4243,
	    .key = "efi",
	    .format = "pe",
	    .artifact = "a\\u001b[31m.efi",
	    .result = "denied",
	    .reason = "key not granted" },
	{ .event = "hold",
	    .has_peer = 1,
	    .uid = 1001,
	    .user = "alice",
	    .groups = { 1001 },
	    .ngroups = 1,
	    .pid = 4244,
	    .key = "efi",
	    .format = "pe",
	    .artifact = "boot.efi",
	    .result = "ok",
	    .has_request = 1,
	    .request = 7 },
	{ .event = "approve",
	    .has_peer = 1,
	    .uid = 1003,
	    .user = "bob",
	    .groups = { 1200 },
	    .ngroups = 1,
	    .pid = 4245,
	    .key = "efi",
	    .result = "ok",
	    .has_request = 1,
	    .request = 7,
	    .approvers = "bob,carol" },
	{ .event = "sign",
	    .has_peer = 1,
	    .uid = 1001,
	    .user = "alice",
	    .groups = { 1001 },
	    .ngroups = 1,
	    .pid = 4244,
	    .key = "efi",
	    .format = "pe",
	    .artifact = "boot.efi",
	    .has_size = 1,
	    .size = 65536,
	    .digest_alg = "sha256",
	    .digest_hex =
		"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
	    .result = "ok",
	    .tsa = "http://tsa.example.internal/tsr",
	    .timestamp = "20251202100001Z" },
	{ .event = "key-disable",
	    .has_peer = 1,
	    .uid = 0,
	    .user = "root",
	    .ngroups = 0,
	    .pid = 1,
	    .key = "kmod",
	    .result = "ok",
	    .reason = "laptop lost" },
	{ .event = "log-recover",
	    .result = "ok",
	    .reason = "a torn last record of 37 bytes moved aside" },
	{ .event = "reload",
	    .result = "error",
	    .reason = "csignd.conf:12: "
		      "unknown keyword" },
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

/* Append record ev to f as the next link of c; exit on failure. */
static void
append(FILE *f, struct audit_chain *c, int64_t sec,
    const struct audit_event *ev)
{
	char line[AUDIT_LINE_MAX + 1];
	int n;

	if ((n = auditrec_format(line, sizeof(line), c, sec, 0, ev)) <= 0 ||
	    fwrite(line, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot encode a %s record\n", ev->event);
		exit(1);
	}
}

/* Open DIR/name for writing; exit on failure. */
static FILE *
create(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	return f;
}

/* Close f; exit on failure. */
static void
done(FILE *f)
{
	if (fclose(f) != 0) {
		perror("fclose");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static const struct audit_event rotate = { .event = "rotate",
		.result = "ok",
		.reason = "audit.jsonl-20251202" };
	struct audit_chain c;
	char name[64];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds_auditrec DIR\n");
		return 2;
	}
	dir = argv[1];
	/* One log with every kind, then the file it was rotated into. */
	auditrec_chain_init(&c);
	f = create("log");
	for (size_t i = 0; i < NEVENTS; i++)
		append(f, &c, T0 + (int64_t)i, &events[i]);
	done(f);
	f = create("rotated");
	append(f, &c, T0 + 3600, &rotate);
	append(f, &c, T0 + 3601, &events[1]);
	done(f);
	/* Each kind alone, as the first record of a log. */
	for (size_t i = 0; i < NEVENTS; i++) {
		auditrec_chain_init(&c);
		snprintf(name, sizeof(name), "%s-%zu", events[i].event, i);
		f = create(name);
		append(f, &c, T0, &events[i]);
		done(f);
	}
	return 0;
}
