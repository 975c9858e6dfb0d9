/*
 * fuzz_msg: child <-> monitor messages.  The monitor decodes what a
 * (possibly compromised) child sends; the child decodes the monitor's
 * replies.  Every decoder gets every input.
 */
#include <stdint.h>

#include "proto/buf.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one decoder on a fresh view of the input. */
#define DECODE(fn, m)                                   \
	do {                                            \
		struct buf b;                           \
		buf_view(&b, data, size);               \
		(void)fn(&b, &(m));                     \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_sign sign;
	static struct msg_sign_reply sreply;
	static struct msg_keyinfo_reply kreply;
	struct msg_session session;
	struct msg_keyinfo kinfo;
	struct msg_query query;
	struct msg_log log;
	struct msg_sign_held held;
	struct msg_approval appr;
	struct msg_held_result result;
	struct msg_upload upload;
	struct msg_upload_reply ureply;
	struct msg_progress progress;
	const uint8_t *p;
	size_t len;
	struct buf b;
	uint16_t type;

	buf_view(&b, data, size);
	(void)msg_type_of(&b, &type);
	DECODE(msg_dec_session, session);
	DECODE(msg_dec_keyinfo, kinfo);
	DECODE(msg_dec_keyinfo_reply, kreply);
	DECODE(msg_dec_sign, sign);
	DECODE(msg_dec_sign_reply, sreply);
	DECODE(msg_dec_query, query);
	DECODE(msg_dec_log, log);
	DECODE(msg_dec_sign_held, held);
	DECODE(msg_dec_approval, appr);
	DECODE(msg_dec_held_result, result);
	DECODE(msg_dec_upload, upload);
	DECODE(msg_dec_upload_reply, ureply);
	DECODE(msg_dec_progress, progress);
	buf_view(&b, data, size);
	(void)msg_dec_empty(&b);
	buf_view(&b, data, size);
	(void)msg_dec_query_reply(&b, &p, &len);
	return 0;
}
