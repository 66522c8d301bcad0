// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: arbitrary bytes -> YAML DOM -> typed policy -> the
 * agent's offline checks (tp_check_agent). Built with
 * "make fuzz" (clang-14, ASan+UBSan). Any crash, leak or sanitizer report is
 * a bug: the parser must turn every input into a policy or diagnostics.
 */
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_diags d = TP_DIAGS_INIT;
	struct tp_policy_set *set = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int rc;

	rc = tp_parse("fuzz.yaml", (const char *)data, size, &set, &d);
	/* success and diagnostics must agree */
	if ((rc == 0) != (set != NULL) || (rc == 0 && d.nerrors))
		__builtin_trap();
	/* what the agent refuses without the kernel runs on every parsed policy */
	for (i = 0; set && i < set->n; i++)
		tp_check_agent(set->policies[i], &d);
	for (i = 0; i < d.n; i++) {
		strbuf_reset(&sb);
		tp_diag_format(&d.v[i], "fuzz.yaml", &sb);
	}
	strbuf_free(&sb);
	tp_policy_set_free(set);
	tp_diags_free(&d);
	return 0;
}
