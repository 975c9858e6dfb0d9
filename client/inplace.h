/*
 * A kernel module signed in place, the way its format allows: the
 * daemon appends the PKCS#7 signature and trailer to the module itself
 * (SIGN_F_INPLACE), instead of writing the whole module to a new file
 * that is then renamed over it.  No file is created or freed and the
 * module's bytes are not copied: for a batch of modules that is most of
 * what signing costs beyond the token (bench/README.md).  The module
 * keeps its inode, owner, mode and extended attributes.
 *
 * What is given up is the rename's atomicity for readers: while a
 * signature is being appended a reader may see the module without it,
 * and a crash before the data reach the disk can leave the module
 * unsigned (or, on file systems that do not order data before size,
 * with zeros at its end where the signature was to go; signing it again
 * signs those bytes too).  --atomic keeps the new-file-and-rename way.
 */
#ifndef CSIGN_CLIENT_INPLACE_H
#define CSIGN_CLIENT_INPLACE_H

#include "client/client.h"

/*
 * The descriptor through which file, whose output is out, is signed in
 * place: the module open for reading and writing.  -1 when it is not
 * signed so, and a temporary file and a rename serve: another format, an
 * output elsewhere, --replace, --atomic, --no-wait, a connection without
 * descriptor passing (inline), standard input, a name that is a
 * symbolic link, a file that is not regular or has other hard links (a
 * rename leaves those as they are), one this user cannot write, or one
 * that is not an uncompressed ELF file (a compressed module is written
 * anew).
 */
int cl_inplace_open(const struct options *o, const char *file, const char *out,
    int inline_data);

#endif
