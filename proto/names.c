/* names.c: text forms of the shared enums (see names.h). */
#include "proto/names.h"

#include <stdio.h>
#include <string.h>

static const char *const format_names[FMT_COUNT] = { "raw", "cms", "module",
	"pe", "ima", "verity", "openpgp", "openpgp-clear" };
static const char *const digest_names[DIG_COUNT] = { "sha256", "sha384",
	"sha512" };
static const size_t digest_lens[DIG_COUNT] = { 32, 48, 64 };
static const char *const status_names[ST_COUNT] = { "ok", "denied",
	"bad-request", "bad-artifact", "unavailable", "timeout", "internal" };
static const int status_exits[ST_COUNT] = { EXIT_OK_, EXIT_DENIED, EXIT_ERROR,
	EXIT_BAD_ARTIFACT, EXIT_UNAVAILABLE, EXIT_UNAVAILABLE, EXIT_ERROR };

/* Index of name in a table of n names, or -1. */
static int
name_lookup(const char *const *tab, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(tab[i], name) == 0)
			return i;
	return -1;
}

/* Join the names of the set bits of mask with spaces. */
static void
mask_to_str(const char *const *tab, int n, unsigned mask, char *dst,
    size_t dstlen)
{
	size_t used = 0;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(dst + used, dstlen - used, "%s%s",
		    used ? " " : "", tab[i]);
		if (w < 0 || (size_t)w >= dstlen - used)
			return;
		used += (size_t)w;
	}
}

int
key_name_valid(const void *p, size_t len)
{
	const unsigned char *c = p;

	if (len == 0 || len > KEY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') ||
			(c[i] >= 'A' && c[i] <= 'Z') ||
			(c[i] >= '0' && c[i] <= '9') || c[i] == '.' ||
			c[i] == '_' || c[i] == '-'))
			return 0;
	return 1;
}

const char *
format_name(int fmt)
{
	return fmt >= 0 && fmt < FMT_COUNT ? format_names[fmt] : "?";
}

int
format_from_name(const char *name)
{
	return name_lookup(format_names, FMT_COUNT, name);
}

int
format_supported(int fmt)
{
	return fmt >= 0 && fmt < FMT_COUNT;
}

int
format_writes_artifact(int fmt)
{
	return format_supported(fmt) && (ARTIFACT_FORMATS & FMT_BIT(fmt)) != 0;
}

int
format_fd_count(int fmt)
{
	return format_writes_artifact(fmt) ? 2 : 1;
}

void
formats_to_str(unsigned mask, char *dst, size_t dstlen)
{
	mask_to_str(format_names, FMT_COUNT, mask, dst, dstlen);
}

const char *
digest_name(int dig)
{
	return dig >= 0 && dig < DIG_COUNT ? digest_names[dig] : "?";
}

int
digest_from_name(const char *name)
{
	return name_lookup(digest_names, DIG_COUNT, name);
}

size_t
digest_len(int dig)
{
	return dig >= 0 && dig < DIG_COUNT ? digest_lens[dig] : 0;
}

void
digests_to_str(unsigned mask, char *dst, size_t dstlen)
{
	mask_to_str(digest_names, DIG_COUNT, mask, dst, dstlen);
}

const char *
ts_mode_name(int mode)
{
	return mode == TS_REQUIRED ? "required"
	    : mode == TS_OPTIONAL  ? "optional"
				   : "none";
}

int
padding_from_name(const char *name)
{
	if (strcmp(name, "pkcs1") == 0)
		return PAD_PKCS1;
	if (strcmp(name, "pss") == 0)
		return PAD_PSS;
	return -1;
}

const char *
status_name(int st)
{
	return st >= 0 && st < ST_COUNT ? status_names[st] : "unknown";
}

const char *
via_name(int via)
{
	static const char *const names[VIA_COUNT] = { "client", "pesign" };

	return via >= 0 && via < VIA_COUNT ? names[via] : "unknown";
}

int
status_exit_code(int st)
{
	return st >= 0 && st < ST_COUNT ? status_exits[st] : EXIT_ERROR;
}
