/*
 * resolve: the answer of the lookup process to the monitor.
 *
 * The monitor parses no bytes from the network, so TSA names are resolved
 * by a process of their own: the sandbox program started as
 * "csign-sandbox ... -R HOST", as the SandboxUser with no capabilities
 * (sandbox/resolve.c).  It calls getaddrinfo() and sends one
 * SOCK_SEQPACKET datagram of exactly RESOLVE_REPLY_LEN bytes:
 *
 *   u16 version        RESOLVE_VERSION
 *   u8  status         enum resolve_status
 *   u8  count          addresses that follow: 1..RESOLVE_ADDRS_MAX with
 *                      RES_OK, 0 otherwise
 *   RESOLVE_ADDRS_MAX times:
 *       u8  family     4 or 6 for the first count slots, 0 after them
 *       16  bytes      the address (IPv4 in the first 4, the rest 0);
 *                      all 0 in an unused slot
 *
 * No port: the monitor connects to the port of its own configured URL.
 * The decoder takes nothing it does not understand: a wrong version, an
 * unknown status or family, a count out of range, a stray non-zero byte
 * or a length other than RESOLVE_REPLY_LEN is an error.
 */
#ifndef CSIGN_RESOLVE_H
#define CSIGN_RESOLVE_H

#include <stdint.h>

#include "proto/buf.h"

#define RESOLVE_VERSION 1
#define RESOLVE_ADDRS_MAX 8
#define RESOLVE_ADDR_LEN 16
#define RESOLVE_REPLY_LEN (4 + RESOLVE_ADDRS_MAX * (1 + RESOLVE_ADDR_LEN))

enum resolve_status {
	RES_OK = 0,
	RES_NONAME, /* no such name, or no address for it */
	RES_AGAIN,  /* temporary failure in name resolution */
	RES_FAIL,   /* any other failure */
	RES_COUNT
};

struct resolve_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[RESOLVE_ADDR_LEN];
};

struct resolve_reply {
	uint8_t status; /* enum resolve_status */
	uint8_t count;
	struct resolve_addr a[RESOLVE_ADDRS_MAX];
};

/* Encode r (unused slots written as zeros): 0, or -1 if r is not valid. */
int resolve_enc(struct buf *b, const struct resolve_reply *r);
/* Decode exactly one answer from b's unread bytes: 0, or -1. */
int resolve_dec(struct buf *b, struct resolve_reply *r);
/* "no such name" and so on, for messages. */
const char *resolve_status_text(int status);

#endif
