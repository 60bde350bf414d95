/* --list-rules and --explain RULE: the wiring gathers the catalogues of
 * checks (the library's MQTT and MQTT-SN rules; any other layer's) and
 * hands them to the printer (output/out_rules.h). No input is read. */
#ifndef MQD_CLI_PIPELINE_RULES_H
#define MQD_CLI_PIPELINE_RULES_H

struct options; /* options.h */

/* Runs --list-rules or --explain as the options ask. The exit status: 0,
 * 1 when writing failed, 2 when --explain names no rule (said on stderr). */
int pipeline_rules_run(const struct options *o);

#endif
