/*
 * test_client.c: csign-client's pure parts (client/): the command line,
 * output names, terminal-safe text, JSON, atomic writes, reply decoding
 * and entry walking, and the request/reply exchange over a socketpair
 * whose far end the test plays by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/args.h"
#include "client/client.h"
#include "client/conn.h"
#include "client/json.h"
#include "client/output.h"
#include "client/query.h"
#include "client/sign.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"
#include "common/utf8.h"

#define MAXARGS 32

/* Parse a NULL-terminated list of arguments (after the program name). */
static enum parse_result
parse(struct options *o, char *err, size_t errlen, ...)
{
	static char *argv[MAXARGS + 1];
	va_list ap;
	int argc = 0;
	char *a;

	argv[argc++] = "csign-client";
	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) != NULL && argc < MAXARGS)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cl_args_parse(argc, argv, o, err, errlen);
}

/* ---- command line ---- */

static void
test_args_sign_sets_every_field(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "-S", "/tmp/s",
			     "--timeout", "30", "sign", "-k", "kmod", "-f",
			     "module", "-d", "sha384", "--pem", "--timestamp",
			     "a.ko", "b.ko", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_SIGN);
	assert_true(o.timestamp);
	assert_string_equal(o.socket, "/tmp/s");
	assert_int_equal(o.timeout, 30);
	assert_string_equal(o.key, "kmod");
	assert_string_equal(o.format, "module");
	assert_string_equal(o.digest, "sha384");
	assert_true(o.pem);
	assert_null(o.out);
	assert_int_equal(o.nfiles, 2);
	assert_string_equal(o.files[0], "a.ko");
	assert_string_equal(o.files[1], "b.ko");
	assert_false(o.json);
	assert_false(o.verbose);
}

static void
test_args_defaults(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "keys", NULL), PARSE_RUN);
	assert_int_equal(o.cmd, CMD_KEYS);
	assert_null(o.socket);
	assert_int_equal(o.timeout, DEFAULT_TIMEOUT);
	assert_false(o.json);
}

static void
test_args_global_options_after_command(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "--json", "-v",
			     "-k", "k", "-f", "cms", "-o", "x.p7s",
			     "--socket=/s", "--timeout=5", "x", NULL),
	    PARSE_RUN);
	assert_true(o.json);
	assert_true(o.verbose);
	assert_string_equal(o.socket, "/s");
	assert_int_equal(o.timeout, 5);
	assert_string_equal(o.out, "x.p7s");
}

static void
test_args_options_may_follow_files(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "a.bin", "-k", "k",
			     "-f", "raw", NULL),
	    PARSE_RUN);
	assert_int_equal(o.nfiles, 1);
	assert_string_equal(o.files[0], "a.bin");
	assert_string_equal(o.key, "k");
}

static void
test_args_double_dash_ends_options(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-k", "k", "-f",
			     "raw", "--", "-odd-name", NULL),
	    PARSE_RUN);
	assert_int_equal(o.nfiles, 1);
	assert_string_equal(o.files[0], "-odd-name");
}

/* Expect a usage error whose text contains want. */
#define assert_usage_error(want, ...) \
	do { \
		struct options o_; \
		char err_[256]; \
		assert_int_equal(parse(&o_, err_, sizeof(err_), __VA_ARGS__, \
				     NULL), \
		    PARSE_ERROR); \
		if (strstr(err_, want) == NULL) \
			fail_msg("error \"%s\" lacks \"%s\"", err_, want); \
	} while (0)

static void
test_args_sign_needs_key_format_and_file(void **state)
{
	(void)state;
	assert_usage_error("missing -k key", "sign", "-f", "cms", "a");
	assert_usage_error("missing -f format", "sign", "-k", "k", "a");
	assert_usage_error("no file to sign", "sign", "-k", "k", "-f", "cms");
}

static void
test_args_sign_rejects_unknown_names(void **state)
{
	(void)state;
	assert_usage_error("unknown format 'zip' (one of: raw cms module pe "
			   "ima verity)",
	    "sign", "-k", "k", "-f", "zip", "a");
	assert_usage_error("unknown digest 'md5'", "sign", "-k", "k", "-f",
	    "cms", "-d", "md5", "a");
	assert_usage_error("key name longer than 64 bytes", "sign", "-k",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345",
	    "-f", "cms", "a");
	assert_usage_error("empty key name", "sign", "-k", "", "-f", "cms",
	    "a");
}

static void
test_args_output_only_with_one_file(void **state)
{
	(void)state;
	assert_usage_error("-o is allowed with one file only", "sign", "-k",
	    "k", "-f", "cms", "-o", "out", "a", "b");
	assert_usage_error("empty output name", "sign", "-k", "k", "-f", "cms",
	    "-o", "", "a");
}

static void
test_args_stdin_at_most_once(void **state)
{
	(void)state;
	assert_usage_error("standard input given more than once", "sign", "-k",
	    "k", "-f", "cms", "-", "a", "-");
}

static void
test_args_json_never_shares_stdout_with_a_signature(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_usage_error("--json needs the signature in a file", "--json",
	    "sign", "-k", "k", "-f", "cms", "-");
	assert_usage_error("--json needs the signature in a file", "--json",
	    "sign", "-k", "k", "-f", "cms", "-o", "-", "a");
	assert_int_equal(parse(&o, err, sizeof(err), "--json", "sign", "-k",
			     "k", "-f", "cms", "-o", "s.p7s", "-", NULL),
	    PARSE_RUN);
}

static void
test_args_timeout_range(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--timeout", "86400",
			     "status", NULL),
	    PARSE_RUN);
	assert_int_equal(o.timeout, 86400);
	assert_usage_error("invalid timeout '0'", "--timeout", "0", "status");
	assert_usage_error("invalid timeout '86401'", "--timeout", "86401",
	    "status");
	assert_usage_error("invalid timeout '-5'", "--timeout", "-5", "status");
	assert_usage_error("invalid timeout '5s'", "--timeout", "5s", "status");
	assert_usage_error("invalid timeout ''", "--timeout", "", "status");
	assert_usage_error("invalid timeout '99999999999999999999'",
	    "--timeout", "99999999999999999999", "status");
}

static void
test_args_bad_options_are_named_as_typed(void **state)
{
	(void)state;
	assert_usage_error("option -x is not known", "-x", "status");
	assert_usage_error("option --bogus is not known", "--bogus=1",
	    "status");
	assert_usage_error("option -S needs an argument", "status", "-S");
	assert_usage_error("option --socket needs an argument", "status",
	    "--socket");
	assert_usage_error("option --json is not known", "--json=yes",
	    "status");
	assert_usage_error("empty socket path", "-S", "", "status");
}

static void
test_args_options_belong_to_their_command(void **state)
{
	(void)state;
	assert_usage_error("option -k is not known", "keys", "-k", "x");
	assert_usage_error("option -o is not known", "-o", "x", "keys");
	assert_usage_error("option --pem is not known", "cert", "--pem", "k");
}

static void
test_args_commands_and_operands(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_usage_error("missing command", "-v");
	assert_usage_error("unknown command 'frobnicate'", "frobnicate");
	assert_usage_error("whoami: unexpected argument 'x'", "whoami", "x");
	assert_usage_error("cert: expected one key name", "cert");
	assert_usage_error("cert: expected one key name", "cert", "a", "b");
	assert_int_equal(parse(&o, err, sizeof(err), "cert", "-o", "k.pem",
			     "efi", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_CERT);
	assert_string_equal(o.key, "efi");
	assert_string_equal(o.out, "k.pem");
	assert_int_equal(parse(&o, err, sizeof(err), "whoami", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_WHOAMI);
	assert_int_equal(parse(&o, err, sizeof(err), "status", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_STATUS);
}

static void
test_args_help_and_version(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "-h", NULL), PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL),
	    PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-h", NULL),
	    PARSE_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "--version", NULL),
	    PARSE_VERSION);
}

static void
test_socket_path_precedence(void **state)
{
	(void)state;
	assert_string_equal(cl_socket_path("/a", "/b"), "/a");
	assert_string_equal(cl_socket_path(NULL, "/b"), "/b");
	assert_string_equal(cl_socket_path(NULL, ""), DEFAULT_SOCKET);
	assert_string_equal(cl_socket_path(NULL, NULL), DEFAULT_SOCKET);
}

/* The usage names every command of the synopsis. */
static void
test_usage_lists_every_command(void **state)
{
	static const char *const cmds[] = {
		("csign-client sign -k key -f format [-d digest] [-o out] "
		 "[--pem]\n                    [--replace | --append] [--keyid] "
		 "[--timestamp]\n"
		 "                    [--no-wait | --wait-timeout sec] "
		 "file ...\n"),
		"csign-client pending\n",
		"csign-client approve id [--reason text]\n",
		"csign-client deny id --reason text\n",
		"csign-client wait [-o out] [--wait-timeout sec] id\n",
		"csign-client keys\n",
		"csign-client cert [-o out] key\n",
		"csign-client whoami\n",
		"csign-client status\n",
		"csign-client -h | --help | --version\n",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&text, &len));
	cl_usage(fp);
	fclose(fp);
	assert_true(strncmp(text, "usage: csign-client ", 20) == 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_non_null(strstr(text, cmds[i]));
	free(text);
}

/* ---- sign helpers ---- */

static void
test_output_path_derivation(void **state)
{
	char p[64];

	(void)state;
	assert_int_equal(cl_sign_output("a.ko", NULL, "cms", p, sizeof(p)), 0);
	assert_string_equal(p, "a.ko.sig");
	assert_int_equal(cl_sign_output("d/a.ko", NULL, "cms", p, sizeof(p)),
	    0);
	assert_string_equal(p, "d/a.ko.sig");
	assert_int_equal(cl_sign_output("a.ko", "o.sig", "cms", p, sizeof(p)),
	    0);
	assert_string_equal(p, "o.sig");
	assert_int_equal(cl_sign_output("a.ko", "-", "cms", p, sizeof(p)), 0);
	assert_string_equal(p, "");
	assert_int_equal(cl_sign_output("-", NULL, "cms", p, sizeof(p)), 0);
	assert_string_equal(p, "");
	assert_int_equal(cl_sign_output("-", "x", "cms", p, sizeof(p)), 0);
	assert_string_equal(p, "x");
	assert_int_equal(cl_sign_output("12345678", NULL, "cms", p, 12), -1);
	assert_int_equal(cl_sign_output("1234567", NULL, "cms", p, 12), 0);
	/* Formats whose output is a signed artifact: like sign-file, sbsign. */
	assert_int_equal(cl_sign_output("d/a.ko", NULL, "module", p, sizeof(p)),
	    0);
	assert_string_equal(p, "d/a.ko");
	assert_int_equal(cl_sign_output("a.efi", NULL, "pe", p, sizeof(p)), 0);
	assert_string_equal(p, "a.efi.signed");
	assert_int_equal(cl_sign_output("a.efi", NULL, "ima", p, sizeof(p)), 0);
	assert_string_equal(p, "a.efi.sig");
	assert_int_equal(cl_format_writes_artifact("module"), 1);
	assert_int_equal(cl_format_writes_artifact("pe"), 1);
	assert_int_equal(cl_format_writes_artifact("ima"), 0);
	assert_int_equal(cl_format_writes_artifact("cms"), 0);
}

static void
test_artifact_name_is_the_basename(void **state)
{
	char n[ARTIFACT_NAME_MAX + 1];

	(void)state;
	assert_string_equal(cl_artifact_name("a.ko", n, sizeof(n)), "a.ko");
	assert_string_equal(cl_artifact_name("/x/y/a.ko", n, sizeof(n)),
	    "a.ko");
	assert_string_equal(cl_artifact_name("x/dir/", n, sizeof(n)), "dir");
	assert_string_equal(cl_artifact_name("/", n, sizeof(n)), "/");
	assert_string_equal(cl_artifact_name("-", n, sizeof(n)), "stdin");
	assert_string_equal(cl_artifact_name("./-", n, sizeof(n)), "-");
}

static void
test_artifact_name_is_cut_on_a_character(void **state)
{
	char path[400], n[ARTIFACT_NAME_MAX + 1];

	(void)state;
	memset(path, 'a', 300);
	path[300] = '\0';
	assert_int_equal(strlen(cl_artifact_name(path, n, sizeof(n))),
	    ARTIFACT_NAME_MAX);
	/* 254 ASCII bytes then a 2-byte character straddling the limit. */
	memset(path, 'b', 254);
	memcpy(path + 254, "\xc3\xa9xyz", 6);
	assert_int_equal(strlen(cl_artifact_name(path, n, sizeof(n))), 254);
	/* Small destinations are respected too. */
	assert_string_equal(cl_artifact_name("d/abcdef", n, 4), "abc");
}

static void
test_sign_frame_carries_the_request(void **state)
{
	struct options o = { .key = "kmod",
		.format = "module",
		.digest = "sha512",
		.pem = 1 };
	struct frame f;
	struct buf b;
	const char *err;
	char s[64];
	uint32_t v;

	(void)state;
	buf_init(&b, FRAME_MAX + 4);
	assert_int_equal(cl_sign_build(&b, &o, "a.ko"), 0);
	assert_int_equal(frame_decode(buf_ptr(&b) + 4, buf_left(&b) - 4, &f,
			     &err),
	    0);
	assert_int_equal(f.type, F_SIGN);
	assert_int_equal(frame_get_str(&f, T_KEY, s, sizeof(s)), 0);
	assert_string_equal(s, "kmod");
	assert_int_equal(frame_get_str(&f, T_FORMAT, s, sizeof(s)), 0);
	assert_string_equal(s, "module");
	assert_int_equal(frame_get_str(&f, T_DIGEST, s, sizeof(s)), 0);
	assert_string_equal(s, "sha512");
	assert_int_equal(frame_get_str(&f, T_NAME, s, sizeof(s)), 0);
	assert_string_equal(s, "a.ko");
	assert_int_equal(frame_get_u32(&f, T_FLAGS, &v), 0);
	assert_int_equal(v, SIGN_F_PEM);

	o.digest = NULL;
	o.pem = 0;
	assert_int_equal(cl_sign_build(&b, &o, "stdin"), 0);
	assert_int_equal(frame_decode(buf_ptr(&b) + 4, buf_left(&b) - 4, &f,
			     &err),
	    0);
	assert_null(frame_find(&f, T_DIGEST));
	assert_int_equal(frame_get_u32(&f, T_FLAGS, &v), 0);
	assert_int_equal(v, 0);
	buf_free(&b);
}

/* ---- text, hex, paths ---- */

static void
test_utf8_len_accepts_only_well_formed(void **state)
{
	static const struct {
		const char *s;
		size_t len, want;
	} cases[] = {
		{ "A", 1, 1 },
		{ "\xc3\xa9", 2, 2 },
		{ "\xe2\x82\xac", 3, 3 },
		{ "\xf0\x9f\x94\x91", 4, 4 },
		{ "\xc0\x80", 2, 0 },	      /* overlong NUL */
		{ "\xc1\xbf", 2, 0 },	      /* overlong */
		{ "\xe0\x80\x80", 3, 0 },     /* overlong */
		{ "\xed\xa0\x80", 3, 0 },     /* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 }, /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\x80", 1, 0 },	  /* lone continuation */
		{ "\xe2\x82", 2, 0 },	  /* truncated */
		{ "\xe2\x28\xac", 3, 0 }, /* bad continuation */
		{ "\xff", 1, 0 },
	};

	(void)state;
	assert_int_equal(utf8_len((const uint8_t *)"", 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (utf8_len((const uint8_t *)cases[i].s, cases[i].len) !=
		    cases[i].want)
			fail_msg("case %zu", i);
}

static void
test_text_clean_defuses_terminal_controls(void **state)
{
	char d[64];

	(void)state;
	assert_string_equal(cl_text_clean(d, sizeof(d), "ok", 2), "ok");
	assert_string_equal(cl_text_clean(d, sizeof(d), "\x1b[31mred\r\n", 10),
	    "?[31mred??");
	assert_string_equal(cl_text_clean(d, sizeof(d),
				"a\xc2\x9b"
				"b",
				4),
	    "a?b");
	assert_string_equal(cl_text_clean(d, sizeof(d), "\xff\x7f", 2), "??");
	assert_string_equal(cl_text_clean(d, sizeof(d), "caf\xc3\xa9", 5),
	    "caf\xc3\xa9");
	assert_string_equal(cl_text_clean(d, 5, "caf\xc3\xa9", 5), "caf");
	assert_string_equal(cl_text_clean(d, 4, "abcdef", 6), "abc");
	/* Bidirectional controls (Trojan Source) are never shown raw. */
	assert_string_equal(cl_text_clean(d, sizeof(d),
				"x\xe2\x80\xae"
				"exe.ko",
				10),
	    "x?exe.ko");
	assert_string_equal(cl_text_clean(d, sizeof(d), "\xe2\x81\xa8", 3),
	    "?");
	assert_int_equal(cl_text_width("caf\xc3\xa9"), 4);
}

static void
test_hex_encode(void **state)
{
	char d[16];

	(void)state;
	assert_string_equal(util_hex("\x00\xab\xff", 3, d, sizeof(d)),
	    "00abff");
	assert_string_equal(util_hex("\x01\x02\x03\x04", 4, d, 6), "0102");
}

static void
test_path_dir(void **state)
{
	char d[16];

	(void)state;
	assert_int_equal(cl_path_dir("a.sig", d, sizeof(d)), 0);
	assert_string_equal(d, ".");
	assert_int_equal(cl_path_dir("/a.sig", d, sizeof(d)), 0);
	assert_string_equal(d, "/");
	assert_int_equal(cl_path_dir("x/y/a.sig", d, sizeof(d)), 0);
	assert_string_equal(d, "x/y");
	assert_int_equal(cl_path_dir("0123456789abcdef/a", d, sizeof(d)), -1);
}

/* ---- JSON ---- */

/* The JSON escape of s[0..len). */
static char *
escaped(const char *s, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&text, &n);

	assert_non_null(fp);
	cl_json_escape(fp, s, len);
	fclose(fp);
	return text;
}

static void
test_json_escape(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"" },
		{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"" },
		{ "a\xff"
		  "b",
		    3, "\"a\\ufffdb\"" },
		{ "\xc0\x80", 2, "\"\\ufffd\\ufffd\"" },
		{ "nul\0x", 5, "\"nul\\u0000x\"" }, { "/", 1, "\"/\"" },
		{ "a\xe2\x80\xaez", 5, "\"a\\u202ez\"" }, /* RLO */
		{ "\xe2\x81\xa6\xe2\x81\xa9", 6, "\"\\u2066\\u2069\"" },
		{ "\xe2\x80\xa9", 3, "\"\xe2\x80\xa9\"" }, /* U+2029: kept */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(cases[i].in, cases[i].len);

		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void
test_json_writer_nests_and_separates(void **state)
{
	char *text = NULL;
	size_t len = 0;
	struct json j;
	FILE *fp;

	(void)state;
	assert_non_null(fp = open_memstream(&text, &len));
	cl_json_init(&j, fp);
	cl_json_open(&j, '{');
	cl_json_kv_str(&j, "key", "k1");
	cl_json_kv_uint(&j, "uid", 1001);
	cl_json_kv_words(&j, "formats", " pe  cms ", 9);
	cl_json_key(&j, "groups");
	cl_json_open(&j, '[');
	cl_json_open(&j, '{');
	cl_json_kv_str(&j, "name", "a");
	cl_json_close(&j, '}');
	cl_json_open(&j, '{');
	cl_json_close(&j, '}');
	cl_json_close(&j, ']');
	cl_json_kv_bool(&j, "ready", 0);
	cl_json_close(&j, '}');
	cl_json_open(&j, '[');
	cl_json_close(&j, ']');
	fclose(fp);
	assert_string_equal(text,
	    "{\"key\":\"k1\",\"uid\":1001,"
	    "\"formats\":[\"pe\",\"cms\"],\"groups\":[{\"name\":\"a\"},{}],"
	    "\"ready\":false}\n[]\n");
	free(text);
}

static void
test_failure_line_and_json(void **state)
{
	struct failure fl;
	char line[256], *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	memset(&fl, 0, sizeof(fl));
	cl_fail_set(&fl, EXIT_DENIED, "denied", "key %s not granted (%s)", "k",
	    "denied");
	assert_string_equal(cl_fail_line(line, sizeof(line), &fl),
	    "key k not granted (denied)");
	fl.file = "-";
	assert_string_equal(cl_fail_line(line, sizeof(line), &fl),
	    "stdin: key k not granted (denied)");
	fl.file = "a\"b.ko";
	assert_non_null(fp = open_memstream(&text, &len));
	cl_fail_json(fp, &fl);
	fclose(fp);
	assert_string_equal(text,
	    "{\"file\":\"a\\\"b.ko\",\"status\":"
	    "\"denied\",\"message\":\"key k not granted (denied)\"}\n");
	free(text);
}

/* ---- atomic writes ---- */

/* Entries of dir other than . and .. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A fresh temporary directory; the caller removes it with rm_tree. */
static char *
make_tmpdir(void)
{
	char *d = strdup("/tmp/csign-client-test.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* Remove dir and the plain files in it. */
static void
rm_tree(char *dir)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	free(dir);
}

/* The contents of path (at most 255 bytes), NUL-terminated, into dst. */
static void
read_small(const char *path, char *dst, size_t dstlen)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, dst, dstlen - 1);
	assert_true(n >= 0);
	dst[n] = '\0';
	close(fd);
}

static void
test_write_atomic_replaces_whole_file(void **state)
{
	char *dir = make_tmpdir(), path[PATH_MAX], got[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.sig", dir);
	assert_int_equal(cl_write_atomic(path, "first version", 13, 0640), 0);
	assert_int_equal(cl_write_atomic(path, "second", 6, 0640), 0);
	read_small(path, got, sizeof(got));
	assert_string_equal(got, "second");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_entries(dir), 1); /* no temporaries */
	rm_tree(dir);
}

static void
test_write_atomic_failure_leaves_nothing(void **state)
{
	char *dir = make_tmpdir(), path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/out.sig", dir);
	errno = 0;
	assert_int_equal(cl_write_atomic(path, "x", 1, 0644), -1);
	assert_int_equal(errno, ENOENT);
	/* A directory in the way: the temporary must be cleaned up. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cl_write_atomic(path, "x", 1, 0644), -1);
	assert_int_equal(count_entries(dir), 1);
	rmdir(path);
	rm_tree(dir);
}

/* ---- replies ---- */

/* Start a reply frame in r->raw with a status and a message. */
static void
reply_start(struct reply *r, uint32_t status, const char *msg)
{
	cl_reply_init(r);
	assert_int_equal(frame_begin(&r->raw, F_REPLY), 0);
	assert_int_equal(frame_add_u32(&r->raw, T_STATUS, status), 0);
	assert_int_equal(frame_add_str(&r->raw, T_MESSAGE, msg), 0);
}

/* Finish the frame in r->raw and decode it; returns cl_reply_decode(). */
static int
reply_end(struct reply *r, const char **err)
{
	assert_int_equal(frame_finish(&r->raw), 0);
	return cl_reply_decode(r, err);
}

static void
test_reply_decode_accepts_a_reply(void **state)
{
	struct reply r;
	const char *err;

	(void)state;
	reply_start(&r, ST_DENIED, "no such grant");
	assert_int_equal(reply_end(&r, &err), 0);
	assert_int_equal(r.status, ST_DENIED);
	assert_string_equal(r.message, "no such grant");
	cl_reply_free(&r);
}

static void
test_reply_decode_rejects_other_frames(void **state)
{
	struct reply r;
	const char *err;

	(void)state;
	cl_reply_init(&r);
	assert_int_equal(frame_begin(&r.raw, F_HELLO), 0);
	assert_int_equal(frame_add_u32(&r.raw, T_VERSION, 1), 0);
	assert_int_equal(reply_end(&r, &err), -1);
	assert_string_equal(err, "expected a reply frame");
	cl_reply_free(&r);

	/* A reply without its message fails strict decoding. */
	cl_reply_init(&r);
	assert_int_equal(frame_begin(&r.raw, F_REPLY), 0);
	assert_int_equal(frame_add_u32(&r.raw, T_STATUS, 0), 0);
	assert_int_equal(reply_end(&r, &err), -1);
	cl_reply_free(&r);

	/* A length field that does not match the body. */
	reply_start(&r, ST_OK, "");
	assert_int_equal(frame_finish(&r.raw), 0);
	assert_int_equal(buf_put_u8(&r.raw, 0), 0);
	assert_int_equal(cl_reply_decode(&r, &err), -1);
	cl_reply_free(&r);
}

static const uint16_t key_tags[] = { T_KEY, T_ALG, T_FORMATS };

static void
test_groups_start_at_each_name(void **state)
{
	const struct tlv *fld[3];
	struct group_iter it;
	struct reply r;
	const char *err;

	(void)state;
	reply_start(&r, ST_OK, "");
	frame_add_str(&r.raw, T_KEY, "k1");
	frame_add_str(&r.raw, T_ALG, "rsa-2048");
	frame_add_str(&r.raw, T_FORMATS, "raw cms");
	frame_add_str(&r.raw, T_KEY, "k2");
	frame_add_str(&r.raw, T_FINGERPRINT, "ignored");
	frame_add_str(&r.raw, T_FORMATS, "pe");
	assert_int_equal(reply_end(&r, &err), 0);

	cl_group_init(&it, &r.f, key_tags, 3);
	assert_int_equal(cl_group_next(&it, fld, &err), 1);
	assert_int_equal(fld[0]->len, 2);
	assert_memory_equal(fld[0]->val, "k1", 2);
	assert_memory_equal(fld[1]->val, "rsa-2048", 8);
	assert_memory_equal(fld[2]->val, "raw cms", 7);
	assert_int_equal(cl_group_next(&it, fld, &err), 1);
	assert_memory_equal(fld[0]->val, "k2", 2);
	assert_null(fld[1]);
	assert_memory_equal(fld[2]->val, "pe", 2);
	assert_int_equal(cl_group_next(&it, fld, &err), 0);
	assert_int_equal(cl_group_next(&it, fld, &err), 0);
	cl_reply_free(&r);
}

static void
test_groups_reject_misplaced_fields(void **state)
{
	const struct tlv *fld[3];
	struct group_iter it;
	struct reply r;
	const char *err;

	(void)state;
	reply_start(&r, ST_OK, "");
	frame_add_str(&r.raw, T_ALG, "ec-p256");
	frame_add_str(&r.raw, T_KEY, "k1");
	assert_int_equal(reply_end(&r, &err), 0);
	cl_group_init(&it, &r.f, key_tags, 3);
	assert_int_equal(cl_group_next(&it, fld, &err), -1);
	cl_reply_free(&r);

	reply_start(&r, ST_OK, "");
	frame_add_str(&r.raw, T_KEY, "k1");
	frame_add_str(&r.raw, T_ALG, "ec-p256");
	frame_add_str(&r.raw, T_ALG, "rsa-2048");
	assert_int_equal(reply_end(&r, &err), 0);
	cl_group_init(&it, &r.f, key_tags, 3);
	assert_int_equal(cl_group_next(&it, fld, &err), -1);
	assert_string_equal(err, "repeated field in one entry");
	cl_reply_free(&r);
}

static void
test_tokens_ready(void **state)
{
	struct reply r;
	const char *err;

	(void)state;
	reply_start(&r, ST_OK, "csignd 0.1.0");
	frame_add_str(&r.raw, T_TOKEN, "hsm0");
	frame_add_str(&r.raw, T_STATE, "ready");
	frame_add_str(&r.raw, T_TOKEN, "hsm1");
	frame_add_str(&r.raw, T_STATE, "ready");
	assert_int_equal(reply_end(&r, &err), 0);
	assert_int_equal(cl_tokens_ready(&r.f, &err), 1);
	cl_reply_free(&r);

	reply_start(&r, ST_OK, "");
	frame_add_str(&r.raw, T_TOKEN, "hsm0");
	frame_add_str(&r.raw, T_STATE, "ready");
	frame_add_str(&r.raw, T_TOKEN, "hsm1");
	frame_add_str(&r.raw, T_STATE, "locked");
	assert_int_equal(reply_end(&r, &err), 0);
	assert_int_equal(cl_tokens_ready(&r.f, &err), 0);
	cl_reply_free(&r);

	reply_start(&r, ST_OK, "");
	frame_add_str(&r.raw, T_TOKEN, "hsm0");
	assert_int_equal(reply_end(&r, &err), 0);
	assert_int_equal(cl_tokens_ready(&r.f, &err), -1);
	assert_string_equal(err, "token without a state");
	cl_reply_free(&r);
}

static void
test_group_split(void **state)
{
	unsigned long gid;
	size_t n;

	(void)state;
	assert_int_equal(cl_group_split("signers:1002", 12, &n, &gid), 0);
	assert_int_equal(n, 7);
	assert_int_equal(gid, 1002);
	assert_int_equal(cl_group_split("a:b:7", 5, &n, &gid), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gid, 7);
	assert_int_equal(cl_group_split("nogid", 5, &n, &gid), -1);
	assert_int_equal(cl_group_split(":5", 2, &n, &gid), -1);
	assert_int_equal(cl_group_split("g:", 2, &n, &gid), -1);
	assert_int_equal(cl_group_split("g:12a", 5, &n, &gid), -1);
	assert_int_equal(cl_group_split("g:4294967296", 12, &n, &gid), -1);
	assert_int_equal(cl_group_split("g:4294967295", 12, &n, &gid), 0);
}

/* ---- request and reply over a socketpair ---- */

/* A connection whose daemon end is *peer, played by the test. */
static void
pair_open(struct conn *c, int *peer, int timeout)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(c, 0, sizeof(*c)); /* descriptors travel: no inline mode */
	c->fd = sv[0];
	c->timeout = timeout;
	c->path = "test";
	*peer = sv[1];
}

/* Queue the frame in r->raw (finished) on the daemon's end. */
static void
peer_send(int peer, struct reply *r)
{
	assert_int_equal(frame_finish(&r->raw), 0);
	assert_int_equal(io_send_frame(peer, &r->raw, NULL, 0), 0);
	cl_reply_free(r);
}

static void
test_request_ok_and_denied(void **state)
{
	struct failure fl;
	struct reply q, r;
	struct conn c;
	int peer;

	(void)state;
	memset(&fl, 0, sizeof(fl));
	pair_open(&c, &peer, 5);
	reply_start(&q, ST_OK, "hello");
	peer_send(peer, &q);
	reply_start(&q, ST_DENIED, "key k not granted to bob");
	peer_send(peer, &q);

	cl_reply_init(&r);
	assert_int_equal(cl_conn_simple(&c, F_KEYS, NULL, &r, &fl), 0);
	assert_string_equal(r.message, "hello");
	cl_reply_free(&r);
	cl_reply_init(&r);
	assert_int_equal(cl_conn_simple(&c, F_CERT, "k", &r, &fl), -1);
	assert_int_equal(fl.code, EXIT_DENIED);
	assert_string_equal(fl.status, "denied");
	assert_string_equal(fl.msg, "key k not granted to bob (denied)");
	cl_reply_free(&r);
	cl_conn_close(&c);
	close(peer);
}

static void
test_request_maps_transport_failures(void **state)
{
	static const uint8_t junk[] = { 0, 0, 0, 2, 0, 99 };
	struct failure fl;
	struct reply r;
	struct conn c;
	int peer;

	(void)state;
	/* A frame of an unknown type: a protocol error, exit 1. */
	pair_open(&c, &peer, 5);
	assert_int_equal(write(peer, junk, sizeof(junk)), sizeof(junk));
	cl_reply_init(&r);
	assert_int_equal(cl_conn_simple(&c, F_WHOAMI, NULL, &r, &fl), -1);
	assert_int_equal(fl.code, EXIT_ERROR);
	assert_string_equal(fl.msg,
	    "protocol error from daemon: unknown frame type");
	cl_reply_free(&r);
	cl_conn_close(&c);
	close(peer);

	/* The daemon hangs up: unavailable, exit 4. */
	pair_open(&c, &peer, 5);
	close(peer);
	cl_reply_init(&r);
	assert_int_equal(cl_conn_simple(&c, F_WHOAMI, NULL, &r, &fl), -1);
	assert_int_equal(fl.code, EXIT_UNAVAILABLE);
	cl_reply_free(&r);
	cl_conn_close(&c);

	/* No answer within the timeout: exit 4, status "timeout". */
	pair_open(&c, &peer, 1);
	cl_reply_init(&r);
	assert_int_equal(cl_conn_simple(&c, F_STATUS, NULL, &r, &fl), -1);
	assert_int_equal(fl.code, EXIT_UNAVAILABLE);
	assert_string_equal(fl.status, "timeout");
	assert_string_equal(fl.msg, "no reply from csignd within 1 s");
	cl_reply_free(&r);
	cl_conn_close(&c);
	close(peer);
}

static void
test_connect_failure_is_unavailable(void **state)
{
	struct failure fl;
	struct conn c;

	(void)state;
	memset(&fl, 0, sizeof(fl));
	assert_int_equal(cl_conn_open(&c, "/nonexistent/csignd.sock", 5, &fl),
	    -1);
	assert_int_equal(fl.code, EXIT_UNAVAILABLE);
	assert_string_equal(fl.msg,
	    "cannot connect to "
	    "/nonexistent/csignd.sock: No such file or directory "
	    "(is csignd running?)");
}

/* Read the F_SIGN the client sent on peer and return its artifact fd. */
static int
peer_take_sign(int peer, char *name, size_t namelen)
{
	struct frame f;
	struct buf b;
	const char *err;
	size_t nfds;
	int fd = -1;

	buf_init(&b, FRAME_MAX + 4);
	assert_int_equal(io_recv_frame(peer, &b, &fd, 1, &nfds, 5000), 1);
	assert_int_equal(nfds, 1);
	assert_int_equal(frame_decode(buf_ptr(&b) + 4, buf_left(&b) - 4, &f,
			     &err),
	    0);
	assert_int_equal(f.type, F_SIGN);
	assert_int_equal(frame_get_str(&f, T_NAME, name, namelen), 0);
	buf_free(&b);
	return fd;
}

static void
test_sign_writes_the_returned_signature(void **state)
{
	char *dir = make_tmpdir(), in[PATH_MAX], out[PATH_MAX];
	char name[64], got[256];
	struct options o;
	struct failure fl;
	struct reply q;
	struct conn c;
	char *files[1] = { in };
	int peer, fd;

	(void)state;
	memset(&o, 0, sizeof(o));
	memset(&fl, 0, sizeof(fl));
	snprintf(in, sizeof(in), "%s/hello.ko", dir);
	snprintf(out, sizeof(out), "%s/hello.ko.sig", dir);
	fd = open(in, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "module", 6), 6);
	close(fd);
	o.key = "kmod";
	o.format = "cms";
	o.files = files;
	o.nfiles = 1;
	o.out_mode = 0644;

	pair_open(&c, &peer, 5);
	reply_start(&q, ST_OK, "");
	frame_add_bytes(&q.raw, T_SIGNATURE, "SIGBYTES", 8);
	frame_add_str(&q.raw, T_DIGEST, "sha256");
	peer_send(peer, &q);
	assert_int_equal(cl_cmd_sign(&c, &o, &fl), 0);

	/* The daemon got the open artifact and its base name. */
	fd = peer_take_sign(peer, name, sizeof(name));
	assert_string_equal(name, "hello.ko");
	assert_int_equal(read(fd, got, sizeof(got)), 6);
	close(fd);
	read_small(out, got, sizeof(got));
	assert_string_equal(got, "SIGBYTES");

	/* A denial stops the run and leaves no output behind. */
	unlink(out);
	reply_start(&q, ST_DENIED, "not granted");
	peer_send(peer, &q);
	assert_int_equal(cl_cmd_sign(&c, &o, &fl), -1);
	assert_int_equal(fl.code, EXIT_DENIED);
	assert_string_equal(fl.file, in);
	assert_int_equal(access(out, F_OK), -1);
	close(peer_take_sign(peer, name, sizeof(name)));

	/* An OK reply without a signature is a protocol error. */
	reply_start(&q, ST_OK, "");
	peer_send(peer, &q);
	assert_int_equal(cl_cmd_sign(&c, &o, &fl), -1);
	assert_int_equal(fl.code, EXIT_ERROR);
	assert_int_equal(access(out, F_OK), -1);
	close(peer_take_sign(peer, name, sizeof(name)));

	cl_conn_close(&c);
	close(peer);
	rm_tree(dir);
}

static void
test_sign_missing_file_fails_before_sending(void **state)
{
	char *files[1] = { "/nonexistent/a.ko" };
	struct options o = { .key = "k",
		.format = "raw",
		.files = files,
		.nfiles = 1 };
	struct failure fl;
	struct conn c;
	int peer;

	(void)state;
	memset(&fl, 0, sizeof(fl));
	pair_open(&c, &peer, 1);
	assert_int_equal(cl_cmd_sign(&c, &o, &fl), -1);
	assert_int_equal(fl.code, EXIT_ERROR);
	assert_string_equal(fl.msg, "No such file or directory");
	assert_int_equal(io_wait_readable(peer, 0), 0); /* nothing sent */
	cl_conn_close(&c);
	close(peer);
}

static void
test_args_approval_commands(void **state)
{
	struct options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "approve", "17",
			     "--reason", "tag checked", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_APPROVE);
	assert_true(o.request == 17);
	assert_string_equal(o.reason, "tag checked");
	assert_int_equal(parse(&o, err, sizeof(err), "deny", "--reason", "no",
			     "18446744073709551615", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_DENY);
	assert_true(o.request == 18446744073709551615ull);
	assert_int_equal(parse(&o, err, sizeof(err), "wait", "-o", "x.sig",
			     "--wait-timeout", "600", "5", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_WAIT);
	assert_string_equal(o.out, "x.sig");
	assert_int_equal(o.wait_timeout, 600);
	assert_int_equal(parse(&o, err, sizeof(err), "--json", "pending", NULL),
	    PARSE_RUN);
	assert_int_equal(o.cmd, CMD_PENDING);
	assert_int_equal(parse(&o, err, sizeof(err), "sign", "-k", "k", "-f",
			     "cms", "--no-wait", "a", NULL),
	    PARSE_RUN);
	assert_true(o.nowait);
}

static void
test_args_approval_errors(void **state)
{
	(void)state;
	assert_usage_error("bad request id '0'", "approve", "0");
	assert_usage_error("bad request id '-1'", "wait", "--", "-1");
	assert_usage_error("bad request id '1x'", "approve", "1x");
	assert_usage_error("bad request id '18446744073709551616'", "wait",
	    "18446744073709551616");
	assert_usage_error("expected one request id", "approve");
	assert_usage_error("expected one request id", "wait", "1", "2");
	assert_usage_error("deny: needs --reason", "deny", "3");
	assert_usage_error("unexpected argument", "pending", "3");
	assert_usage_error("option -o is not known", "approve", "-o", "x", "3");
	assert_usage_error("invalid wait timeout", "wait", "--wait-timeout",
	    "0", "3");
	assert_usage_error("--no-wait takes one file", "sign", "-k", "k", "-f",
	    "cms", "--no-wait", "a", "b");
	assert_usage_error("--no-wait takes one file", "sign", "-k", "k", "-f",
	    "cms", "--no-wait", "--wait-timeout", "5", "a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_sign_sets_every_field),
		cmocka_unit_test(test_args_defaults),
		cmocka_unit_test(test_args_global_options_after_command),
		cmocka_unit_test(test_args_options_may_follow_files),
		cmocka_unit_test(test_args_double_dash_ends_options),
		cmocka_unit_test(test_args_sign_needs_key_format_and_file),
		cmocka_unit_test(test_args_sign_rejects_unknown_names),
		cmocka_unit_test(test_args_output_only_with_one_file),
		cmocka_unit_test(test_args_stdin_at_most_once),
		cmocka_unit_test(
		    test_args_json_never_shares_stdout_with_a_signature),
		cmocka_unit_test(test_args_timeout_range),
		cmocka_unit_test(test_args_bad_options_are_named_as_typed),
		cmocka_unit_test(test_args_options_belong_to_their_command),
		cmocka_unit_test(test_args_commands_and_operands),
		cmocka_unit_test(test_args_help_and_version),
		cmocka_unit_test(test_socket_path_precedence),
		cmocka_unit_test(test_usage_lists_every_command),
		cmocka_unit_test(test_args_approval_commands),
		cmocka_unit_test(test_args_approval_errors),
		cmocka_unit_test(test_output_path_derivation),
		cmocka_unit_test(test_artifact_name_is_the_basename),
		cmocka_unit_test(test_artifact_name_is_cut_on_a_character),
		cmocka_unit_test(test_sign_frame_carries_the_request),
		cmocka_unit_test(test_utf8_len_accepts_only_well_formed),
		cmocka_unit_test(test_text_clean_defuses_terminal_controls),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_path_dir),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_writer_nests_and_separates),
		cmocka_unit_test(test_failure_line_and_json),
		cmocka_unit_test(test_write_atomic_replaces_whole_file),
		cmocka_unit_test(test_write_atomic_failure_leaves_nothing),
		cmocka_unit_test(test_reply_decode_accepts_a_reply),
		cmocka_unit_test(test_reply_decode_rejects_other_frames),
		cmocka_unit_test(test_groups_start_at_each_name),
		cmocka_unit_test(test_groups_reject_misplaced_fields),
		cmocka_unit_test(test_tokens_ready),
		cmocka_unit_test(test_group_split),
		cmocka_unit_test(test_request_ok_and_denied),
		cmocka_unit_test(test_request_maps_transport_failures),
		cmocka_unit_test(test_connect_failure_is_unavailable),
		cmocka_unit_test(test_sign_writes_the_returned_signature),
		cmocka_unit_test(test_sign_missing_file_fails_before_sending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
