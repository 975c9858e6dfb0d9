/*
 * csignd.conf: parsed form of the daemon's configuration (csignd.conf(5)).
 *
 * The syntax is sshd_config-like: one keyword and its arguments per line,
 * '#' comments, keywords case-insensitive.  "Token NAME" and "Key NAME"
 * open a block whose indented-or-not keywords (Module, Label, ...) apply to
 * that block until the next Token, Key or a global keyword.  Every error is
 * reported as "FILE:LINE: message".
 */
#ifndef CSIGN_CONFIG_H
#define CSIGN_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "records/tsaurl.h"
#include "proto/msg.h"
#include "proto/names.h"

#define CONFIG_DEFAULT_PATH CSIGN_SYSCONFDIR "/csign/csignd.conf"
#define CONFIG_DEFAULT_LISTEN "/run/csign/csignd.sock"
#define CONFIG_DEFAULT_AUDIT "/var/log/csign/audit.jsonl"
#define CONFIG_DEFAULT_SANDBOX_USER "csign-sandbox"
#define CONFIG_DEFAULT_STATE "/var/lib/csign/keystate"
/* PidFile's default: Listen with ".sock" replaced by ".pid" (or added). */
#define CONFIG_DEFAULT_PIDFILE "/run/csign/csignd.pid"
#define CONFIG_ERR_MAX 512

struct cfg_token {
	char name[KEY_NAME_MAX + 1];
	char *module;	  /* path of the PKCS#11 module */
	char *label;	  /* TokenLabel, or NULL */
	long slot;	  /* Slot id, or -1 */
	char *pinfile;	  /* PinFile path, or "credential:NAME" */
	unsigned timeout; /* TokenTimeout in the block, 0: the global one */
	int module_line;  /* lines of Module and PinFile (0: unset) */
	int pinfile_line;
	int line;
};

/* Tokens a Key may name: its first, then replicas holding the same key. */
#define KEY_TOKENS_MAX 4

struct cfg_key {
	char name[KEY_NAME_MAX + 1];
	struct cfg_token *token; /* resolved "Token NAME": the first */
	/* "Token A B ...": every token holding the key, in order of use */
	struct cfg_token *tokens[KEY_TOKENS_MAX];
	size_t ntokens;
	char *label;	/* object label on the token, or NULL */
	uint8_t id[64]; /* object id (Id hex), idlen 0 if unset */
	size_t idlen;
	char *certfile;	     /* Certificate PATH, NULL = "Certificate token" */
	char *chainfile;     /* Chain PATH: more certificates to embed */
	char *tsa_ca;	     /* TimestampCA PATH: anchors for its TSAs */
	unsigned formats;    /* FMT_BIT mask (Formats) */
	unsigned digests;    /* DIG_BIT mask (Digest; first is default) */
	int default_digest;  /* enum csign_digest */
	int padding;	     /* enum rsa_padding (Padding), RSA keys only */
	int ts_mode;	     /* enum ts_mode (Timestamp) */
	struct tsa_url *tsa; /* its TSAs, tried in order */
	size_t ntsa;
	/* "Approval group NAME [count N] [expires DURATION]" */
	int has_approval;
	char approval_group[KEY_NAME_MAX + 1];
	gid_t approval_gid;	   /* ... resolved */
	unsigned approval_count;   /* distinct approvers needed, 1..16 */
	unsigned approval_expires; /* seconds a request is held */
	/* OpenPGP identity: OpenPGPCreated (part of the v4 fingerprint) */
	uint32_t pgp_created;	       /* Unix seconds; 0: unset */
	char pgp_uid[PGP_UID_MAX + 1]; /* OpenPGPUserID, or "" */
	int cert_line; /* lines of Certificate, Chain, TimestampCA */
	int chain_line;
	int tsa_ca_line;
	int line;
};

#define APPROVAL_COUNT_MAX 16
#define APPROVAL_EXPIRES_DEFAULT 3600
#define APPROVAL_EXPIRES_MIN 1 /* tests hold requests for seconds */
#define APPROVAL_EXPIRES_MAX (7 * 86400)

/*
 * "Allow group NAME keys K... [formats F...] [rate N/PERIOD]" or the same
 * with "user".  formats narrows what the line grants: every format named
 * must be one each listed key allows.
 */
struct cfg_allow {
	int is_group;
	char name[KEY_NAME_MAX + 1];
	uid_t uid;	       /* resolved user, if !is_group */
	gid_t gid;	       /* resolved group, if is_group */
	struct cfg_key **keys; /* resolved keys */
	size_t nkeys;
	unsigned rate_n;      /* "rate N/PERIOD": N signatures ... */
	unsigned rate_period; /* ... per this many seconds; 0: no limit */
	unsigned formats;     /* "formats F...": FMT_BIT mask; 0: the key's */
	int line;
};

/* PesignMap "TOKEN" "CERT" KEY: what pesign-client names, and the key. */
#define PESIGN_MAPS_MAX 256
struct cfg_pesign_map {
	char *token;
	char *cert;
	char *key;
	int line;
};

struct config {
	char *path;
	char *listen;	     /* Listen PATH */
	char *pesign_listen; /* PesignListen PATH, or NULL */
	int pesign_listen_line;
	struct cfg_pesign_map *pesign_maps;
	size_t npesign_maps;
	char *sandbox_user;	    /* SandboxUser NAME */
	char *sandbox_program;	    /* SandboxProgram PATH */
	char *audit_log;	    /* AuditLog PATH */
	uint64_t max_artifact_size; /* MaxArtifactSize, bytes (K/M/G) */
	unsigned pool_size;	    /* PoolSize: idle children kept ready */
	unsigned max_sessions;	    /* MaxSessions: concurrent sessions */
	unsigned session_timeout;   /* SessionTimeout, seconds of silence */
	unsigned max_sessions_user; /* MaxSessionsPerUser: one uid's share */
	unsigned login_grace;	    /* LoginGraceTime: seconds to hello */
	unsigned session_lifetime;  /* SessionLifetime: seconds, at most */
	uint64_t max_upload_user;   /* MaxUploadPerUser: inline bytes */
	unsigned sign_workers;	    /* SignWorkers: token threads */
	unsigned cert_warn_days;    /* CertificateExpiryWarning, days */
	char *admin_group;	    /* AdminGroup NAME, or NULL */
	gid_t admin_gid;	    /* ... resolved */
	int has_admin_group;
	char *state_file;	  /* StateFile PATH: disabled keys */
	char *pid_file;		  /* PidFile PATH, NULL for "none" */
	int pid_file_set;	  /* PidFile given (else from Listen) */
	int listen_line;	  /* lines of the path keywords ... */
	int sandbox_program_line; /* ... (0: the default) */
	int audit_log_line;
	int state_file_line;
	int pid_file_line;
	unsigned ts_timeout;	/* TimestampTimeout, seconds per TSA */
	unsigned token_timeout; /* TokenTimeout: seconds a C_Sign may take */
	unsigned token_probe;	/* TokenProbeInterval: seconds between probes */
	struct cfg_token *tokens;
	size_t ntokens;
	struct cfg_key *keys;
	size_t nkeys;
	struct cfg_allow *allows;
	size_t nallows;
};

/*
 * Parse path into a new config.  On error return NULL with err holding
 * "FILE:LINE: message" (or "FILE: message" when no line is at fault).
 * Checks done here: syntax, duplicates, unknown keywords, references
 * (Key -> Token, Allow -> Key), users and groups that exist, formats this
 * build supports, grant formats the key allows, and two Key blocks that
 * name the same object on the same token (same Label or same Id, nothing
 * telling them apart).  Files named by the config (module, PinFile,
 * certificate) are checked by records/filetrust.h and their users, not here.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

/*
 * Log a warning (log_warnx) for each thing in cfg that is allowed but
 * weakens it: a key that allows raw beside other formats.  The number of
 * warnings.
 */
size_t config_warn(const struct config *cfg);
/* 1 and the text of the warning in dst if key k allows raw and more. */
int config_raw_warning(const struct cfg_key *k, char *dst, size_t len);

const struct cfg_key *config_find_key(const struct config *cfg,
    const char *name);
/*
 * The key a PesignMap line maps token and cert to (cert NULL: the first
 * line for token), or NULL.
 */
const struct cfg_key *config_pesign_key(const struct config *cfg,
    const char *token, const char *cert);
const struct cfg_token *config_find_token(const struct config *cfg,
    const char *name);

#endif
