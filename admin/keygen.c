/* keygen.c: csign-admin keygen, a new key pair that never leaves the token. */
#include "admin/admin.h"

#include <string.h>

#include "common/util.h"
#include "token/p11admin.h"

/* What was made: the label, type, id and public key fingerprint. */
static void
keygen_report(const struct cfg_token *ct, const char *label, int kt,
    const struct p11a_key *k)
{
	char hex[2 * P11A_ID_MAX + 1], fpr[65], text[256];

	util_hex(k->id, k->idlen, hex, sizeof(hex));
	if (p11a_spki_sha256(k->pub, fpr) == -1)
		snprintf(fpr, sizeof(fpr), "unknown");
	printf("generated %s key \"%s\" on token %s\n", p11a_keytype_name(kt),
	    adm_clean(label, text, sizeof(text)), ct->name);
	printf("    id          %s\n", hex);
	printf("    spki-sha256 %s\n", fpr);
}

int
adm_cmd_keygen(struct adm_opts *o)
{
	char err[ADM_ERR_MAX];
	uint8_t id[P11A_ID_MAX];
	const struct cfg_token *ct;
	struct config *cfg;
	struct p11a *a = NULL;
	struct p11a_key k;
	int kt, idlen = 0, rc = ADM_FAIL;

	if ((kt = p11a_keytype_from_name(o->type)) == -1)
		return adm_usage_error("keygen: unknown --type %s (rsa:3072, "
				       "rsa:4096, ec:p256 or ec:p384)",
		    o->type);
	if (o->id != NULL &&
	    (idlen = adm_hex_parse(o->id, id, sizeof(id))) == -1)
		return adm_usage_error("keygen: --id wants 1 to %zu bytes in "
				       "hex",
		    sizeof(id));
	if (o->label[0] == '\0' || strlen(o->label) > KEY_NAME_MAX)
		return adm_usage_error("keygen: --label wants 1 to %d "
				       "characters",
		    KEY_NAME_MAX);
	if ((cfg = adm_config(o)) == NULL)
		return ADM_FAIL;
	if ((ct = adm_token(cfg, o->token)) == NULL)
		goto out;
	if ((a = p11a_open(ct, 1, err, sizeof(err))) == NULL ||
	    p11a_keygen(a, o->label, kt, id, (size_t)idlen, &k, err,
		sizeof(err)) == -1) {
		adm_fail(ADM_FAIL, "%s", err);
		goto out;
	}
	keygen_report(ct, o->label, kt, &k);
	p11a_key_clear(&k);
	rc = ADM_OK;
out:
	p11a_close(a);
	config_free(cfg);
	return rc;
}
