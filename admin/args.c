/* args.c: csign-admin's command options (see admin.h, csign-admin(8)). */
#include "admin/admin.h"

#include <getopt.h>
#include <string.h>

/* Long options carry their OPT_* bit (above the short letters). */
#define LONGOPT(b) (0x1000 + (b))

static const struct option long_opts[] = {
	{ "token", required_argument, NULL, LONGOPT(0) },
	{ "label", required_argument, NULL, LONGOPT(1) },
	{ "type", required_argument, NULL, LONGOPT(2) },
	{ "id", required_argument, NULL, LONGOPT(3) },
	{ "key", required_argument, NULL, LONGOPT(4) },
	{ "subject", required_argument, NULL, LONGOPT(5) },
	{ "eku", required_argument, NULL, LONGOPT(6) },
	{ "chain", required_argument, NULL, LONGOPT(7) },
	{ "to-token", no_argument, NULL, LONGOPT(8) },
	{ "replace", no_argument, NULL, LONGOPT(9) },
	{ "output", required_argument, NULL, LONGOPT(10) }, { NULL, 0, NULL, 0 }
};

/* Where each option's argument goes. */
static const char **
opt_slot(struct adm_opts *o, unsigned bit)
{
	switch (bit) {
	case OPT_TOKEN:
		return &o->token;
	case OPT_LABEL:
		return &o->label;
	case OPT_TYPE:
		return &o->type;
	case OPT_ID:
		return &o->id;
	case OPT_KEY:
		return &o->key;
	case OPT_SUBJECT:
		return &o->subject;
	case OPT_EKU:
		return &o->eku;
	case OPT_CHAIN:
		return &o->chain;
	case OPT_OUT:
		return &o->out;
	default:
		return NULL;
	}
}

/* The long name of an option bit, for messages. */
static const char *
opt_name(unsigned bit)
{
	for (size_t i = 0; long_opts[i].name != NULL; i++)
		if (LONGOPT(0) + (unsigned)__builtin_ctz(bit) ==
		    (unsigned)long_opts[i].val)
			return long_opts[i].name;
	return "?";
}

/* Record one option of cmd; ADM_OK or ADM_USAGE. */
static int
take_option(const struct adm_cmd *cmd, int c, char **argv, struct adm_opts *o)
{
	const char *spelled = argv[optind - 1];
	const char **slot;
	unsigned bit;

	if (c == ':')
		return adm_usage_error("option requires an argument: %s",
		    spelled);
	if (c == 'o')
		c = LONGOPT(10);
	if (c < LONGOPT(0) || c > LONGOPT(10) ||
	    !(cmd->allowed & (bit = 1u << (c - LONGOPT(0)))))
		return adm_usage_error("%s: unknown option: %s", cmd->name,
		    spelled);
	if (o->seen & bit)
		return adm_usage_error("%s: --%s given twice", cmd->name,
		    opt_name(bit));
	o->seen |= bit;
	if ((slot = opt_slot(o, bit)) != NULL)
		*slot = optarg;
	else if (bit == OPT_TO_TOKEN)
		o->to_token = 1;
	else
		o->replace = 1;
	return ADM_OK;
}

/* Options that need or exclude each other. */
static int
check_combinations(const struct adm_cmd *cmd, struct adm_opts *o)
{
	unsigned missing = cmd->required & ~o->seen;

	if (missing != 0)
		return adm_usage_error("%s: --%s is required", cmd->name,
		    opt_name(missing & -missing));
	if (o->to_token && o->out != NULL)
		return adm_usage_error("%s: --to-token and -o exclude each "
				       "other",
		    cmd->name);
	if (o->replace && !o->to_token)
		return adm_usage_error("%s: --replace needs --to-token",
		    cmd->name);
	return ADM_OK;
}

/*
 * getopt_long() runs with opterr off and ":" leading the short options,
 * so that its errors read like every other usage error.
 */
int
adm_parse(const struct adm_cmd *cmd, int argc, char **argv, struct adm_opts *o)
{
	const char *shortopts = (cmd->allowed & OPT_OUT) ? ":o:" : ":";
	int c, r;

	opterr = 0;
	optind = 0; /* glibc: start afresh on this argv */
	while ((c = getopt_long(argc, argv, shortopts, long_opts, NULL)) != -1)
		if ((r = take_option(cmd, c, argv, o)) != ADM_OK)
			return r;
	if (cmd->operand) {
		if (optind == argc)
			return adm_usage_error("%s: no certificate file given",
			    cmd->name);
		o->operand = argv[optind++];
	}
	if (optind < argc)
		return adm_usage_error("%s: unexpected argument: %s", cmd->name,
		    argv[optind]);
	return check_combinations(cmd, o);
}
