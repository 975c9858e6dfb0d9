/* list.c: csign-admin tokens and keys, what the modules and tokens hold. */
#include "admin/admin.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "token/p11admin.h"

#define TEXT_MAX 256

/* The state of the user PIN, worst first. */
static const char *
pin_state(const struct p11a_slot *s)
{
	if (s->pin_locked)
		return "LOCKED";
	if (s->pin_final_try)
		return "final try";
	if (s->pin_count_low)
		return "count low";
	if (!s->user_pin_set)
		return "not set";
	return "ok";
}

/* The Token blocks of cfg that name slot s of module. */
static void
print_blocks(const struct config *cfg, const char *module,
    const struct p11a_slot *s)
{
	int n = 0;

	for (size_t i = 0; i < cfg->ntokens; i++) {
		const struct cfg_token *ct = &cfg->tokens[i];

		if (strcmp(ct->module, module) != 0 || !s->initialized)
			continue;
		if (ct->label != NULL
			? strcmp(ct->label, s->label) != 0
			: ct->slot < 0 || (unsigned long)ct->slot != s->id)
			continue;
		printf("%s%s", n++ ? ", " : "  [Token ", ct->name);
	}
	if (n > 0)
		putchar(']');
}

/* One line per slot of module. */
static int
list_module(const struct config *cfg, const char *module)
{
	char err[ADM_ERR_MAX], text[TEXT_MAX];
	struct p11a_slot *slots;
	size_t n;

	printf("module %s\n", module);
	if (p11a_list_slots(module, &slots, &n, err, sizeof(err)) == -1)
		return adm_fail(ADM_FAIL, "%s", err);
	for (size_t i = 0; i < n; i++) {
		const struct p11a_slot *s = &slots[i];

		printf("  slot %lu", s->id);
		if (!s->has_token) {
			puts("  (no token)");
			continue;
		}
		printf("  token \"%s\"  %s, login %s, user PIN %s%s",
		    adm_clean(s->label, text, sizeof(text)),
		    s->initialized ? "initialized" : "NOT initialized",
		    s->login_required ? "required" : "not required",
		    pin_state(s), s->read_only ? ", read-only" : "");
		print_blocks(cfg, module, s);
		putchar('\n');
	}
	if (n == 0)
		puts("  (no slots)");
	free(slots);
	return ADM_OK;
}

int
adm_cmd_tokens(struct adm_opts *o)
{
	struct config *cfg;
	int rc = ADM_OK;

	if ((cfg = adm_config(o)) == NULL)
		return ADM_FAIL;
	if (cfg->ntokens == 0)
		rc = adm_fail(ADM_FAIL, "%s: no Token blocks", cfg->path);
	for (size_t i = 0; i < cfg->ntokens; i++) {
		int seen = 0;

		/* Each module once, in the order of the config. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(cfg->tokens[j].module,
				   cfg->tokens[i].module) == 0;
		if (!seen && list_module(cfg, cfg->tokens[i].module) != ADM_OK)
			rc = ADM_FAIL;
	}
	config_free(cfg);
	return rc;
}

/* "    id          0a1b..." */
static void
print_id(const struct p11a_object *ob)
{
	char hex[2 * P11A_ID_MAX + 1];

	util_hex(ob->id, ob->idlen, hex, sizeof(hex));
	printf("    id          %s\n", ob->idlen > 0 ? hex : "-");
}

/* The id, type and public key fingerprint of a key object. */
static void
print_key_lines(const struct p11a_object *ob)
{
	char type[32], fpr[65];

	print_id(ob);
	printf("    type        %s\n",
	    adm_key_type(ob->pub, type, sizeof(type)));
	if (ob->pub != NULL && p11a_spki_sha256(ob->pub, fpr) == 0)
		printf("    spki-sha256 %s\n", fpr);
	else
		printf("    spki-sha256 (public key not readable)\n");
}

/*
 * The objects of kind other whose public key is ob's: for a private key
 * its certificates, for a certificate its private keys.
 */
static void
print_matches(const struct p11a_object *o, size_t n,
    const struct p11a_object *ob, enum p11a_kind other, const char *field)
{
	char text[TEXT_MAX];
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (o[i].kind != other || o[i].pub == NULL || ob->pub == NULL ||
		    EVP_PKEY_eq(o[i].pub, ob->pub) != 1)
			continue;
		printf("    %-11s \"%s\" (public key matches)\n", field,
		    adm_clean(o[i].label, text, sizeof(text)));
		found = 1;
	}
	if (!found)
		printf("    %-11s none on the token\n", field);
}

/* Every object of one kind, with its details. */
static void
print_kind(const struct p11a_object *o, size_t n, enum p11a_kind kind,
    unsigned warn_days)
{
	static const char *const heads[] = { [P11A_PRIVATE] = "private key",
		[P11A_PUBLIC] = "public key",
		[P11A_CERT] = "certificate" };
	char text[TEXT_MAX];

	for (size_t i = 0; i < n; i++) {
		if (o[i].kind != kind)
			continue;
		printf("%s \"%s\"\n", heads[kind],
		    adm_clean(o[i].label, text, sizeof(text)));
		if (kind == P11A_CERT) {
			print_id(&o[i]);
			if (o[i].cert != NULL)
				adm_print_cert(stdout, o[i].cert, warn_days);
			print_matches(o, n, &o[i], P11A_PRIVATE, "key");
			continue;
		}
		print_key_lines(&o[i]);
		if (kind == P11A_PRIVATE)
			print_matches(o, n, &o[i], P11A_CERT, "certificate");
	}
}

int
adm_cmd_keys(struct adm_opts *o)
{
	char err[ADM_ERR_MAX], text[TEXT_MAX];
	const struct cfg_token *ct;
	struct p11a_object *objs;
	struct config *cfg;
	struct p11a *a = NULL;
	int rc = ADM_FAIL;
	size_t n;

	if ((cfg = adm_config(o)) == NULL)
		return ADM_FAIL;
	if ((ct = adm_token(cfg, o->token)) == NULL)
		goto out;
	if ((a = p11a_open(ct, 0, err, sizeof(err))) == NULL ||
	    p11a_objects(a, &objs, &n, err, sizeof(err)) == -1) {
		adm_fail(ADM_FAIL, "%s", err);
		goto out;
	}
	printf("token %s: \"%s\", slot %lu, %s\n", ct->name,
	    adm_clean(p11a_token_label(a), text, sizeof(text)), p11a_slot_id(a),
	    ct->module);
	print_kind(objs, n, P11A_PRIVATE, cfg->cert_warn_days);
	print_kind(objs, n, P11A_PUBLIC, cfg->cert_warn_days);
	print_kind(objs, n, P11A_CERT, cfg->cert_warn_days);
	p11a_objects_free(objs, n);
	rc = ADM_OK;
out:
	p11a_close(a);
	config_free(cfg);
	return rc;
}
