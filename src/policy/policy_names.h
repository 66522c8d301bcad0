/* SPDX-License-Identifier: Apache-2.0 */
/* Name tables behind the policy enums (internal to src/policy). */
#ifndef TG_POLICY_NAMES_H
#define TG_POLICY_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

struct tp_name_map {
	const char *name;
	int value;
	int alias;	/* accepted but not advertised in "want one of" lists */
};

extern const struct tp_name_map tp_arg_type_map[];
extern const struct tp_name_map tp_arg_op_map[];
extern const struct tp_name_map tp_binary_op_map[];
extern const struct tp_name_map tp_in_op_map[];
extern const struct tp_name_map tp_action_map[];
extern const struct tp_name_map tp_ns_map[];
extern const struct tp_name_map tp_cap_set_map[];
extern const struct tp_name_map tp_list_type_map[];
extern const struct tp_name_map tp_label_op_map[];
extern const struct tp_name_map tp_rate_limit_scope_map[];

unsigned tp_capability_count(void);

#endif
