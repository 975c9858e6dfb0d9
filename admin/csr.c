/*
 * csr.c: csign-admin csr, a PKCS#10 request signed on the token by the
 * key it certifies, for a CA that wants proof that the key was made in
 * hardware and never left it.
 */
#include "admin/admin.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "token/p11admin.h"

#define RDN_MAX 256 /* longest type or value of one name component */

/*
 * Copy one "type=value" attribute of s, unescaping, up to an unescaped
 * '/' (next RDN), '+' (next attribute of the same, multi-valued RDN) or
 * the end, as openssl req -subj reads it.  A backslash takes the next
 * character literally; one at the very end is an error, as in OpenSSL.
 */
static const char *
rdn_next(const char *s, char *type, char *value, char *err, size_t errlen)
{
	char *dst = type;
	size_t n = 0;

	for (; *s != '\0' && *s != '/' && *s != '+'; s++) {
		if (*s == '=' && dst == type) {
			type[n] = '\0';
			dst = value;
			n = 0;
			continue;
		}
		if (*s == '\\' && *++s == '\0') {
			snprintf(err, errlen,
			    "subject: escape character at "
			    "the end");
			return NULL;
		}
		if (n + 1 == RDN_MAX) {
			snprintf(err, errlen, "subject: component too long");
			return NULL;
		}
		dst[n++] = *s;
	}
	dst[n] = '\0';
	if (dst == type || type[0] == '\0' || value[0] == '\0') {
		snprintf(err, errlen,
		    "subject: each component must be "
		    "TYPE=VALUE, as in /CN=name/O=org or /CN=a+UID=b");
		return NULL;
	}
	return s;
}

/*
 * Parse an openssl -subj string: "/T=V/T=V+T=V".  '+' joins attributes
 * into one multi-valued RDN; unknown types, empty values and stray
 * separators are refused rather than skipped (OpenSSL only warns and
 * drops them, which would sign a different subject than the one typed).
 */
X509_NAME *
adm_subject_parse(const char *s, char *err, size_t errlen)
{
	char type[RDN_MAX], value[RDN_MAX];
	X509_NAME *name;
	int set = 0;

	if (s[0] != '/' || s[1] == '\0') {
		snprintf(err, errlen,
		    "subject: must start with '/', as in "
		    "/CN=name/O=org");
		return NULL;
	}
	if ((name = X509_NAME_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*s == '/' || *s == '+') {
		/* set -1 adds to the previous RDN, 0 starts a new one. */
		set = *s == '+' ? -1 : 0;
		if ((s = rdn_next(s + 1, type, value, err, errlen)) == NULL)
			goto fail;
		if (X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
			(const unsigned char *)value, -1, -1, set) != 1) {
			snprintf(err, errlen,
			    "subject: unknown attribute type "
			    "or bad value for %s",
			    type);
			goto fail;
		}
	}
	return name;
fail:
	X509_NAME_free(name);
	ERR_clear_error();
	return NULL;
}

/* Ask for extendedKeyUsage purposes, "codeSigning" or a list. */
static int
csr_add_eku(X509_REQ *req, const char *eku, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	int r = -1;

	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, eku);
	if (exts == NULL || ext == NULL) {
		snprintf(err, errlen,
		    "--eku %s: unknown purpose (such as "
		    "codeSigning, or an OID)",
		    eku);
		goto out;
	}
	if (sk_X509_EXTENSION_push(exts, ext) == 0) {
		X509_EXTENSION_free(ext);
		goto out;
	}
	if (X509_REQ_add_extensions(req, exts) == 1)
		r = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return r;
}

/*
 * Build and sign the request with the token key, then verify it with the
 * token's public key: a request that does not verify is never written.
 */
static X509_REQ *
csr_build(const struct adm_opts *o, const struct p11a_key *k, char *err,
    size_t errlen)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name;
	const EVP_MD *md;

	err[0] = '\0';
	md = EVP_PKEY_get_bits(k->pub) > 256 &&
		EVP_PKEY_get_base_id(k->pub) == EVP_PKEY_EC
	    ? EVP_sha384()
	    : EVP_sha256();
	if (req == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((name = adm_subject_parse(o->subject, err, errlen)) == NULL)
		goto fail;
	if (X509_REQ_set_subject_name(req, name) != 1) {
		X509_NAME_free(name);
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	X509_NAME_free(name);
	if (X509_REQ_set_pubkey(req, k->pub) != 1 ||
	    (o->eku != NULL && csr_add_eku(req, o->eku, err, errlen) == -1))
		goto fail;
	if (X509_REQ_sign(req, k->priv, md) <= 0) {
		snprintf(err, errlen,
		    "signing the request on the token "
		    "failed");
		goto fail;
	}
	if (X509_REQ_verify(req, k->pub) != 1) {
		snprintf(err, errlen,
		    "the signed request does not verify "
		    "with the token's public key; not written");
		goto fail;
	}
	return req;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot build the request");
	X509_REQ_free(req);
	ERR_clear_error();
	return NULL;
}

/* Write the request as PEM to o->out, or to stdout. */
static int
csr_write(const struct adm_opts *o, X509_REQ *req, const struct p11a_key *k)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char err[ADM_ERR_MAX], fpr[65], type[32];
	char *p;
	long len;
	int rc = ADM_FAIL;

	if (mem == NULL || PEM_write_bio_X509_REQ(mem, req) != 1 ||
	    (len = BIO_get_mem_data(mem, &p)) <= 0) {
		adm_fail(ADM_FAIL, "cannot encode the request");
		goto out;
	}
	if (o->out == NULL || strcmp(o->out, "-") == 0) {
		if (fwrite(p, 1, (size_t)len, stdout) == (size_t)len)
			rc = ADM_OK;
		goto out;
	}
	if (adm_write_file(o->out, p, (size_t)len, 0644, err, sizeof(err)) ==
	    -1) {
		adm_fail(ADM_FAIL, "%s", err);
		goto out;
	}
	if (p11a_spki_sha256(k->pub, fpr) == -1)
		snprintf(fpr, sizeof(fpr), "unknown");
	printf("wrote %s: request for %s key \"%s\"\n    spki-sha256 %s\n",
	    o->out, adm_key_type(k->pub, type, sizeof(type)), o->key, fpr);
	rc = ADM_OK;
out:
	BIO_free(mem);
	return rc;
}

int
adm_cmd_csr(struct adm_opts *o)
{
	char err[ADM_ERR_MAX] = "";
	const struct cfg_token *ct;
	struct config *cfg;
	struct p11a *a = NULL;
	struct p11a_key k = { .priv = NULL };
	X509_REQ *req = NULL;
	int rc = ADM_FAIL;

	if ((cfg = adm_config(o)) == NULL)
		return ADM_FAIL;
	if ((ct = adm_token(cfg, o->token)) == NULL)
		goto out;
	if ((a = p11a_open(ct, 0, err, sizeof(err))) == NULL ||
	    p11a_find_key(a, o->key, &k, err, sizeof(err)) == -1 ||
	    (req = csr_build(o, &k, err, sizeof(err))) == NULL) {
		adm_fail(ADM_FAIL, "%s", err);
		goto out;
	}
	rc = csr_write(o, req, &k);
out:
	X509_REQ_free(req);
	p11a_key_clear(&k);
	p11a_close(a);
	config_free(cfg);
	return rc;
}
