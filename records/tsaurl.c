/* tsaurl.c: parsing the URLs of Timestamp lines (see tsaurl.h). */
#include "records/tsaurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Characters allowed in a host name or address (brackets removed). */
static int
host_ok(const char *h, int bracketed)
{
	if (*h == '\0')
		return 0;
	for (; *h != '\0'; h++) {
		if ((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '-' || *h == '.')
			continue;
		if (bracketed && *h == ':')
			continue;
		return 0;
	}
	return 1;
}

/* Printable ASCII without blanks: what may go on the request line. */
static int
path_ok(const char *p)
{
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* Split the authority a[0..len) into host and port. */
static int
split_authority(const char *a, size_t len, struct tsa_url *u, char *why,
    size_t whylen)
{
	const char *end = a + len, *colon = NULL, *hs = a, *he;
	int bracketed = 0;

	if (len > 0 && a[0] == '[') {
		if ((he = memchr(a, ']', len)) == NULL)
			return snprintf(why, whylen,
				   "unclosed '[' in the host"),
			       -1;
		hs = a + 1;
		bracketed = 1;
		if (he + 1 < end && he[1] != ':')
			return snprintf(why, whylen, "junk after ']'"), -1;
		colon = he + 1 < end ? he + 1 : NULL;
	} else {
		colon = memchr(a, ':', len);
		he = colon != NULL ? colon : end;
	}
	if ((size_t)(he - hs) > TSA_HOST_MAX)
		return snprintf(why, whylen, "host name too long"), -1;
	memcpy(u->host, hs, (size_t)(he - hs));
	u->host[he - hs] = '\0';
	if (!host_ok(u->host, bracketed))
		return snprintf(why, whylen, "bad host '%s'", u->host), -1;
	snprintf(u->port, sizeof(u->port), "80");
	if (colon != NULL) {
		size_t n = (size_t)(end - colon - 1);
		char digits[8], *e;
		long port;

		if (n == 0 || n > 5)
			return snprintf(why, whylen, "bad port"), -1;
		memcpy(digits, colon + 1, n);
		digits[n] = '\0';
		port = strtol(digits, &e, 10);
		if (*e != '\0' || digits[0] == '-' || digits[0] == '+' ||
		    port < 1 || port > 65535)
			return snprintf(why, whylen, "bad port '%s'", digits),
			       -1;
		snprintf(u->port, sizeof(u->port), "%ld", port);
	}
	/* The Host header: as written in the URL, brackets and port kept. */
	memcpy(u->hostport, a, len);
	u->hostport[len] = '\0';
	return 0;
}

int
tsaurl_parse(const char *s, struct tsa_url *u, char *why, size_t whylen)
{
	static const char scheme[] = "http://";
	const char *a, *slash;
	size_t alen;

	memset(u, 0, sizeof(*u));
	if (strlen(s) > TSA_URL_MAX)
		return snprintf(why, whylen, "URL too long (max %d bytes)",
			   TSA_URL_MAX),
		       -1;
	if (strncasecmp(s, "https://", 8) == 0)
		return snprintf(why, whylen,
			   "https is not supported: the "
			   "timestamp token is signed and checked, use http://"),
		       -1;
	if (strncasecmp(s, scheme, sizeof(scheme) - 1) != 0)
		return snprintf(why, whylen, "not an http:// URL"), -1;
	a = s + sizeof(scheme) - 1;
	slash = strchr(a, '/');
	alen = slash != NULL ? (size_t)(slash - a) : strlen(a);
	if (alen == 0)
		return snprintf(why, whylen, "no host"), -1;
	if (memchr(a, '@', alen) != NULL)
		return snprintf(why, whylen,
			   "user information is not "
			   "supported"),
		       -1;
	if (split_authority(a, alen, u, why, whylen) == -1)
		return -1;
	snprintf(u->path, sizeof(u->path), "%s", slash != NULL ? slash : "/");
	if (strlen(slash != NULL ? slash : "/") > TSA_PATH_MAX ||
	    !path_ok(u->path) || strchr(u->path, '#') != NULL)
		return snprintf(why, whylen, "bad path"), -1;
	snprintf(u->url, sizeof(u->url), "%s", s);
	return 0;
}
