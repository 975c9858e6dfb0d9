/*
 * batchindep.c: whether the files of a batch may be signed side by side
 * (see cl_batch_independent in batch.h): no two names are one file, and
 * no file is another's output.
 */
#include "client/batch.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client/sign.h"

/* A file's identity, to tell when two names are one file. */
struct fid {
	dev_t dev;
	ino_t ino;
};

static int
fid_cmp(const void *a, const void *b)
{
	const struct fid *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* 1 if ids[0..n) (sorted) holds path's file. */
static int
fid_has(const struct fid *ids, size_t n, const char *path)
{
	struct stat st;
	struct fid k;

	if (stat(path, &st) == -1)
		return 0;
	k = (struct fid){ .dev = st.st_dev, .ino = st.st_ino };
	return bsearch(&k, ids, n, sizeof(k), fid_cmp) != NULL;
}

int
cl_batch_independent(const struct options *o)
{
	char out[PATH_MAX];
	struct fid *ids;
	struct stat st;
	size_t n = (size_t)o->nfiles;
	int ok = 1;

	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return 0;
	for (size_t i = 0; ok && i < n; i++) {
		if (stat(o->files[i], &st) == -1)
			ok = 0;
		else
			ids[i] =
			    (struct fid){ .dev = st.st_dev, .ino = st.st_ino };
	}
	if (ok)
		qsort(ids, n, sizeof(*ids), fid_cmp);
	for (size_t i = 1; ok && i < n; i++)
		if (fid_cmp(&ids[i - 1], &ids[i]) == 0)
			ok = 0;
	for (size_t i = 0; ok && i < n; i++)
		if (cl_sign_output(o->files[i], NULL, o->format, out,
			sizeof(out)) == 0 &&
		    strcmp(out, o->files[i]) != 0 && fid_has(ids, n, out))
			ok = 0;
	free(ids);
	return ok;
}
