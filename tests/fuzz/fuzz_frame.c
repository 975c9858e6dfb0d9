/*
 * fuzz_frame: client frames as the session child gets them: the input is
 * the byte stream on the client's socket (u32 length, then type and
 * TLVs, frame after frame), read by io_recv_frame() from a real socket
 * and decoded from byte 4 as session_frame() does, until the stream ends
 * or a frame is refused.  The seeds (corpus/frame) are whole frames from
 * the real encoders, every type of the table with every field
 * (tests/fuzz/seeds_frame.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "proto/buf.h"
#include "proto/frame.h"
#include "proto/io.h"
#include "proto/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What decoded must obey the protocol table, field by field. */
static void
frame_obeys_table(const struct frame *f)
{
	const struct frame_spec *fs = frame_spec(f->type);

	if (fs == NULL)
		abort();
	for (size_t i = 0; i < f->ntlv; i++) {
		const struct frame_field *fld =
		    frame_spec_field(fs, f->tlv[i].tag);

		if (fld == NULL || f->tlv[i].len < fld->min ||
		    f->tlv[i].len > fld->max)
			abort();
	}
}

/* Every getter on every tag of a frame that decoded. */
static void
frame_getters(const struct frame *f)
{
	char s[1025];
	uint32_t u;
	uint64_t v;

	for (uint16_t t = 0; t <= T_TAG_COUNT; t++) {
		(void)frame_get_u32(f, t, &u);
		(void)frame_get_u64(f, t, &v);
		(void)frame_get_str(f, t, s, sizeof(s));
		(void)frame_get_str(f, t, s, 8);
	}
}

/*
 * Queue as much of the input as the socket takes without blocking (a
 * client that sends more waits for the child to read), then end the
 * stream as a client hanging up does.
 */
static void
feed(int sock, const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	while (off < size &&
	    (n = send(sock, data + off, size - off,
		 MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	(void)shutdown(sock, SHUT_WR);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame f;
	struct buf in;
	const char *err;
	int sv[2], fds[4];
	size_t nfds;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	feed(sv[1], data, size);
	buf_init(&in, FRAME_MAX + 4);
	while (io_recv_frame(sv[0], &in, fds, 4, &nfds, 1000) == 1) {
		if (frame_decode(buf_ptr(&in) + 4, buf_left(&in) - 4, &f,
			&err) == -1)
			break;
		FUZZ_PASSED();
		frame_obeys_table(&f);
		(void)frame_dir_allowed(f.type, FRAME_TO_DAEMON);
		(void)frame_fds_allowed(f.type, nfds);
		frame_getters(&f);
	}
	buf_free(&in);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
