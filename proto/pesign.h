/*
 * The pesign daemon protocol, as pesign-client (0.112 on Debian 12 and the
 * newer ones) speaks it: csignd's pesign listener decodes it here and
 * nowhere else.
 *
 * Every message is a 12-byte header of three host-order u32 (version
 * PESIGN_MAGIC, command, payload size) followed by exactly size payload
 * bytes.  A string in a payload is a u32 length that counts the NUL, then
 * the bytes and the NUL.  Payloads:
 *   KILL_DAEMON                -
 *   UNLOCK_TOKEN               token, PIN (csignd never uses nor keeps it)
 *   SIGN_ATTACHED, _DETACHED   token, certificate (PE only)
 *   IS_TOKEN_UNLOCKED          token
 *   GET_CMD_VERSION            u32 command
 *   SIGN_*_WITH_FILE_TYPE      u32 file type (0 PE, 1 kernel module),
 *                              token, certificate
 * After a sign payload the client sends two messages of 2 bytes, each
 * with one descriptor (SCM_RIGHTS): the input, then the output.  Every
 * request is answered by one RESPONSE: the header, an i32 rc (< 0 is a
 * failure) and an optional NUL-terminated message; the client reads it
 * with one recvmsg of at most 1023 bytes.
 *
 * The decoders check every length against what arrived, require the NUL
 * where the protocol puts it and nowhere else, refuse control characters
 * and invalid UTF-8 in names, and require that nothing is left over.
 */
#ifndef CSIGN_PESIGN_H
#define CSIGN_PESIGN_H

#include <stddef.h>
#include <stdint.h>

#define PESIGN_MAGIC 0x2a9edaf0u
#define PESIGN_HDR_LEN 12
#define PESIGN_PAYLOAD_MAX 4096 /* two names, or a name and a PIN */
#define PESIGN_NAME_MAX 1024	/* a token or certificate name */
#define PESIGN_REPLY_MAX 1023	/* what the client reads at once */
#define PESIGN_FD_MSG_LEN 2	/* the message each descriptor rides */

enum pesign_cmd {
	PESIGN_KILL_DAEMON = 0,
	PESIGN_UNLOCK_TOKEN = 1,
	PESIGN_SIGN_ATTACHED = 2,
	PESIGN_SIGN_DETACHED = 3,
	PESIGN_RESPONSE = 4,
	PESIGN_IS_TOKEN_UNLOCKED = 5,
	PESIGN_GET_CMD_VERSION = 6,
	PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE = 7,
	PESIGN_SIGN_DETACHED_WITH_FILE_TYPE = 8,
	PESIGN_CMD_COUNT
};

enum pesign_file_type {
	PESIGN_FT_PE = 0,
	PESIGN_FT_MODULE = 1
};

struct pesign_hdr {
	uint32_t version;
	uint32_t command;
	uint32_t size;
};

struct pesign_req {
	uint32_t command;
	uint32_t asked; /* GET_CMD_VERSION: the command */
	int sign;	/* one of the four sign commands */
	int attached;	/* sign: 1 attached, 0 detached */
	int file_type;	/* sign: enum pesign_file_type */
	char token[PESIGN_NAME_MAX + 1];
	char cert[PESIGN_NAME_MAX + 1];
};

/* The command's name ("sign-attached"...), or "unknown". */
const char *pesign_cmd_name(uint32_t command);

/*
 * 1 if s is a name the decoders accept: 1 to PESIGN_NAME_MAX bytes of
 * UTF-8 without control characters (the monitor checks the child's).
 */
int pesign_name_valid(const char *s);

/*
 * Decode a header: 0, or -1 with err set (a wrong version, a command the
 * protocol does not have or that a client may not send, a payload over
 * PESIGN_PAYLOAD_MAX).
 */
int pesign_hdr_decode(const uint8_t p[PESIGN_HDR_LEN], struct pesign_hdr *h,
    char *err, size_t errlen);

/*
 * Decode the payload p[0..len) of command into r: 0, or -1 with err set.
 * The PIN of UNLOCK_TOKEN is skipped over, never copied.
 */
int pesign_req_decode(uint32_t command, const uint8_t *p, size_t len,
    struct pesign_req *r, char *err, size_t errlen);

/*
 * Encode a RESPONSE with rc and msg (NULL: none; cut so that the whole
 * reply fits PESIGN_REPLY_MAX) into dst: its length, or 0 if dst is too
 * small.
 */
size_t pesign_reply_encode(uint8_t *dst, size_t dstlen, int32_t rc,
    const char *msg);

/*
 * Encode a request (the client side, for tests and the raw test client):
 * the header and payload into dst; its length, or 0 if dst is too small.
 * names[] are the payload's strings (token, certificate or PIN), in order.
 */
size_t pesign_req_encode(uint8_t *dst, size_t dstlen, uint32_t command,
    const uint32_t *word, const char *const *names, size_t nnames);

#endif
