// SPDX-License-Identifier: Apache-2.0
#include "sensors/uprobe_digest.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 15];
	}
	out[2 * n] = 0;
}

static const EVP_MD *md_of(enum tp_digest_algo a)
{
	switch (a) {
	case TP_DIGEST_SHA1: return EVP_sha1();
	case TP_DIGEST_SHA256: return EVP_sha256();
	case TP_DIGEST_SHA384: return EVP_sha384();
	case TP_DIGEST_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static const char *algo_name(enum tp_digest_algo a)
{
	switch (a) {
	case TP_DIGEST_SHA1: return "sha1";
	case TP_DIGEST_SHA256: return "sha256";
	case TP_DIGEST_SHA384: return "sha384";
	case TP_DIGEST_SHA512: return "sha512";
	default: return "build-id";
	}
}

/* The file's digest with md, as hex, reading it once. */
static int file_digest(int fd, const EVP_MD *md, char *hex)
{
	unsigned char buf[65536], out[EVP_MAX_MD_SIZE];
	unsigned outlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ssize_t n;
	int err = 0;

	if (!c)
		return -ENOMEM;
	if (lseek(fd, 0, SEEK_SET) < 0 || !EVP_DigestInit_ex(c, md, NULL)) {
		err = -EIO;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(c, buf, (size_t)n)) {
			err = -EIO;
			goto out;
		}
	if (n < 0 || !EVP_DigestFinal_ex(c, out, &outlen)) {
		err = n < 0 ? -errno : -EIO;
		goto out;
	}
	to_hex(out, outlen, hex);
out:
	EVP_MD_CTX_free(c);
	return err;
}

/* The GNU build-id note as hex; -ENOENT when the file has none. */
static int build_id(int fd, char *hex)
{
	Elf_Scn *scn = NULL;
	Elf *e;
	int err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return -ENOEXEC;
	while (err == -ENOENT && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4) && nh.n_descsz &&
			    nh.n_descsz <= EVP_MAX_MD_SIZE) {
				to_hex((const unsigned char *)d->d_buf + desc_off, nh.n_descsz, hex);
				err = 0;
				break;
			}
		}
	}
	elf_end(e);
	return err;
}

int uprobe_digest_match(const char *path, const struct tp_digest *d, size_t n, char *why, size_t len)
{
	char have[TP_DIGEST_BUILD_ID + 1][HEX_MAX];
	bool done[TP_DIGEST_BUILD_ID + 1] = { 0 };
	int fd, err = 0, match = 0;
	size_t w = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "uprobe path %s: %s", path, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < n && !match; i++) {
		enum tp_digest_algo a = d[i].algo;

		if (a > TP_DIGEST_BUILD_ID)
			continue;
		if (!done[a]) {
			err = a == TP_DIGEST_BUILD_ID ? build_id(fd, have[a]) : file_digest(fd, md_of(a), have[a]);
			if (err) {
				snprintf(why, len, "uprobe path %s: %s: %s", path,
					 a == TP_DIGEST_BUILD_ID ? "reading its build-id" : "computing its digest",
					 err == -ENOENT ? "the file has no GNU build-id note" : strerror(-err));
				break;
			}
			done[a] = true;
		}
		match = !strcasecmp(have[a], d[i].hex);
	}
	close(fd);
	if (err)
		return err;
	if (match)
		return 1;
	/* name what the file has, so the policy can be fixed */
	w = (size_t)snprintf(why, len, "uprobe path %s matches none of binaryDigests (it has", path);
	for (int a = 0; a <= TP_DIGEST_BUILD_ID && w < len; a++)
		if (done[a])
			w += (size_t)snprintf(why + w, len - w, " %s:%s", algo_name((enum tp_digest_algo)a), have[a]);
	if (w < len)
		snprintf(why + w, len - w, ")");
	return 0;
}
