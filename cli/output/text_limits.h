/* How much of a string, a payload or a field's raw bytes the text output
 * shows: the one place for the limits of the summary line and the -V tree
 * (out_text.c, out_text_tree.c, out_sn.c, payload.c). */
#ifndef MQD_CLI_TEXT_LIMITS_H
#define MQD_CLI_TEXT_LIMITS_H

/* Input bytes of a string or payload shown on the summary line. */
#define SUMMARY_STR_LIMIT 64
#define SUMMARY_PAYLOAD_LIMIT 32
#define SUMMARY_HEX_LIMIT 16
#define SUMMARY_MAX_LIST 8
/* Tree: raw bytes shown per field, payload preview sizes. */
#define TREE_RAW_BYTES 8
#define TREE_TEXT_PREVIEW 256
#define TREE_HEX_PREVIEW 64
/* Column where a tree line's description starts ("  0000: " + bytes). */
#define TREE_BYTES_COL 8
#define TREE_DESC_COL (TREE_BYTES_COL + 3 * TREE_RAW_BYTES + 1)

#endif
