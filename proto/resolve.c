/* resolve.c: the lookup process's answer, encoded and decoded exactly. */
#include "proto/resolve.h"

#include <string.h>

/* Is r one of the answers the format allows? */
static int
resolve_valid(const struct resolve_reply *r)
{
	if (r->status >= RES_COUNT || r->count > RESOLVE_ADDRS_MAX ||
	    (r->status == RES_OK) != (r->count > 0))
		return 0;
	for (size_t i = 0; i < r->count; i++) {
		if (r->a[i].family != 4 && r->a[i].family != 6)
			return 0;
		for (size_t j = 4; r->a[i].family == 4 && j < RESOLVE_ADDR_LEN;
		     j++)
			if (r->a[i].addr[j] != 0)
				return 0;
	}
	return 1;
}

int
resolve_enc(struct buf *b, const struct resolve_reply *r)
{
	static const uint8_t zero[1 + RESOLVE_ADDR_LEN];

	if (!resolve_valid(r) || buf_put_u16(b, RESOLVE_VERSION) == -1 ||
	    buf_put_u8(b, r->status) == -1 || buf_put_u8(b, r->count) == -1)
		return -1;
	for (size_t i = 0; i < RESOLVE_ADDRS_MAX; i++) {
		if (i >= r->count) {
			if (buf_put(b, zero, sizeof(zero)) == -1)
				return -1;
		} else if (buf_put_u8(b, r->a[i].family) == -1 ||
		    buf_put(b, r->a[i].addr, RESOLVE_ADDR_LEN) == -1)
			return -1;
	}
	return 0;
}

int
resolve_dec(struct buf *b, struct resolve_reply *r)
{
	static const uint8_t zero[RESOLVE_ADDRS_MAX][1 + RESOLVE_ADDR_LEN];
	uint8_t unused[RESOLVE_ADDRS_MAX][1 + RESOLVE_ADDR_LEN];
	uint16_t version;

	memset(r, 0, sizeof(*r));
	if (buf_get_u16(b, &version) == -1 || version != RESOLVE_VERSION ||
	    buf_get_u8(b, &r->status) == -1 || buf_get_u8(b, &r->count) == -1 ||
	    r->count > RESOLVE_ADDRS_MAX)
		return -1;
	for (size_t i = 0; i < r->count; i++)
		if (buf_get_u8(b, &r->a[i].family) == -1 ||
		    buf_get(b, r->a[i].addr, RESOLVE_ADDR_LEN) == -1)
			return -1;
	/* The slots after count: present, and nothing but zeros. */
	if (buf_get(b, unused,
		(RESOLVE_ADDRS_MAX - r->count) * sizeof(unused[0])) == -1 ||
	    memcmp(unused, zero,
		(RESOLVE_ADDRS_MAX - r->count) * sizeof(unused[0])) != 0 ||
	    buf_end(b) == -1 || !resolve_valid(r))
		return -1;
	return 0;
}

const char *
resolve_status_text(int status)
{
	static const char *const text[RES_COUNT] = {
		[RES_OK] = "resolved",
		[RES_NONAME] = "no such name",
		[RES_AGAIN] = "temporary failure in name resolution",
		[RES_FAIL] = "name resolution failed",
	};

	if (status < 0 || status >= RES_COUNT)
		return "unknown";
	return text[status];
}
