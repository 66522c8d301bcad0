// SPDX-License-Identifier: Apache-2.0
// RE2 behind a C interface (filters/re2_shim.h). No C++ exception may leave
// these functions: they are called from C.
#include "filters/re2_shim.h"

#include <cstdio>
#include <new>
#include <string>

#include <re2/re2.h>

struct tg_re2 {
	re2::RE2 re;

	tg_re2(const re2::StringPiece &p, const re2::RE2::Options &o) : re(p, o) {}
};

static void copy_out(char *dst, size_t len, const std::string &s)
{
	if (len)
		snprintf(dst, len, "%s", s.c_str());
}

static enum tg_re2_status compile(struct tg_re2 **out, const char *pattern, size_t len, int64_t max_mem,
				  bool capture, char *why, size_t whylen, char *arg, size_t arglen)
{
	re2::RE2::Options o;
	enum tg_re2_status st;
	tg_re2 *r;

	*out = nullptr;
	copy_out(why, whylen, "");
	copy_out(arg, arglen, "");
	// Defaults already are Go's: UTF-8, Perl syntax (not POSIX), first
	// match, dot_nl off, case-sensitive unless (?i).
	o.set_log_errors(false);
	o.set_max_mem(max_mem);
	o.set_never_capture(!capture);	// filters need only a yes/no answer
	try {
		r = new tg_re2(re2::StringPiece(pattern, len), o);
	} catch (const std::bad_alloc &) {
		return TG_RE2_NOMEM;
	}
	switch (r->re.error_code()) {
	case re2::RE2::NoError:
		*out = r;
		return TG_RE2_OK;
	case re2::RE2::ErrorBadEscape:
		st = TG_RE2_BAD_ESCAPE;
		break;
	case re2::RE2::ErrorBadPerlOp:
		st = TG_RE2_BAD_PERL_OP;
		break;
	case re2::RE2::ErrorPatternTooLarge:
		st = TG_RE2_TOO_LARGE;
		break;
	default:
		st = TG_RE2_SYNTAX;
		break;
	}
	copy_out(why, whylen, r->re.error());
	copy_out(arg, arglen, r->re.error_arg());
	delete r;
	return st;
}

extern "C" enum tg_re2_status tg_re2_compile(struct tg_re2 **out, const char *pattern, size_t len,
					     int64_t max_mem, char *why, size_t whylen, char *arg, size_t arglen)
{
	return compile(out, pattern, len, max_mem, false, why, whylen, arg, arglen);
}

extern "C" enum tg_re2_status tg_re2_compile_captures(struct tg_re2 **out, const char *pattern, size_t len,
						      int64_t max_mem, char *why, size_t whylen, char *arg,
						      size_t arglen)
{
	return compile(out, pattern, len, max_mem, true, why, whylen, arg, arglen);
}

extern "C" int tg_re2_ngroups(const struct tg_re2 *re)
{
	return re->re.NumberOfCapturingGroups();
}

extern "C" bool tg_re2_find(const struct tg_re2 *re, const char *text, size_t len, size_t start, size_t *spans,
			    int nspans)
{
	re2::StringPiece sub[64];
	re2::StringPiece t(text, len);

	if (nspans < 1 || nspans > 64 || start > len)
		return false;
	try {
		if (!re->re.Match(t, start, len, re2::RE2::UNANCHORED, sub, nspans))
			return false;
	} catch (const std::bad_alloc &) {
		return false;
	}
	for (int i = 0; i < nspans; i++) {
		if (sub[i].data() == nullptr) {
			spans[2 * i] = spans[2 * i + 1] = (size_t)-1;
		} else {
			spans[2 * i] = (size_t)(sub[i].data() - text);
			spans[2 * i + 1] = spans[2 * i] + sub[i].size();
		}
	}
	return true;
}

extern "C" bool tg_re2_search(const struct tg_re2 *re, const char *text, size_t len)
{
	try {
		return re2::RE2::PartialMatch(re2::StringPiece(text, len), re->re);
	} catch (const std::bad_alloc &) {
		return false;
	}
}

extern "C" void tg_re2_free(struct tg_re2 *re)
{
	delete re;
}
