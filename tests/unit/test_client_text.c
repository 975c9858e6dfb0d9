/*
 * test_client_text.c: csign-client's pure text parts (client/): the socket
 * path, usage, output names, the sign frame, terminal-safe text, hex, JSON
 * and failure lines.
 */
#include "client_test.h"

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
		 "[--pem]\n                    [--armor] [--replace | --append] "
		 "[--keyid]\n                    [--timestamp] [--atomic]\n"
		 "                    [--no-wait | --wait-timeout sec] "
		 "[--jobs n] file ...\n"),
		"csign-client pending\n",
		"csign-client approve id [--reason text]\n",
		"csign-client deny id --reason text\n",
		"csign-client wait [-o out] [--wait-timeout sec] id\n",
		"csign-client keys\n",
		"csign-client cert [-o out] [--openpgp] key\n",
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
	/* A cleartext signature is the text signed, as gpg --clearsign. */
	assert_int_equal(cl_sign_output("Release", NULL, "openpgp-clear", p,
			     sizeof(p)),
	    0);
	assert_string_equal(p, "Release.asc");
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
	assert_int_equal(cl_sign_build(&b, &o, "a.ko", 0), 0);
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
	assert_int_equal(cl_sign_build(&b, &o, "stdin", 0), 0);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_path_precedence),
		cmocka_unit_test(test_usage_lists_every_command),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
