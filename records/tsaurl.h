/*
 * tsaurl: the URL of an RFC 3161 time-stamp authority, as a Timestamp line
 * of csignd.conf(5) gives it.  Only plain HTTP: a timestamp token is signed
 * by the TSA and checked by the session child, so transport security adds
 * nothing that the token's own checks do not give, and keeping TLS out of
 * the sandbox keeps its attack surface small.
 */
#ifndef CSIGN_TSAURL_H
#define CSIGN_TSAURL_H

#include <stddef.h>

#include "proto/names.h"

#define TSA_URL_MAX 512
#define TSA_HOST_MAX 255
#define TSA_PATH_MAX 400

struct tsa_url {
	char url[TSA_URL_MAX + 1];	 /* as configured, for messages */
	char host[TSA_HOST_MAX + 1];	 /* name or address, no brackets */
	char port[6];			 /* decimal, "80" by default */
	char hostport[TSA_HOST_MAX + 9]; /* the Host header's value */
	char path[TSA_PATH_MAX + 1];	 /* "/" when the URL has none */
};

/*
 * Parse "http://HOST[:PORT][/PATH]" (HOST a name, an IPv4 address or an
 * IPv6 address in brackets) into u.  -1 with why set if it is not one.
 */
int tsaurl_parse(const char *s, struct tsa_url *u, char *why, size_t whylen);

#endif
