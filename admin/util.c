/* util.c: csign-admin's messages, usage and small shared helpers. */
#include "admin/admin.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

/* The manual's synopsis, word for word. */
void
adm_usage(FILE *out)
{
	fprintf(out,
	    "usage: " ADM_NAME " [-f config] tokens\n"
	    "       " ADM_NAME " [-f config] keys --token token\n"
	    "       " ADM_NAME " [-f config] keygen --token token"
	    " --label label --type type\n"
	    "                   [--id hex]\n"
	    "       " ADM_NAME " [-f config] csr --token token --key label"
	    " --subject subject\n"
	    "                   [--eku purposes] [-o file]\n"
	    "       " ADM_NAME " [-f config] import-cert --token token"
	    " --key label\n"
	    "                   [--chain file] [--to-token [--replace] |"
	    " -o file] cert\n"
	    "       " ADM_NAME " [-f config] show-cert cert\n"
	    "       " ADM_NAME " -h | --help\n");
}

/* "csign-admin: message" on stderr. */
static void __attribute__((format(printf, 1, 0)))
adm_vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, ADM_NAME ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

int
adm_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	adm_vsay(fmt, ap);
	va_end(ap);
	adm_usage(stderr);
	return ADM_USAGE;
}

int
adm_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	adm_vsay(fmt, ap);
	va_end(ap);
	return code;
}

struct config *
adm_config(const struct adm_opts *o)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;

	if ((cfg = config_load(o->config, err, sizeof(err))) == NULL)
		adm_fail(ADM_FAIL, "%s", err);
	return cfg;
}

const struct cfg_token *
adm_token(const struct config *cfg, const char *name)
{
	const struct cfg_token *ct = config_find_token(cfg, name);

	if (ct == NULL)
		adm_fail(ADM_FAIL, "%s: no Token block named %s", cfg->path,
		    name);
	return ct;
}

int
adm_hex_parse(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		if (n > 0 && *s == ':')
			s++;
		if ((hi = util_hexval(s[0])) == -1 ||
		    (lo = util_hexval(s[1])) == -1 || n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n > 0 ? (int)n : -1;
}

const char *
adm_clean(const char *s, char *dst, size_t dstlen)
{
	size_t n = 0;

	for (; *s != '\0' && n + 5 < dstlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[n++] = (char)c;
		else
			n +=
			    (size_t)snprintf(dst + n, dstlen - n, "\\x%02x", c);
	}
	dst[n] = '\0';
	return dst;
}

const char *
adm_key_type(EVP_PKEY *pub, char *dst, size_t dstlen)
{
	if (pub != NULL && EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		snprintf(dst, dstlen, "rsa-%d", EVP_PKEY_get_bits(pub));
	else if (pub != NULL && EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		snprintf(dst, dstlen, "ec-p%d", EVP_PKEY_get_bits(pub));
	else
		snprintf(dst, dstlen, "unknown");
	return dst;
}

int
adm_write_file(const char *path, const void *data, size_t len, unsigned mode,
    char *err, size_t errlen)
{
	char tmp[4096];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
		(long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    (mode_t)mode);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) == -1 ||
	    util_write_all(fd, data, len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		return -1;
	}
	if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}
