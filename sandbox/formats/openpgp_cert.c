/*
 * openpgp_cert.c: the key's transferable public key (RFC 4880 section
 * 11.1), for `csign-client cert --openpgp`: the public-key packet, the
 * user ID packet (OpenPGPUserID) and a positive certification (type
 * 0x13) over both, signed on the token like any other signature: the
 * hash is made here and the monitor signs the digest, audited under the
 * name the session gives (in->name).  rpm, gpg, apt, sqv and rnp import
 * the armoured result.
 */
#include <string.h>

#include "sandbox/formats/formats.h"
#include "sandbox/formats/openpgp.h"

#define PGP_EXPORT_MAX 4096

/* Append the three packets: key, user ID, self-signature. */
static int
export_packets(struct buf *b, const struct pgp_key *k, const char *uid,
    const struct buf *sig)
{
	size_t n = strlen(uid);

	if (pgp_put_header(b, PGP_TAG_PUBKEY, k->bodylen) == -1 ||
	    buf_put(b, k->body, k->bodylen) == -1 ||
	    pgp_put_header(b, PGP_TAG_USERID, n) == -1 ||
	    buf_put(b, uid, n) == -1)
		return -1;
	return buf_put(b, buf_ptr(sig), buf_left(sig));
}

int
openpgp_export(const struct sign_input *in, struct sign_output *out)
{
	EVP_MD_CTX *sig = NULL, *audit = NULL;
	struct buf pkt, all;
	struct pgp_key k;
	struct pgp_sig s;
	int r = -1;

	if (in->pgp_uid == NULL || in->pgp_uid[0] == '\0')
		return sign_fail(out, ST_BAD_REQUEST,
		    "key %s has no "
		    "OpenPGPUserID in csignd.conf",
		    in->key);
	if (openpgp_check(in, out, &k) == -1)
		return -1;
	buf_init(&pkt, PGP_EXPORT_MAX);
	buf_init(&all, PGP_EXPORT_MAX);
	/* What is certified is also what the audit record's digest covers. */
	if (openpgp_md_new(in, &sig, &audit) == -1 ||
	    pgp_hash_key_uid(sig, &k, in->pgp_uid) == -1 ||
	    pgp_hash_key_uid(audit, &k, in->pgp_uid) == -1 ||
	    pgp_sig_init(&s, PGP_SIG_POSITIVE_CERT, in->digest, &k,
		openpgp_now(in)) == -1) {
		sign_fail(out, ST_INTERNAL, "cannot start the self-signature");
		goto done;
	}
	out->size = 3 + k.bodylen + 5 + strlen(in->pgp_uid);
	if (openpgp_sign(in, out, &s, sig, audit, &pkt) == -1)
		goto done;
	if (export_packets(&all, &k, in->pgp_uid, &pkt) == -1 ||
	    pgp_armor(&out->data, "PUBLIC KEY BLOCK", buf_ptr(&all),
		buf_left(&all)) == -1) {
		sign_fail(out, ST_INTERNAL, "cannot encode the public key");
		goto done;
	}
	r = 0;
done:
	EVP_MD_CTX_free(sig);
	EVP_MD_CTX_free(audit);
	buf_free(&pkt);
	buf_free(&all);
	return r;
}
