/*
 * auditline: the fixed head and tail of every audit record line
 * (proto/auditrec.h), shared by its encoder (auditrec.c) and its parser
 * (auditparse.c) and by nothing else.
 */
#ifndef CSIGN_AUDITLINE_H
#define CSIGN_AUDITLINE_H

#include "proto/auditrec.h"

/*
 * Every record starts with REC_HEAD and ends with the fixed tail
 *     ,"prev":"<64 hex>","hash":"<64 hex>"}
 * The hash covers the line up to and including the quote that closes prev.
 */
#define REC_HEAD "{\"seq\":"
#define REC_PREV_KEY ",\"prev\":\""
#define REC_HASH_KEY "\",\"hash\":\""
#define REC_END "\"}"
#define LIT_LEN(s) (sizeof(s) - 1)
#define REC_TAIL_LEN \
	(LIT_LEN(REC_PREV_KEY) + AUDIT_HASH_HEX + LIT_LEN(REC_HASH_KEY) + \
	    AUDIT_HASH_HEX + LIT_LEN(REC_END))
/* Bytes after the hashed part: ,"hash":"<64 hex>"} */
#define REC_UNHASHED_LEN \
	(LIT_LEN(REC_HASH_KEY) - 1 + AUDIT_HASH_HEX + LIT_LEN(REC_END))

#endif
