/*
 * raw.c: a bare signature over the artifact's digest, as made by
 * `openssl dgst -sign` (PKCS#1 v1.5 or PSS for RSA, DER ECDSA-Sig-Value).
 */
#include "sandbox/formats/formats.h"

int
raw_begin(const struct sign_input *in, struct sign_output *out)
{
	if (in->pem)
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem applies to cms "
		    "output only");
	return format_hash_artifact(in, out);
}

int
raw_end(struct sign_output *out, const uint8_t *sig, size_t siglen)
{
	if (buf_put(&out->data, sig, siglen) == -1)
		return sign_fail(out, ST_INTERNAL, "out of memory");
	return 0;
}
