/*
 * confparse: the csignd.conf(5) parser's inside, shared by the files of
 * records/ that make up config_load() and by nothing else.
 *
 *   confread.c      reading lines, splitting words, error messages
 *   confkeywords.c  the keyword table, its dispatcher, the global keywords
 *   confblocks.c    Token and Key blocks and their keywords
 *   confallow.c     Allow lines
 *   confcheck.c     checks once the whole file is read (references,
 *                   aliased keys, defaults that follow other keywords)
 *   config.c        config_load() itself, freeing, runtime lookups
 *
 * The parser state lives in one struct parser for the length of a
 * config_load(); every function here reports an error with conf_perr()
 * and returns -1.
 */
#ifndef CSIGN_CONFPARSE_H
#define CSIGN_CONFPARSE_H

#include <sys/un.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "records/config.h"

#define CONF_LINE_MAX 4096 /* bytes per line, newline excluded */
#define CONF_ARGS_MAX 300  /* words per line, keyword included */
#define TOKENS_MAX 1024
#define KEYS_MAX 1024
#define ALLOWS_MAX 1024
#define ALLOW_KEYS_MAX 256
#define TOKEN_LABEL_MAX 32 /* size of the CK_TOKEN_INFO label field */
#define LISTEN_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define ID_MAX (sizeof(((struct cfg_key *)0)->id))
#define DEFAULT_ARTIFACT_SIZE (UINT64_C(4) << 30)
#define DEFAULT_UPLOAD_PER_USER (UINT64_C(1) << 30)
#define DURATION_MAX (UINT64_C(366) * 86400) /* seconds */

/* Where a keyword may appear; also the kind of block that is open. */
enum scope {
	SC_GLOBAL = 0,
	SC_TOKEN,
	SC_KEY
};

/* A name used before its definition, resolved once the file is read. */
struct ref {
	char name[KEY_NAME_MAX + 1];
	size_t owner; /* index of the Allow line */
	size_t slot;  /* index in that line's keys */
	int line;
};

/* The tokens a Key block names, resolved once the file is read. */
struct key_tokens {
	struct ref r[KEY_TOKENS_MAX];
	size_t n;
};

struct parser;
struct keyword;
typedef int (*kw_handler)(struct parser *);

#define KW_MULTI 0x1 /* may appear more than once per scope */

/*
 * One row per keyword.  The dispatcher checks scope, argument count,
 * duplicates and exclusions before the handler runs; off, lo and hi feed
 * the generic handlers (field offset, numeric range or maximum length).
 */
struct keyword {
	const char *name;
	enum scope scope;
	unsigned flags;
	int minargs;
	int maxargs;
	kw_handler fn;
	size_t off;
	unsigned long lo;
	unsigned long hi;
	const char *excl; /* keyword that may not be used with this one */
};

struct parser {
	struct config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	int line;
	enum scope block;     /* SC_GLOBAL when no block is open */
	size_t cur;	      /* index of the open token or key */
	uint64_t seen_global; /* keywords seen, by table index */
	uint64_t seen_block;
	const struct keyword *kw; /* the line being handled */
	int ac;			  /* its arguments, keyword excluded */
	char **av;
	size_t captokens;
	size_t capkeys;
	size_t capallows;
	size_t cappesign;
	struct key_tokens *keytok; /* each key's "Token NAME...", by index */
	size_t capkeytok;
	struct ref *keyrefs; /* every key named by an Allow line */
	size_t nkeyrefs;
	size_t capkeyrefs;
};

#define CF(f) offsetof(struct config, f)
#define TF(f) offsetof(struct cfg_token, f)
#define KF(f) offsetof(struct cfg_key, f)

/* confread.c: errors, small parsers, the line reader. */
int conf_perr_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int conf_perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int conf_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max);
int conf_set_string(struct parser *p, char **field, const char *value);
int conf_parse_u64(const char *s, uint64_t *out);
int conf_check_name(struct parser *p, const char *s);
void *conf_scope_base(struct parser *p, enum scope sc);
void *conf_kw_field(struct parser *p);
int conf_parse_file(struct parser *p, FILE *f);

/* confkeywords.c: the table and its dispatcher. */
int conf_dispatch(struct parser *p, int argc, char **argv);
int conf_kw_path(struct parser *p);

/* confblocks.c: Token and Key blocks. */
int conf_close_block(struct parser *p);
int conf_kw_token(struct parser *p);
int conf_kw_key(struct parser *p);
int conf_kw_key_token(struct parser *p);
int conf_kw_slot(struct parser *p);
int conf_kw_id(struct parser *p);
int conf_kw_cert(struct parser *p);
int conf_kw_formats(struct parser *p);
int conf_kw_digest(struct parser *p);
int conf_kw_padding(struct parser *p);
int conf_kw_timestamp(struct parser *p);
int conf_kw_approval(struct parser *p);

/* confopenpgp.c: OpenPGPUserID, OpenPGPCreated. */
int conf_kw_pgp_uid(struct parser *p);
int conf_kw_pgp_created(struct parser *p);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" into Unix seconds (1..2^32-1); 0 or -1. */
int conf_parse_rfc3339(const char *s, uint32_t *out);

/* confallow.c: Allow lines. */
int conf_kw_allow(struct parser *p);

/* confpesign.c: PesignListen, PesignMap. */
int conf_kw_pesignmap(struct parser *p);
int conf_check_pesign(struct parser *p);
void conf_free_pesign(struct config *cfg);

/* confcheck.c: once the file is read. */
int conf_resolve_refs(struct parser *p);
int conf_check_key_aliases(struct parser *p);
int conf_pidfile_default(struct parser *p);

/* config.c: index of the token or key called name, or -1. */
long conf_token_index(const struct config *cfg, const char *name);
long conf_key_index(const struct config *cfg, const char *name);

#endif
