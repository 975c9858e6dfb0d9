/* certfile.c: certificates read from files (see certfile.h). */
#include "common/certfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

X509 *
certfile_load(const char *path, char *err, size_t errlen)
{
	X509 *x = NULL;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (x == NULL) {
		ERR_clear_error();
		rewind(f);
		x = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	ERR_clear_error();
	if (x == NULL)
		snprintf(err, errlen, "%s: not a certificate (PEM or DER)",
		    path);
	return x;
}

STACK_OF(X509) *
certfile_load_chain(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *x;
	FILE *f;

	if (chain == NULL || (f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    chain == NULL ? "out of memory" : strerror(errno));
		sk_X509_free(chain);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(chain, x) == 0) {
			X509_free(x);
			break;
		}
	fclose(f);
	ERR_clear_error();
	if (sk_X509_num(chain) == 0) {
		snprintf(err, errlen, "%s: no PEM certificates", path);
		sk_X509_pop_free(chain, X509_free);
		return NULL;
	}
	return chain;
}
