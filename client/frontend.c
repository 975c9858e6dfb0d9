/* frontend.c: see frontend.h. */
#include "client/frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "client/args.h"
#include "client/conn.h"
#include "client/output.h"
#include "common/certfile.h"
#include "common/log.h"
#include "proto/frame.h"
#include "proto/names.h"

#define MODULE_MAGIC "~Module signature appended~\n"
#define MODULE_MAGIC_LEN (sizeof(MODULE_MAGIC) - 1)
#define MODULE_SIG_INFO 12 /* struct module_signature */
#define PKEY_ID_PKCS7 2

const char *
fe_key_name(const char *spec, struct failure *fl)
{
	size_t n = strlen(FE_KEY_PREFIX);
	const char *base = strrchr(spec, '/');

	/*
	 * kbuild's modules_install passes "$(srctree)/KEY" when KEY is not a
	 * file ("./csign:NAME"): the name is the last path component.
	 */
	if (base != NULL && strncmp(base + 1, FE_KEY_PREFIX, n) == 0)
		spec = base + 1;

	if (strncmp(spec, FE_KEY_PREFIX, n) != 0 || spec[n] == '\0') {
		cl_fail_set(fl, EXIT_USAGE, "usage",
		    "%s: not a csign key: "
		    "name it as %sNAME (the private key stays in csignd's "
		    "token)",
		    spec, FE_KEY_PREFIX);
		return NULL;
	}
	return spec + n;
}

/* The certificate of a cert reply (PEM in T_CERT), or NULL. */
static X509 *
reply_cert(const struct reply *r)
{
	const struct tlv *t = frame_find(&r->f, T_CERT);
	X509 *x = NULL;
	BIO *bio;

	if (t == NULL || t->len == 0 || t->len > INT32_MAX)
		return NULL;
	if ((bio = BIO_new_mem_buf(t->val, (int)t->len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

int
fe_cert_matches(struct conn *c, const char *key, const char *file,
    struct failure *fl)
{
	char err[512];
	struct reply r;
	X509 *want = NULL, *have;
	int ret = -1;

	if ((have = certfile_load(file, err, sizeof(err))) == NULL) {
		cl_fail_set(fl, EXIT_ERROR, "error", "%s", err);
		return -1;
	}
	cl_reply_init(&r);
	if (cl_conn_simple(c, F_CERT, key, &r, fl) == -1)
		goto done;
	if ((want = reply_cert(&r)) == NULL) {
		cl_fail_protocol(fl, "reply without a certificate");
		goto done;
	}
	if (X509_cmp(want, have) != 0) {
		cl_fail_set(fl, EXIT_ERROR, "error",
		    "%s is not the "
		    "certificate of csign key %s (see 'csign-client cert %s')",
		    file, key, key);
		goto done;
	}
	ret = 0;
done:
	cl_reply_free(&r);
	X509_free(want);
	X509_free(have);
	return ret;
}

int
fe_sign(struct options *o, const char *certfile, struct failure *fl)
{
	struct conn c = { .fd = -1 };
	mode_t mask;
	int ret = -1;

	mask = umask(022);
	umask(mask);
	o->out_mode = 0644 & ~mask;
	if (o->timeout == 0)
		o->timeout = DEFAULT_TIMEOUT;
	if (cl_conn_open(&c, cl_socket_path(NULL, getenv("CSIGN_SOCKET")),
		o->timeout, fl) == -1)
		return -1;
	if (certfile == NULL || fe_cert_matches(&c, o->key, certfile, fl) == 0)
		ret = cl_cmd_sign(&c, o, fl);
	cl_conn_close(&c);
	return ret;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

int
fe_module_pkcs7(const uint8_t *p, size_t len, size_t *off, size_t *n)
{
	const uint8_t *info;
	uint32_t siglen;

	if (len < MODULE_MAGIC_LEN + MODULE_SIG_INFO ||
	    memcmp(p + len - MODULE_MAGIC_LEN, MODULE_MAGIC,
		MODULE_MAGIC_LEN) != 0)
		return -1;
	info = p + len - MODULE_MAGIC_LEN - MODULE_SIG_INFO;
	siglen = be32(info + 8);
	if (info[2] != PKEY_ID_PKCS7 || siglen == 0 ||
	    siglen > len - MODULE_MAGIC_LEN - MODULE_SIG_INFO)
		return -1;
	*off = len - MODULE_MAGIC_LEN - MODULE_SIG_INFO - siglen;
	*n = siglen;
	return 0;
}

/* Length of the DER element at p[0..len) (definite form), or 0. */
static size_t
der_length(const uint8_t *p, size_t len)
{
	size_t hdr = 2, body = 0;

	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		body = p[1];
	} else {
		unsigned nb = p[1] & 0x7f;

		if (nb == 0 || nb > 4 || len < 2 + (size_t)nb)
			return 0;
		for (unsigned i = 0; i < nb; i++)
			body = body << 8 | p[2 + i];
		hdr += nb;
	}
	return body <= len - hdr ? hdr + body : 0;
}

int
fe_pe_pkcs7(const uint8_t *p, size_t len, size_t *off, size_t *n)
{
	size_t pe, opt, dir, at, end, last = 0, lastlen = 0;
	uint16_t magic;

	if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return -1;
	pe = le32(p + 0x3c);
	if (pe > len - 24 || memcmp(p + pe, "PE\0\0", 4) != 0)
		return -1;
	opt = pe + 24;
	if (opt + 2 > len)
		return -1;
	magic = (uint16_t)(p[opt] | p[opt + 1] << 8);
	/* The security directory is entry 4 of the data directories. */
	dir = opt + (magic == 0x20b ? 112u : 96u) + (size_t)4 * 8;
	if (magic != 0x10b && magic != 0x20b)
		return -1;
	if (dir + 8 > len)
		return -1;
	at = le32(p + dir);
	end = at + le32(p + dir + 4);
	if (at == 0 || end > len || end < at)
		return -1;
	/* WIN_CERTIFICATE entries, each padded to 8 bytes. */
	while (at + 8 <= end) {
		size_t wlen = le32(p + at);

		if (wlen < 8 || wlen > end - at)
			return -1;
		last = at + 8;
		lastlen = wlen - 8;
		at += (wlen + 7) & ~(size_t)7;
	}
	if (lastlen == 0 || (lastlen = der_length(p + last, lastlen)) == 0)
		return -1;
	*off = last;
	*n = lastlen;
	return 0;
}

int
fe_read_file(const char *file, size_t max, uint8_t **p, size_t *len)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t got = 0;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(b);
		errno = EIO;
		return -1;
	}
	*p = b;
	*len = got;
	return 0;
}
