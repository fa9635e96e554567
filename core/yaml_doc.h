/* A thin layer over libyaml's document API that the profile and op spec
 * parsers share: loading with limits that make hostile input harmless, and
 * schema helpers (known keys, required keys, typed getters with ranges) so
 * that each parser reads as a table. Every message has the form
 * "FILE:LINE:COL: message" with 1-based line and column. */
#ifndef TSR_YAML_DOC_H
#define TSR_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "core/arena.h"
#include "core/status.h"

#define TSR_YAML_MAX_BYTES (1024 * 1024)
#define TSR_YAML_MAX_DEPTH 32
/* The most keys one mapping's schema may name (required keys are a mask). */
#define TSR_YAML_MAX_KEYS 64
#define TSR_YAML_ALL_REQUIRED UINT64_MAX

typedef struct tsr_yaml_doc {
    const char *path; /* names the input in messages */
    tsr_error *err;   /* where every helper writes its message */
    yaml_document_t document;
    bool loaded;
} tsr_yaml_doc;

/* One key's slot after tsr_yaml_fields: both NULL when the key is absent. */
typedef struct tsr_yaml_field {
    yaml_node_t *key;
    yaml_node_t *value;
} tsr_yaml_field;

/* Reads a whole file (at most TSR_YAML_MAX_BYTES) into a malloc'd buffer. */
tsr_status tsr_yaml_read_file(const char *path, char **text, size_t *len, tsr_error *err);

/* Parses exactly one document from text. Rejects syntax errors, several
 * documents, anchors and aliases, nesting deeper than TSR_YAML_MAX_DEPTH,
 * scalars holding NUL bytes and input over TSR_YAML_MAX_BYTES. On success
 * the caller must call tsr_yaml_doc_free; on failure nothing is held. */
tsr_status tsr_yaml_doc_load(tsr_yaml_doc *doc, const char *path, const char *text, size_t len,
                             tsr_error *err);
void tsr_yaml_doc_free(tsr_yaml_doc *doc);

/* The top-level node, which must be a mapping ("what" names the file's
 * kind in the message, e.g. "a device profile"). */
tsr_status tsr_yaml_root_mapping(tsr_yaml_doc *doc, const char *what, yaml_node_t **out);

/* Writes "FILE:LINE:COL: <message>" for the node's position (1:1 when node
 * is NULL) and returns TSR_ERR_INPUT. */
tsr_status tsr_yaml_fail(tsr_yaml_doc *doc, const yaml_node_t *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checks that node is a mapping whose keys are scalars, each one of
 * names[0..n_names), none repeated, and every key whose bit is set in
 * `required` present. out[i] receives the key and value of names[i].
 * `where` names the mapping in messages ("compute", "shapes[2]"). */
tsr_status tsr_yaml_fields(tsr_yaml_doc *doc, yaml_node_t *node, const char *where,
                           const char *const *names, size_t n_names, uint64_t required,
                           tsr_yaml_field *out);
/* The value of `key` in a mapping, or NULL (no checks; for peeking at a
 * schema version before the full key check). */
yaml_node_t *tsr_yaml_find(tsr_yaml_doc *doc, yaml_node_t *mapping, const char *key);

/* Sequences: checks the type and gives the length; items by index. */
tsr_status tsr_yaml_sequence(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, size_t *count);
yaml_node_t *tsr_yaml_item(tsr_yaml_doc *doc, yaml_node_t *sequence, size_t index);

/* Typed getters. `what` is the field's dotted path for messages. */
tsr_status tsr_yaml_int(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, long long min,
                        long long max, long long *out);
/* A finite number in [min, max], or in (min, max] when min_open. */
tsr_status tsr_yaml_number(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, double min,
                           bool min_open, double max, double *out);
tsr_status tsr_yaml_bool(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, bool *out);
/* Any scalar except null (an empty plain value or ~); may be "" when quoted.
 * The copy lives in arena. */
tsr_status tsr_yaml_string(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                           const char **out);
/* As tsr_yaml_string, non-empty. */
tsr_status tsr_yaml_text(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                         const char **out);
/* A non-empty name of [A-Za-z0-9_.-] only: safe in generated code and file
 * names. */
tsr_status tsr_yaml_ident(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                          const char **out);
/* One of names[0..n); *out receives its index. */
tsr_status tsr_yaml_enum(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                         const char *const *names, size_t n, int *out);
/* A sequence of distinct values from names[0..n) (n <= 32): bit i of *bits
 * is set for names[i]. */
tsr_status tsr_yaml_enum_set(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                             const char *const *names, size_t n, unsigned *bits);
/* A sequence of exactly n integers, each in [min, max]. */
tsr_status tsr_yaml_int_list(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, size_t n,
                             long long min, long long max, long long *out);

/* "a mapping", "a sequence", "null", or the scalar quoted (shortened to 40
 * characters), for "expected X, got Y" messages; buf holds the text. */
const char *tsr_yaml_describe(const yaml_node_t *node, char *buf, size_t size);

/* True when the identifier-safe rule admits text. */
bool tsr_yaml_is_ident(const char *text);

#endif
