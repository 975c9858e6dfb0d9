/*
 * expiry.c: certificate lifetimes: when a certificate ends, how many days
 * are left, and the warnings csignd logs at start so that a renewal is
 * noticed in time (csign-admin shows the same figures).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "token/tokens_priv.h"

int
token_cert_not_after(const X509 *x, time_t *t)
{
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (na == NULL || ASN1_TIME_to_tm(na, &tm) != 1)
		return -1;
	*t = timegm(&tm);
	return 0;
}

void
token_time_str(time_t t, char buf[21])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 21, "unknown");
}

long
token_days_left(time_t t, time_t now)
{
	long long d = (long long)t - (long long)now;

	return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

enum cert_expiry
token_cert_expiry(time_t notafter, time_t now, unsigned days)
{
	if (notafter <= now)
		return CERT_EXPIRED;
	if ((long long)notafter - (long long)now < (long long)days * 86400)
		return CERT_EXPIRING;
	return CERT_VALID;
}

/*
 * Warn about each key whose certificate expired or expires within the
 * configured window, so that the renewal is noticed in time.
 */
void
tokens_warn_expiry(const struct tokens *t, unsigned days)
{
	time_t now = time(NULL);
	char when[21];

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct token_key *k = &t->keys[i];

		token_time_str(k->notafter, when);
		switch (token_cert_expiry(k->notafter, now, days)) {
		case CERT_EXPIRED:
			log_warnx("key %s: certificate EXPIRED on %s", k->name,
			    when);
			break;
		case CERT_EXPIRING:
			log_warnx("key %s: certificate expires in %ld days, "
				  "on %s",
			    k->name, token_days_left(k->notafter, now), when);
			break;
		case CERT_VALID:
			break;
		}
	}
}
