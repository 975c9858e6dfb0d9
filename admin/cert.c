/*
 * cert.c: csign-admin import-cert and show-cert.  A certificate is
 * imported only for the key whose public key it certifies: the check is
 * against the public key the token reports, never against names or ids.
 */
#include "admin/admin.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/certfile.h"
#include "proto/sigcheck.h"
#include "common/util.h"
#include "token/p11admin.h"
#include "token/token.h"

#define CHAIN_MAX 8	     /* chain certificates stored on a token */
#define DEFAULT_WARN_DAYS 30 /* CertificateExpiryWarning's default */

int
adm_cert_belongs(const char *label, const uint8_t *id, size_t idlen,
    const void *owner)
{
	const struct adm_cert_owner *ow = owner;
	size_t n = strlen(ow->label);

	if (ow->idlen > 0 && idlen == ow->idlen &&
	    memcmp(id, ow->id, idlen) == 0)
		return 1;
	if (strcmp(label, ow->label) == 0)
		return 1;
	/* "LABEL-caN": a chain certificate stored with the key's. */
	if (strncmp(label, ow->label, n) != 0 ||
	    strncmp(label + n, "-ca", 3) != 0 || label[n + 3] == '\0')
		return 0;
	for (const char *p = label + n + 3; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

int
adm_chain_check(X509 *leaf, STACK_OF(X509) *chain, char *err, size_t errlen)
{
	X509 *child = leaf;

	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *issuer = sk_X509_value(chain, i);
		EVP_PKEY *ipub = X509_get0_pubkey(issuer);

		if (X509_check_issued(issuer, child) != X509_V_OK ||
		    ipub == NULL || X509_verify(child, ipub) != 1) {
			snprintf(err, errlen,
			    "chain certificate %d did not "
			    "issue the %s",
			    i + 1,
			    i == 0 ? "certificate"
				   : "chain certificate before it");
			ERR_clear_error();
			return -1;
		}
		child = issuer;
	}
	return 0;
}

/* The extended key usages of x, short names, into dst. */
static const char *
eku_text(X509 *x, char *dst, size_t dstlen)
{
	EXTENDED_KEY_USAGE *eku =
	    X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	size_t n = 0;
	char oid[80];

	dst[0] = '\0';
	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *ob = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(ob);

		if (nid == NID_undef)
			OBJ_obj2txt(oid, sizeof(oid), ob, 1);
		n += (size_t)snprintf(dst + n, n < dstlen ? dstlen - n : 0,
		    "%s%s", i ? ", " : "",
		    nid != NID_undef ? OBJ_nid2sn(nid) : oid);
		if (n >= dstlen)
			break;
	}
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return dst[0] != '\0' ? dst : "-";
}

/* "2027-01-01T00:00:00Z (340 days left)", marked near or past expiry. */
static void
print_not_after(FILE *fp, X509 *x, unsigned warn_days)
{
	time_t na, now = time(NULL);
	char when[21];
	long days;

	if (token_cert_not_after(x, &na) == -1) {
		fprintf(fp, "    not-after   (unreadable)\n");
		return;
	}
	token_time_str(na, when);
	days = token_days_left(na, now);
	switch (token_cert_expiry(na, now, warn_days)) {
	case CERT_EXPIRED:
		fprintf(fp, "    not-after   %s (EXPIRED)\n", when);
		break;
	case CERT_EXPIRING:
		fprintf(fp,
		    "    not-after   %s (%ld days left: EXPIRES "
		    "SOON)\n",
		    when, days);
		break;
	case CERT_VALID:
		fprintf(fp, "    not-after   %s (%ld days left)\n", when, days);
		break;
	}
}

/* The serial number in hex. */
static void
print_serial(FILE *fp, X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	fprintf(fp, "    serial      %s\n", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

void
adm_print_cert(FILE *fp, X509 *x, unsigned warn_days)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	unsigned char *der = NULL;
	uint8_t kid[P11A_KEY_ID_LEN];
	char buf[512], fpr[65], type[32];
	struct tm tm;
	int len;

	fprintf(fp, "    subject     %s\n",
	    X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf)));
	fprintf(fp, "    issuer      %s\n",
	    X509_NAME_oneline(X509_get_issuer_name(x), buf, sizeof(buf)));
	print_serial(fp, x);
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1) {
		token_time_str(timegm(&tm), buf);
		fprintf(fp, "    not-before  %s\n", buf);
	}
	print_not_after(fp, x, warn_days);
	if ((len = i2d_X509(x, &der)) > 0 &&
	    util_sha256_hex(der, (size_t)len, fpr) == 0)
		fprintf(fp, "    sha256      %s\n", fpr);
	OPENSSL_free(der);
	if (pub != NULL && p11a_spki_sha256(pub, fpr) == 0)
		fprintf(fp, "    spki-sha256 %s\n", fpr);
	if (pub != NULL && p11a_key_id(pub, kid) == 0) {
		util_hex(kid, sizeof(kid), buf, sizeof(buf));
		fprintf(fp, "    key-id      %s\n", buf);
	}
	fprintf(fp, "    type        %s\n",
	    adm_key_type(pub, type, sizeof(type)));
	fprintf(fp, "    eku         %s\n", eku_text(x, buf, sizeof(buf)));
	ERR_clear_error();
}

/* How many certificates a chain has (none if there is no chain). */
static int
chain_len(STACK_OF(X509) *chain)
{
	return chain != NULL ? sk_X509_num(chain) : 0;
}

/* The certificate and its chain as PEM, back to back, into a new BIO. */
static BIO *
pem_bundle(X509 *x, STACK_OF(X509) *chain)
{
	BIO *mem = BIO_new(BIO_s_mem());

	if (mem == NULL || PEM_write_bio_X509(mem, x) != 1)
		goto fail;
	for (int i = 0; i < chain_len(chain); i++)
		if (PEM_write_bio_X509(mem, sk_X509_value(chain, i)) != 1)
			goto fail;
	return mem;
fail:
	BIO_free(mem);
	return NULL;
}

/* Write the certificate and its chain to o->out. */
static int
import_to_file(const struct adm_opts *o, X509 *x, STACK_OF(X509) *chain)
{
	char err[ADM_ERR_MAX];
	BIO *mem = pem_bundle(x, chain);
	char *p;
	long len;
	int rc = ADM_OK;

	if (mem == NULL || (len = BIO_get_mem_data(mem, &p)) <= 0)
		rc = adm_fail(ADM_FAIL, "cannot encode the certificate");
	else if (adm_write_file(o->out, p, (size_t)len, 0644, err,
		     sizeof(err)) == -1)
		rc = adm_fail(ADM_FAIL, "%s", err);
	else
		printf("wrote %s: the certificate and %d chain "
		       "certificate%s\n",
		    o->out, chain_len(chain), chain_len(chain) == 1 ? "" : "s");
	BIO_free(mem);
	return rc;
}

/* Store the chain as "LABEL-ca1", "LABEL-ca2", ... without an id. */
static int
store_chain(struct p11a *a, const char *label, STACK_OF(X509) *chain, char *err,
    size_t errlen)
{
	char cl[KEY_NAME_MAX + 16];

	for (int i = 0; i < chain_len(chain); i++) {
		snprintf(cl, sizeof(cl), "%s-ca%d", label, i + 1);
		if (p11a_store_cert(a, sk_X509_value(chain, i), cl, NULL, 0,
			err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Store the certificate with the key's label and id (and the chain after
 * it).  Certificates the key already has are replaced only if asked.
 */
static int
import_to_token(struct p11a *a, const struct adm_opts *o, X509 *x,
    STACK_OF(X509) *chain, const struct p11a_key *k)
{
	struct adm_cert_owner own = { o->key, k->id, k->idlen };
	char err[ADM_ERR_MAX], old[256], text[256];
	size_t removed = 0;
	int n;

	if (o->replace) {
		if (p11a_remove_certs(a, adm_cert_belongs, &own, &removed, err,
			sizeof(err)) == -1)
			return adm_fail(ADM_FAIL, "%s", err);
	} else if ((n = p11a_find_certs(a, adm_cert_belongs, &own, old,
			sizeof(old), err, sizeof(err))) != 0) {
		if (n == -1)
			return adm_fail(ADM_FAIL, "%s", err);
		return adm_fail(ADM_FAIL,
		    "token %s already holds certificate "
		    "\"%s\" of key \"%s\"; use --replace to replace it",
		    o->token, adm_clean(old, text, sizeof(text)), o->key);
	}
	if (p11a_store_cert(a, x, o->key, k->id, k->idlen, err, sizeof(err)) ==
		-1 ||
	    store_chain(a, o->key, chain, err, sizeof(err)) == -1)
		return adm_fail(ADM_FAIL, "%s", err);
	printf("stored on token %s as \"%s\" with the key's id, and %d "
	       "chain certificate%s",
	    o->token, o->key, chain_len(chain),
	    chain_len(chain) == 1 ? "" : "s");
	if (removed > 0)
		printf("; replaced %zu old certificate%s", removed,
		    removed == 1 ? "" : "s");
	putchar('\n');
	return ADM_OK;
}

/* Load the certificate and the chain, and check that they link up. */
static int
import_load(const struct adm_opts *o, X509 **x, STACK_OF(X509) **chain)
{
	char err[ADM_ERR_MAX];

	if ((*x = certfile_load(o->operand, err, sizeof(err))) == NULL)
		return adm_fail(ADM_FAIL, "%s", err);
	if (o->chain == NULL)
		return ADM_OK;
	if ((*chain = certfile_load_chain(o->chain, err, sizeof(err))) == NULL)
		return adm_fail(ADM_FAIL, "%s", err);
	if (sk_X509_num(*chain) > CHAIN_MAX)
		return adm_fail(ADM_FAIL, "%s: more than %d certificates",
		    o->chain, CHAIN_MAX);
	if (adm_chain_check(*x, *chain, err, sizeof(err)) == -1)
		return adm_fail(ADM_FAIL, "%s: %s", o->chain, err);
	return ADM_OK;
}

/* Refuse a certificate that is not for the token key, saying whose. */
static int
import_match(const struct adm_opts *o, X509 *x, const struct p11a_key *k)
{
	char want[65], got[65];

	if (EVP_PKEY_eq(X509_get0_pubkey(x), k->pub) == 1)
		return ADM_OK;
	ERR_clear_error();
	if (p11a_spki_sha256(k->pub, want) == -1)
		snprintf(want, sizeof(want), "?");
	if (X509_get0_pubkey(x) == NULL ||
	    p11a_spki_sha256(X509_get0_pubkey(x), got) == -1)
		snprintf(got, sizeof(got), "?");
	return adm_fail(ADM_MISMATCH,
	    "%s does not certify key \"%s\" of "
	    "token %s: its public key (spki-sha256 %s) is not the key's "
	    "(spki-sha256 %s); nothing imported",
	    o->operand, o->key, o->token, got, want);
}

int
adm_cmd_import_cert(struct adm_opts *o)
{
	char err[ADM_ERR_MAX];
	STACK_OF(X509) *chain = NULL;
	const struct cfg_token *ct;
	struct config *cfg = NULL;
	struct p11a *a = NULL;
	struct p11a_key k = { .priv = NULL };
	X509 *x = NULL;
	int rc;

	if ((rc = import_load(o, &x, &chain)) != ADM_OK)
		goto out;
	rc = ADM_FAIL;
	if ((cfg = adm_config(o)) == NULL ||
	    (ct = adm_token(cfg, o->token)) == NULL)
		goto out;
	if ((a = p11a_open(ct, o->to_token, err, sizeof(err))) == NULL ||
	    p11a_find_key(a, o->key, &k, err, sizeof(err)) == -1) {
		adm_fail(ADM_FAIL, "%s", err);
		goto out;
	}
	if ((rc = import_match(o, x, &k)) != ADM_OK)
		goto out;
	printf("%s certifies key \"%s\" of token %s\n", o->operand, o->key,
	    o->token);
	adm_print_cert(stdout, x, cfg->cert_warn_days);
	if (o->to_token)
		rc = import_to_token(a, o, x, chain, &k);
	else if (o->out != NULL)
		rc = import_to_file(o, x, chain);
	if (rc == ADM_OK && X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		adm_fail(ADM_OK, "warning: %s has expired", o->operand);
out:
	p11a_key_clear(&k);
	p11a_close(a);
	config_free(cfg);
	sk_X509_pop_free(chain, X509_free);
	X509_free(x);
	return rc;
}

int
adm_cmd_show_cert(struct adm_opts *o)
{
	char err[ADM_ERR_MAX], text[256];
	unsigned warn = DEFAULT_WARN_DAYS;
	struct config *cfg;
	X509 *x;

	if (o->config_given) {
		if ((cfg = adm_config(o)) == NULL)
			return ADM_FAIL;
		warn = cfg->cert_warn_days;
		config_free(cfg);
	}
	if ((x = certfile_load(o->operand, err, sizeof(err))) == NULL)
		return adm_fail(ADM_FAIL, "%s", err);
	printf("certificate %s\n", adm_clean(o->operand, text, sizeof(text)));
	adm_print_cert(stdout, x, warn);
	X509_free(x);
	return ADM_OK;
}
