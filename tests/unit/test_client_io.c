/*
 * test_client_io.c: csign-client's atomic writes, reply decoding and
 * entry walking, and the request/reply exchange over a socketpair whose
 * far end the test plays by hand (client/).
 */
#include "client_test.h"

/* ---- atomic writes ---- */

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
