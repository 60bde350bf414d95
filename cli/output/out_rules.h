/* --list-rules and --explain: the catalogues of checks (record.h's
 * rule_catalogue) as a text table or JSON Lines. Reads no input. */
#ifndef MQD_CLI_OUT_RULES_H
#define MQD_CLI_OUT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record.h"

/* Every rule of every catalogue, in order: a table (id, severity,
 * versions, name, message) or, with json, one object per rule with every
 * field. 0, or -1 when writing failed. */
int out_rules_list(FILE *out, const struct rule_catalogue *cats, size_t ncats, bool json);

/* The rule whose name or id is `key` (names first, then ids, across the
 * catalogues in order); NULL when none is. */
const struct rule_entry *out_rules_find(const struct rule_catalogue *cats, size_t ncats,
                                        const char *key, const char **catalogue);

/* Everything about one rule: its statement and section too. 0, or -1 when
 * writing failed. */
int out_rules_explain(FILE *out, const struct rule_entry *r, const char *catalogue, bool json);

#endif
