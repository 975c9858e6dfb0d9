/*
 * twostep.c: the formats signed in two steps (formats.h), behind one
 * interface: module, pe, cms, raw, ima, verity, openpgp and
 * openpgp-clear.  A batch's session runs the steps of two requests
 * interleaved (sandbox/pipeline.c); any other request runs both around
 * its one signature (format_two_step_sign(), every format's builder).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "sandbox/artifact.h"
#include "sandbox/formats/formats.h"

int
format_hash_artifact(const struct sign_input *in, struct sign_output *out)
{
	struct artifact_err e;

	/* The size artifact_check() found: no second fstat. */
	if (artifact_hash(in->fd, in->fd_is_file ? (int64_t)in->size : -1,
		in->digest, in->max_size, out->adigest, &out->adigestlen,
		&out->size, &e) == -1)
		return sign_fail(out, ST_BAD_ARTIFACT, "%s", e.msg);
	return 0;
}

/* What the key signs, copied into j once the first step is done. */
static int
job_tbs(struct format_job *j, struct sign_output *out, const uint8_t *tbs,
    size_t tbslen)
{
	if (tbslen > sizeof(j->tbs))
		return sign_fail(out, ST_INTERNAL, "digest too large");
	memcpy(j->tbs, tbs, tbslen);
	j->tbslen = tbslen;
	return 0;
}

int
format_job_begin(const struct sign_input *in, struct sign_output *out,
    struct format_job *j)
{
	memset(j, 0, sizeof(*j));
	j->format = in->format;
	j->begun = 1;
	switch (in->format) {
	case FMT_MODULE:
		if (module_begin(in, out, &j->u.module) == -1)
			return -1;
		return job_tbs(j, out, out->adigest, out->adigestlen);
	case FMT_PE:
		return pe_begin(in, out, &j->u.pe, j->tbs, &j->tbslen);
	case FMT_CMS:
		return cms_begin(in, out, &j->u.cms, j->tbs, &j->tbslen);
	case FMT_RAW:
		if (raw_begin(in, out) == -1)
			return -1;
		return job_tbs(j, out, out->adigest, out->adigestlen);
	case FMT_IMA:
		if (ima_begin(in, out, j->u.ima_keyid) == -1)
			return -1;
		return job_tbs(j, out, out->adigest, out->adigestlen);
	case FMT_VERITY:
		if (verity_begin(in, out, &j->u.cms.cms) == -1)
			return -1;
		return job_tbs(j, out, out->adigest, out->adigestlen);
	case FMT_OPENPGP:
	case FMT_OPENPGP_CLEAR:
		return openpgp_begin(in, out, &j->u.openpgp, j->tbs,
		    &j->tbslen);
	default:
		j->begun = 0;
		return sign_fail(out, ST_INTERNAL,
		    "format not signed in two steps");
	}
}

int
format_job_end(const struct sign_input *in, struct sign_output *out,
    struct format_job *j, const uint8_t *sig, size_t siglen)
{
	switch (j->format) {
	case FMT_MODULE:
		return module_end(in, out, &j->u.module, sig, siglen);
	case FMT_PE:
		return pe_end(in, out, &j->u.pe, sig, siglen);
	case FMT_CMS:
		return cms_end(in, out, &j->u.cms, sig, siglen);
	case FMT_RAW:
		return raw_end(out, sig, siglen);
	case FMT_IMA:
		return ima_end(in, out, j->u.ima_keyid, sig, siglen);
	case FMT_VERITY:
		return verity_end(out, j->u.cms.cms, sig, siglen);
	case FMT_OPENPGP:
	case FMT_OPENPGP_CLEAR:
		return openpgp_end(in, out, &j->u.openpgp, j->tbs, sig, siglen);
	default:
		return sign_fail(out, ST_INTERNAL,
		    "format not signed in two steps");
	}
}

void
format_job_free(struct format_job *j)
{
	if (j->begun) {
		if (j->format == FMT_MODULE)
			module_job_free(&j->u.module);
		else if (j->format == FMT_PE)
			pe_job_free(&j->u.pe);
		else if (j->format == FMT_CMS || j->format == FMT_VERITY)
			cms_job_free(&j->u.cms); /* verity's PKCS#7 is there */
	}
	OPENSSL_cleanse(j->tbs, sizeof(j->tbs));
	j->begun = 0;
}

int
format_two_step_sign(const struct sign_input *in, struct sign_output *out)
{
	uint8_t sig[SIG_MAX];
	size_t siglen = sizeof(sig);
	struct format_job j;
	int r = -1;

	if (format_job_begin(in, out, &j) == 0 &&
	    signop_sign(in, out, j.tbs, j.tbslen, sig, &siglen) == 0)
		r = format_job_end(in, out, &j, sig, siglen);
	format_job_free(&j);
	OPENSSL_cleanse(sig, sizeof(sig));
	return r;
}
