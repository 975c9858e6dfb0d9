/*
 * raw.c: a bare signature over the artifact's digest, as made by
 * `openssl dgst -sign` (PKCS#1 v1.5 or PSS for RSA, DER ECDSA-Sig-Value).
 */
#include "sandbox/formats/formats.h"

int
format_raw(const struct sign_input *in, struct sign_output *out)
{
	uint8_t sig[SIG_MAX];
	size_t siglen = sizeof(sig);

	if (in->pem)
		return sign_fail(out, ST_BAD_REQUEST,
		    "--pem applies to cms "
		    "output only");
	if (signop_sign_artifact(in, out, sig, &siglen) == -1)
		return -1;
	if (buf_put(&out->data, sig, siglen) == -1)
		return sign_fail(out, ST_INTERNAL, "out of memory");
	return 0;
}
