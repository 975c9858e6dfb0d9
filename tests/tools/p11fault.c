/*
 * p11fault: a PKCS#11 module for the tests that loads a real module and
 * forwards every call to it, but can be told to misbehave like a faulty
 * token, an HSM cluster member that fails or hangs, or a network HSM
 * (a fixed delay on every signature).  It proves that csignd never ships
 * a signature that does not verify, fails over to a replica token, and
 * takes a token back into service once it heals.
 *
 * Environment:
 *
 * P11FAULT_MODULE    the real module (default SoftHSM's)
 * P11FAULT_CONTROL   a file; while it exists, C_Sign and C_SignFinal flip
 *                    one byte of every signature of every token (the
 *                    first use, kept for tests/integration/cases/teeth.sh)
 * P11FAULT_DIR       a directory of fault files, one per token label: the
 *                    file DIR/LABEL (LABEL with its trailing blanks cut
 *                    and every byte but [A-Za-z0-9._-] made '_') says the
 *                    fault of that token while it exists.  Removing it
 *                    heals the token; rewriting it starts the count anew.
 *                    Two tokens of one module so fail independently.
 * P11FAULT_DELAY_MS  milliseconds added to every C_Sign/C_SignFinal of
 *                    every token, the signature itself forwarded
 *                    unchanged; sessions run in parallel (no lock is held
 *                    while waiting), as against a network HSM.  For
 *                    benchmarks: needs no fault file.
 *
 * A fault file holds a line per fault, a mode then optional words; C_Sign
 * obeys its first line that is not "login", C_Login its first "login"
 * line (so "lost" then "login rv=device" loses the session and refuses
 * the login that would bring it back):
 *
 *   fail   [nth=N] [times=M]   C_Sign returns CKR_DEVICE_ERROR
 *   hang   [nth=N] [times=M] [secs=S]
 *                              C_Sign sleeps until the file is removed or
 *                              S seconds passed (default 3600), then
 *                              returns CKR_DEVICE_ERROR
 *   wrong  [nth=N] [times=M]   C_Sign returns a signature with one byte
 *                              flipped
 *   lost   [nth=N] [rv=session|removed] [heal=login]
 *                              from the Nth C_Sign on, C_SignInit and
 *                              C_Sign return CKR_SESSION_HANDLE_INVALID
 *                              (or CKR_DEVICE_REMOVED) until the file is
 *                              removed; with heal=login, until the next
 *                              successful C_Login on the token, which
 *                              removes the file (so that a reload of this
 *                              module does not lose the session again)
 *   login  [nth=N] [times=M] [rv=pin|device]
 *                              C_Login returns CKR_PIN_INCORRECT (or
 *                              CKR_DEVICE_ERROR) without asking the token
 *   delay  ms=N                every C_Sign waits N ms first
 *
 * The count: the calls of C_Sign (C_Login for "login", counted apart) on
 * that token since the file appeared, 1 for the first; calls nth .. nth+times-1 are
 * hit (times=0, the default, for every call from the Nth on).  A call
 * that fails after C_SignInit still ends the real module's operation, so
 * that the session stays usable.  Each fault writes a line "p11fault:
 * LABEL: ..." to stderr.
 *
 * Built as a shared object for the test programs only.  Written from the
 * PKCS#11 v2.40 base specification: the function list is a version and
 * then 68 function pointers in the specification's order.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "token/pkcs11_min.h"

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define NFUNCS 68 /* functions of a v2.40 list */
#define IDX_GETFUNCTIONLIST 3
#define IDX_GETTOKENINFO 6
#define IDX_GETSESSIONINFO 15
#define IDX_LOGIN 18
#define IDX_SIGNINIT 42
#define IDX_SIGN 43
#define IDX_SIGNFINAL 45
#define CKR_SESSION_HANDLE_INVALID_ 0x0B3UL
#define LABEL_LEN 32  /* CK_TOKEN_INFO's label, blank padded */
#define MAX_TOKENS 16 /* labels followed at once */
#define SCRATCH 4096  /* room for any signature, to end an operation */

/* Any function: the one pointer type every other may be cast through. */
typedef void (*any_fn)(void);

/* The v2.40 list, all its entries as untyped pointers. */
struct fault_list {
	CK_VERSION version;
	any_fn fn[NFUNCS];
};

typedef CK_RV (
    *sign_fn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);
typedef CK_RV (*sign_final_fn)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG *);
typedef CK_RV (*sign_init_fn)(CK_SESSION_HANDLE, void *, CK_OBJECT_HANDLE);
typedef CK_RV (*token_info_fn)(CK_SLOT_ID, void *);
typedef CK_RV (*get_list_fn)(struct fault_list **);

enum mode {
	M_NONE = 0,
	M_FAIL,
	M_HANG,
	M_WRONG,
	M_LOST,
	M_LOGIN,
	M_DELAY
};

/* A fault file as read. */
struct fault {
	enum mode mode;
	unsigned long nth, times, secs, ms;
	CK_RV rv;
	int heal_login;
};

/* What the module remembers of one token label. */
struct tstate {
	char label[LABEL_LEN + 1];
	ino_t ino; /* the fault file counted for (0: none) */
	struct timespec mtime;
	unsigned long calls[2]; /* C_Sign, C_Login */
	int lost;		/* a "lost" fault has begun */
};

static struct fault_list *real; /* the real module's list */
static struct fault_list ours;	/* a copy with our entries */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct tstate states[MAX_TOKENS];

CK_RV C_GetFunctionList(struct fault_list **list);

/* 1 while the old all-tokens control file exists. */
static int
corrupt_all(void)
{
	const char *ctl = getenv("P11FAULT_CONTROL");

	return ctl != NULL && access(ctl, F_OK) == 0;
}

/* Sleep ms milliseconds, whatever signals come. */
static void
sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The token label of a session, as a file name, into out: 0 or -1. */
static int
session_label(CK_SESSION_HANDLE s, char out[LABEL_LEN + 1])
{
	CK_SESSION_INFO si;
	/* CK_TOKEN_INFO begins with its label; the rest is room enough. */
	union {
		CK_BYTE label[LABEL_LEN];
		CK_ULONG align[128];
	} info;
	size_t n = LABEL_LEN;

	if (((CK_C_GetSessionInfo)real->fn[IDX_GETSESSIONINFO])(s, &si) != 0 ||
	    ((token_info_fn)real->fn[IDX_GETTOKENINFO])(si.slotID, &info) != 0)
		return -1;
	while (n > 0 && (info.label[n - 1] == ' ' || info.label[n - 1] == 0))
		n--;
	for (size_t i = 0; i < n; i++) {
		CK_BYTE c = info.label[i];
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		out[i] = keep ? (char)c : '_';
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* One "key=value" word of a fault line into f: 0, or -1 if unknown. */
static int
parse_word(struct fault *f, const char *w)
{
	const char *v = strchr(w, '=');

	if (v == NULL)
		return -1;
	v++;
	if (strncmp(w, "nth=", 4) == 0)
		f->nth = strtoul(v, NULL, 10);
	else if (strncmp(w, "times=", 6) == 0)
		f->times = strtoul(v, NULL, 10);
	else if (strncmp(w, "secs=", 5) == 0)
		f->secs = strtoul(v, NULL, 10);
	else if (strncmp(w, "ms=", 3) == 0)
		f->ms = strtoul(v, NULL, 10);
	else if (strcmp(w, "rv=pin") == 0)
		f->rv = CKR_PIN_INCORRECT;
	else if (strcmp(w, "rv=device") == 0)
		f->rv = CKR_DEVICE_ERROR;
	else if (strcmp(w, "rv=session") == 0)
		f->rv = CKR_SESSION_HANDLE_INVALID_;
	else if (strcmp(w, "rv=removed") == 0)
		f->rv = CKR_DEVICE_REMOVED;
	else if (strcmp(w, "heal=login") == 0)
		f->heal_login = 1;
	else
		return -1;
	return 0;
}

/* One line of a fault file into f: 0, or -1 if empty or unknown. */
static int
fault_line(const char *path, char *line, struct fault *f)
{
	static const char *const names[] = { "", "fail", "hang", "wrong",
		"lost", "login", "delay" };
	char *w, *save = NULL;

	memset(f, 0, sizeof(*f));
	f->nth = 1;
	f->secs = 3600;
	if ((w = strtok_r(line, " \t\r\n", &save)) == NULL)
		return -1;
	for (int m = M_FAIL; m <= M_DELAY; m++)
		if (strcmp(w, names[m]) == 0)
			f->mode = (enum mode)m;
	if (f->mode == M_NONE) {
		fprintf(stderr, "p11fault: %s: unknown mode '%s'\n", path, w);
		return -1;
	}
	while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL)
		if (parse_word(f, w) == -1)
			fprintf(stderr, "p11fault: %s: ignored '%s'\n", path,
			    w);
	if (f->rv == 0)
		f->rv = f->mode == M_LOGIN ? CKR_PIN_INCORRECT
		    : f->mode == M_LOST	   ? CKR_SESSION_HANDLE_INVALID_
					   : CKR_DEVICE_ERROR;
	return 0;
}

/*
 * The fault for a C_Login (login) or a C_Sign call in the file at path
 * into f: 0, or -1 if there is none (or no file).
 */
static int
fault_read(const char *path, int login, struct fault *f)
{
	char line[256];
	FILE *fp;
	int found = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = fault_line(path, line, f) == 0 &&
		    (f->mode == M_LOGIN) == (login != 0);
	fclose(fp);
	return found ? 0 : -1;
}

/* The remembered state of label (a new one if needed); under mu. */
static struct tstate *
state_of(const char *label)
{
	struct tstate *free_slot = NULL;

	for (size_t i = 0; i < MAX_TOKENS; i++) {
		if (strcmp(states[i].label, label) == 0)
			return &states[i];
		if (free_slot == NULL && states[i].label[0] == '\0')
			free_slot = &states[i];
	}
	if (free_slot != NULL)
		snprintf(free_slot->label, sizeof(free_slot->label), "%s",
		    label);
	return free_slot;
}

/*
 * The fault of the session's token, counting this call (a C_Login if
 * login) if count: M_NONE
 * when there is none or this call is not one the fault hits.  A new or
 * rewritten file starts the count (and a lost session) anew.
 */
static enum mode
fault_now(CK_SESSION_HANDLE s, int count, int login, struct fault *f,
    char *label, char *path, size_t pathlen)
{
	const char *dir = getenv("P11FAULT_DIR");
	struct tstate *st;
	struct stat sb;
	enum mode m = M_NONE;

	if (dir == NULL || session_label(s, label) == -1)
		return M_NONE;
	snprintf(path, pathlen, "%s/%s", dir, label);
	pthread_mutex_lock(&mu);
	if ((st = state_of(label)) == NULL)
		goto out;
	if (stat(path, &sb) == -1) {
		st->ino = 0;
		st->lost = 0;
		goto out;
	}
	if (st->ino != sb.st_ino || st->mtime.tv_sec != sb.st_mtim.tv_sec ||
	    st->mtime.tv_nsec != sb.st_mtim.tv_nsec) {
		st->ino = sb.st_ino;
		st->mtime = sb.st_mtim;
		st->calls[0] = st->calls[1] = 0;
		st->lost = 0;
	}
	if (fault_read(path, login, f) == -1) {
		/* A C_Login on a lost session: what heals it (heal=login). */
		if (login && st->lost && fault_read(path, 0, f) == 0)
			m = M_LOST;
		goto out;
	}
	if (f->mode == M_DELAY) {
		m = M_DELAY;
		goto out;
	}
	if (count)
		st->calls[login]++;
	if (f->mode == M_LOST) {
		if (count && st->calls[0] >= f->nth)
			st->lost = 1;
		m = st->lost ? M_LOST : M_NONE;
	} else if (count && st->calls[login] >= f->nth &&
	    (f->times == 0 || st->calls[login] < f->nth + f->times))
		m = f->mode;
out:
	pthread_mutex_unlock(&mu);
	return m;
}

/* End the real module's signing operation, its result thrown away. */
static void
end_operation(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, int final)
{
	CK_BYTE scratch[SCRATCH];
	CK_ULONG n = sizeof(scratch);

	if (final)
		((sign_final_fn)real->fn[IDX_SIGNFINAL])(s, scratch, &n);
	else
		((sign_fn)real->fn[IDX_SIGN])(s, data, len, scratch, &n);
}

/* Wait until path is gone or secs passed. */
static void
hang(const char *path, unsigned long secs)
{
	for (unsigned long i = 0; i < secs * 10 && access(path, F_OK) == 0; i++)
		sleep_ms(100);
}

/*
 * C_Sign and C_SignFinal: data is NULL for C_SignFinal.  A length query
 * (sig NULL) is neither counted nor hit, except by a lost session.
 */
static CK_RV
fault_any_sign(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, CK_BYTE *sig,
    CK_ULONG *siglen, int final)
{
	const char *delay = getenv("P11FAULT_DELAY_MS");
	char label[LABEL_LEN + 1], path[4096];
	struct fault f;
	enum mode m;
	CK_RV rv;

	m = fault_now(s, sig != NULL, 0, &f, label, path, sizeof(path));
	if (delay != NULL && sig != NULL)
		sleep_ms(strtoul(delay, NULL, 10));
	switch (m) {
	case M_DELAY:
		if (sig != NULL)
			sleep_ms(f.ms);
		break;
	case M_HANG:
		fprintf(stderr, "p11fault: %s: hanging in C_Sign\n", label);
		hang(path, f.secs);
		/* FALLTHROUGH */
	case M_FAIL:
	case M_LOST:
		end_operation(s, data, len, final);
		fprintf(stderr, "p11fault: %s: C_Sign returns 0x%lx\n", label,
		    f.rv);
		return f.rv;
	default:
		break;
	}
	if (final)
		rv = ((sign_final_fn)real->fn[IDX_SIGNFINAL])(s, sig, siglen);
	else
		rv = ((sign_fn)real->fn[IDX_SIGN])(s, data, len, sig, siglen);
	if (rv == 0 && sig != NULL && siglen != NULL && *siglen > 0 &&
	    (m == M_WRONG || corrupt_all())) {
		sig[*siglen / 2] ^= 0x5a;
		fprintf(stderr, "p11fault: corrupted a %lu-byte signature\n",
		    *siglen);
	}
	return rv;
}

static CK_RV
fault_sign(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, CK_BYTE *sig,
    CK_ULONG *siglen)
{
	return fault_any_sign(s, data, len, sig, siglen, 0);
}

static CK_RV
fault_sign_final(CK_SESSION_HANDLE s, CK_BYTE *sig, CK_ULONG *siglen)
{
	return fault_any_sign(s, NULL, 0, sig, siglen, 1);
}

/* C_SignInit: refused while the token's session is lost. */
static CK_RV
fault_sign_init(CK_SESSION_HANDLE s, void *mech, CK_OBJECT_HANDLE key)
{
	char label[LABEL_LEN + 1], path[4096];
	struct fault f;

	if (fault_now(s, 0, 0, &f, label, path, sizeof(path)) == M_LOST) {
		fprintf(stderr, "p11fault: %s: C_SignInit returns 0x%lx\n",
		    label, f.rv);
		return f.rv;
	}
	return ((sign_init_fn)real->fn[IDX_SIGNINIT])(s, mech, key);
}

/* C_Login: refused by a "login" fault; heals a lost session if told. */
static CK_RV
fault_login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_BYTE *pin,
    CK_ULONG pinlen)
{
	char label[LABEL_LEN + 1], path[4096];
	struct fault f;
	enum mode m;
	CK_RV rv;

	if ((m = fault_now(s, 1, 1, &f, label, path, sizeof(path))) ==
	    M_LOGIN) {
		fprintf(stderr, "p11fault: %s: C_Login returns 0x%lx\n", label,
		    f.rv);
		return f.rv;
	}
	rv = ((CK_C_Login)real->fn[IDX_LOGIN])(s, user, pin, pinlen);
	if ((rv == 0 || rv == CKR_USER_ALREADY_LOGGED_IN) && m == M_LOST &&
	    f.heal_login) {
		unlink(path);
		fprintf(stderr, "p11fault: %s: login heals the session\n",
		    label);
	}
	return rv;
}

/* Load the real module once and build our list from its own. */
static int
load_real(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	get_list_fn get;
	void *dl;

	if (real != NULL)
		return 0;
	if (path == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11fault: %s\n", dlerror());
		return -1;
	}
	get = (get_list_fn)dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&real) != 0 || real == NULL) {
		fprintf(stderr, "p11fault: %s: no function list\n", path);
		real = NULL;
		return -1;
	}
	memcpy(&ours, real, sizeof(ours));
	ours.fn[IDX_GETFUNCTIONLIST] = (any_fn)C_GetFunctionList;
	ours.fn[IDX_LOGIN] = (any_fn)fault_login;
	ours.fn[IDX_SIGNINIT] = (any_fn)fault_sign_init;
	ours.fn[IDX_SIGN] = (any_fn)fault_sign;
	ours.fn[IDX_SIGNFINAL] = (any_fn)fault_sign_final;
	return 0;
}

CK_RV
C_GetFunctionList(struct fault_list **list)
{
	if (list == NULL)
		return 7; /* CKR_ARGUMENTS_BAD */
	if (load_real() == -1)
		return 5; /* CKR_GENERAL_ERROR */
	*list = &ours;
	return 0;
}
