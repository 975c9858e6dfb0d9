/*
 * confopenpgp.c: a Key's OpenPGP identity in csignd.conf(5).  A v4 key's
 * fingerprint covers its creation time, so the time is fixed here once:
 * every signature and every export of the key then names the same key.
 */
#include "records/confparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"

/* OpenPGPUserID "Name <mail>": UTF-8 text, no control characters. */
int
conf_kw_pgp_uid(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);
	size_t n = strlen(p->av[0]);

	if (n == 0 || n > PGP_UID_MAX || !utf8_text_valid(p->av[0], n))
		return conf_perr(p,
		    "bad OpenPGPUserID: expected 1 to %d bytes of "
		    "UTF-8 text without control characters, as \"Name "
		    "<mail>\"",
		    PGP_UID_MAX);
	memcpy(k->pgp_uid, p->av[0], n + 1);
	return 0;
}

/* n digits at s, as a number; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
conf_parse_rfc3339(const char *s, uint32_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se, leap;
	time_t t;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if ((y = digits(s, 4)) < 1970 || (mo = digits(s + 5, 2)) < 1 ||
	    mo > 12 || (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 ||
	    (se = digits(s + 17, 2)) < 0 || se > 59)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	/* OpenPGP keeps it in 32 bits; 0 would read as "unset". */
	if ((t = timegm(&tm)) <= 0 || (unsigned long long)t > UINT32_MAX)
		return -1;
	*out = (uint32_t)t;
	return 0;
}

/* OpenPGPCreated 2026-01-01T00:00:00Z: the key's creation time, UTC. */
int
conf_kw_pgp_created(struct parser *p)
{
	struct cfg_key *k = conf_scope_base(p, SC_KEY);

	if (conf_parse_rfc3339(p->av[0], &k->pgp_created) == -1)
		return conf_perr(p,
		    "bad OpenPGPCreated '%s': expected an RFC 3339 UTC "
		    "time as YYYY-MM-DDTHH:MM:SSZ, from 1970-01-01T00:00:01Z "
		    "to 2106-02-07T06:28:15Z",
		    p->av[0]);
	return 0;
}
