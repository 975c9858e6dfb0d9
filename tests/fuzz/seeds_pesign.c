/*
 * seeds_pesign: write the seed corpus of fuzz_pesign with the real
 * encoder, pesign_req_encode(): one whole message (header and payload)
 * per command a client may send, and a client's usual pair (is the token
 * unlocked, then sign).  make fuzz-seeds builds and runs it:
 *   seeds_pesign DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "proto/pesign.h"

#define TOKEN "OpenSC Card (Fedora Signer)"
#define CERT "/CN=Fedora Secure Boot Signer"

static const char *dir;

/*
 * Encode one request after the pre bytes already in m and write
 * m[0..pre + its length) as DIR/name; exit on failure.
 */
static size_t
seed(const char *name, uint8_t *m, size_t mlen, size_t pre, uint32_t cmd,
    const uint32_t *word, const char *const *names, size_t nnames)
{
	char path[512];
	size_t n;
	FILE *f;

	if ((n = pesign_req_encode(m + pre, mlen - pre, cmd, word, names,
		 nnames)) == 0) {
		fprintf(stderr, "cannot encode %s\n", name);
		exit(1);
	}
	n += pre;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(m, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return n;
}

int
main(int argc, char **argv)
{
	static const char *const token[] = { TOKEN };
	static const char *const sign[] = { TOKEN, CERT };
	static const char *const unlock[] = { TOKEN, "123456" };
	static const uint32_t pe = PESIGN_FT_PE, mod = PESIGN_FT_MODULE;
	static const uint32_t asked = PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE;
	uint8_t m[2 * (PESIGN_HDR_LEN + PESIGN_PAYLOAD_MAX)];
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds_pesign DIR\n");
		return 2;
	}
	dir = argv[1];
	seed("kill", m, sizeof(m), 0, PESIGN_KILL_DAEMON, NULL, NULL, 0);
	seed("unlock", m, sizeof(m), 0, PESIGN_UNLOCK_TOKEN, NULL, unlock, 2);
	seed("sign-attached", m, sizeof(m), 0, PESIGN_SIGN_ATTACHED, NULL, sign,
	    2);
	seed("sign-detached", m, sizeof(m), 0, PESIGN_SIGN_DETACHED, NULL, sign,
	    2);
	seed("sign-attached-ft", m, sizeof(m), 0,
	    PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE, &pe, sign, 2);
	seed("sign-detached-ft", m, sizeof(m), 0,
	    PESIGN_SIGN_DETACHED_WITH_FILE_TYPE, &pe, sign, 2);
	seed("sign-module-ft", m, sizeof(m), 0,
	    PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE, &mod, sign, 2);
	seed("cmd-version", m, sizeof(m), 0, PESIGN_GET_CMD_VERSION, &asked,
	    NULL, 0);
	/* pesign-client's order: is the token unlocked?  then sign. */
	n = seed("is-unlocked", m, sizeof(m), 0, PESIGN_IS_TOKEN_UNLOCKED, NULL,
	    token, 1);
	seed("stream-unlocked-sign", m, sizeof(m), n,
	    PESIGN_SIGN_ATTACHED_WITH_FILE_TYPE, &pe, sign, 2);
	return 0;
}
