#include "core/yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- positions and messages ---------------------------------------------- */

static tsr_status fail_at(tsr_error *err, const char *path, unsigned long line, unsigned long col,
                          const char *fmt, va_list ap)
{
    char message[TSR_ERROR_MAX];
    vsnprintf(message, sizeof message, fmt, ap);
    return tsr_fail(err, TSR_ERR_INPUT, "%s:%lu:%lu: %s", path, line, col, message);
}

static tsr_status fail_mark(tsr_error *err, const char *path, yaml_mark_t mark, const char *fmt,
                            ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static tsr_status fail_mark(tsr_error *err, const char *path, yaml_mark_t mark, const char *fmt,
                            ...)
{
    va_list ap;
    va_start(ap, fmt);
    tsr_status status =
        fail_at(err, path, (unsigned long)mark.line + 1, (unsigned long)mark.column + 1, fmt, ap);
    va_end(ap);
    return status;
}

tsr_status tsr_yaml_fail(tsr_yaml_doc *doc, const yaml_node_t *node, const char *fmt, ...)
{
    unsigned long line = node ? (unsigned long)node->start_mark.line + 1 : 1;
    unsigned long col = node ? (unsigned long)node->start_mark.column + 1 : 1;
    va_list ap;
    va_start(ap, fmt);
    tsr_status status = fail_at(doc->err, doc->path, line, col, fmt, ap);
    va_end(ap);
    return status;
}

/* libyaml's reader reports a byte offset rather than a mark; count lines and
 * UTF-8 characters up to it so that the message has the usual shape. */
static yaml_mark_t mark_from_offset(const char *text, size_t len, size_t offset)
{
    yaml_mark_t mark = {0, 0, 0};
    for (size_t i = 0; i < offset && i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            mark.line++;
            mark.column = 0;
        } else if ((c & 0xC0) != 0x80) {
            mark.column++;
        }
    }
    return mark;
}

static tsr_status parser_error(const char *path, const char *text, size_t len,
                               const yaml_parser_t *parser, tsr_error *err)
{
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory while parsing", path);
    case YAML_READER_ERROR:
        return fail_mark(err, path, mark_from_offset(text, len, parser->problem_offset), "%s",
                         problem);
    default: break;
    }
    if (parser->context)
        return fail_mark(err, path, parser->problem_mark, "%s (%s at %lu:%lu)", problem,
                         parser->context, (unsigned long)parser->context_mark.line + 1,
                         (unsigned long)parser->context_mark.column + 1);
    return fail_mark(err, path, parser->problem_mark, "%s", problem);
}

/* ---- reading and loading --------------------------------------------------- */

tsr_status tsr_yaml_read_file(const char *path, char **text, size_t *len, tsr_error *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* One byte more than the limit tells "too large" from "exactly at it". */
    char *buf = malloc(TSR_YAML_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, TSR_YAML_MAX_BYTES + 1, f);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error) {
        free(buf);
        return tsr_fail(err, TSR_ERR_IO, "%s: cannot read: %s", path, strerror(read_error));
    }
    if (n > TSR_YAML_MAX_BYTES) {
        free(buf);
        return tsr_fail(err, TSR_ERR_INPUT, "%s:1:1: file is larger than 1 MiB", path);
    }
    *text = buf;
    *len = n;
    return TSR_OK;
}

static tsr_status check_event(const char *path, const yaml_event_t *ev, int *depth, int *documents,
                              tsr_error *err)
{
    const unsigned char *anchor = NULL;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1)
            return fail_mark(err, path, ev->start_mark,
                             "multiple documents are not allowed (one per file)");
        break;
    case YAML_ALIAS_EVENT:
        return fail_mark(err, path, ev->start_mark, "aliases are not allowed ('*%s')",
                         (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return fail_mark(err, path, ev->start_mark, "scalar contains a NUL byte");
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        anchor = ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
                                                       : ev->data.mapping_start.anchor;
        if (++*depth > TSR_YAML_MAX_DEPTH)
            return fail_mark(err, path, ev->start_mark, "nesting deeper than %d levels",
                             TSR_YAML_MAX_DEPTH);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: --*depth; break;
    default: break;
    }
    /* An anchor is only useful to an alias; refusing both keeps the
     * document a tree, so no alias-expansion bomb can get through. */
    if (anchor)
        return fail_mark(err, path, ev->start_mark, "aliases are not allowed (anchor '&%s')",
                         (const char *)anchor);
    return TSR_OK;
}

/* A pass over the event stream enforces the limits before the loader
 * builds anything. */
static tsr_status prescan(const char *path, const char *text, size_t len, tsr_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0, documents = 0;
    tsr_status status = TSR_OK;
    for (bool done = false; !done && status == TSR_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            status = parser_error(path, text, len, &parser, err);
            break;
        }
        status = check_event(path, &ev, &depth, &documents, err);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return status;
}

tsr_status tsr_yaml_doc_load(tsr_yaml_doc *doc, const char *path, const char *text, size_t len,
                             tsr_error *err)
{
    memset(doc, 0, sizeof *doc);
    doc->path = path;
    doc->err = err;
    if (len > TSR_YAML_MAX_BYTES)
        return tsr_fail(err, TSR_ERR_INPUT, "%s:1:1: file is larger than 1 MiB", path);
    TSR_TRY(prescan(path, text, len, err));

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return tsr_fail(err, TSR_ERR_NOMEM, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    tsr_status status = TSR_OK;
    if (yaml_parser_load(&parser, &doc->document))
        doc->loaded = true;
    else
        status = parser_error(path, text, len, &parser, err);
    yaml_parser_delete(&parser);
    return status;
}

void tsr_yaml_doc_free(tsr_yaml_doc *doc)
{
    if (doc && doc->loaded) {
        yaml_document_delete(&doc->document);
        doc->loaded = false;
    }
}

/* ---- describing nodes ------------------------------------------------------ */

static bool is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)node->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

const char *tsr_yaml_describe(const yaml_node_t *node, char *buf, size_t size)
{
    if (node->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (node->type == YAML_SEQUENCE_NODE)
        return "a sequence";
    if (is_null(node))
        return "null";
    const char *v = (const char *)node->data.scalar.value;
    bool quoted = node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    size_t n = node->data.scalar.length;
    snprintf(buf, size, "%s'%.*s%s'", quoted ? "the quoted string " : "", n > 40 ? 40 : (int)n, v,
             n > 40 ? "..." : "");
    return buf;
}

static tsr_status expect_scalar(tsr_yaml_doc *doc, const yaml_node_t *node, const char *what,
                                const char *expected, bool plain_only)
{
    char buf[96];
    bool ok = node->type == YAML_SCALAR_NODE && !is_null(node) &&
              (!plain_only || node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
    if (!ok)
        return tsr_yaml_fail(doc, node, "%s: expected %s, got %s", what, expected,
                             tsr_yaml_describe(node, buf, sizeof buf));
    return TSR_OK;
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

tsr_status tsr_yaml_root_mapping(tsr_yaml_doc *doc, const char *what, yaml_node_t **out)
{
    char buf[96];
    yaml_node_t *root = yaml_document_get_root_node(&doc->document);
    if (!root || is_null(root))
        return tsr_yaml_fail(doc, root, "empty document (expected %s: a mapping)", what);
    if (root->type != YAML_MAPPING_NODE)
        return tsr_yaml_fail(doc, root, "expected %s (a mapping) at the top level, got %s", what,
                             tsr_yaml_describe(root, buf, sizeof buf));
    *out = root;
    return TSR_OK;
}

/* ---- mappings and sequences ------------------------------------------------ */

static void list_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static long find_name(const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], text))
            return (long)i;
    return -1;
}

tsr_status tsr_yaml_fields(tsr_yaml_doc *doc, yaml_node_t *node, const char *where,
                           const char *const *names, size_t n_names, uint64_t required,
                           tsr_yaml_field *out)
{
    char buf[512];
    if (node->type != YAML_MAPPING_NODE)
        return tsr_yaml_fail(doc, node, "%s: expected a mapping, got %s", where,
                             tsr_yaml_describe(node, buf, sizeof buf));
    if (n_names > TSR_YAML_MAX_KEYS)
        return tsr_yaml_fail(doc, node, "%s: schema names too many keys", where);
    memset(out, 0, sizeof *out * n_names);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(&doc->document, p->key);
        yaml_node_t *value = yaml_document_get_node(&doc->document, p->value);
        if (key->type != YAML_SCALAR_NODE)
            return tsr_yaml_fail(doc, key, "%s: keys must be plain names, got %s", where,
                                 tsr_yaml_describe(key, buf, sizeof buf));
        long i = find_name(names, n_names, scalar(key));
        if (i < 0) {
            list_names(names, n_names, buf, sizeof buf);
            return tsr_yaml_fail(doc, key, "unknown key '%s' in %s (expected one of: %s)",
                                 scalar(key), where, buf);
        }
        if (out[i].key)
            return tsr_yaml_fail(doc, key, "duplicate key '%s' in %s (first at %lu:%lu)",
                                 scalar(key), where, (unsigned long)out[i].key->start_mark.line + 1,
                                 (unsigned long)out[i].key->start_mark.column + 1);
        out[i].key = key;
        out[i].value = value;
    }
    for (size_t i = 0; i < n_names; i++)
        if ((required >> i & 1) && !out[i].key)
            return tsr_yaml_fail(doc, node, "missing required key '%s' in %s", names[i], where);
    return TSR_OK;
}

yaml_node_t *tsr_yaml_find(tsr_yaml_doc *doc, yaml_node_t *mapping, const char *key)
{
    if (mapping->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start;
         p < mapping->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc->document, p->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
            return yaml_document_get_node(&doc->document, p->value);
    }
    return NULL;
}

tsr_status tsr_yaml_sequence(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, size_t *count)
{
    char buf[96];
    if (node->type != YAML_SEQUENCE_NODE)
        return tsr_yaml_fail(doc, node, "%s: expected a sequence, got %s", what,
                             tsr_yaml_describe(node, buf, sizeof buf));
    *count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    return TSR_OK;
}

yaml_node_t *tsr_yaml_item(tsr_yaml_doc *doc, yaml_node_t *sequence, size_t index)
{
    return yaml_document_get_node(&doc->document, sequence->data.sequence.items.start[index]);
}

/* ---- scalars ----------------------------------------------------------------- */

/* Decimal only, optional sign, no leading zeros: YAML 1.1 would read "010"
 * as octal 8 and "0x10" as 16, and a config file should not surprise. */
static bool is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!*s || (s[0] == '0' && s[1]))
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

tsr_status tsr_yaml_int(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, long long min,
                        long long max, long long *out)
{
    TSR_TRY(expect_scalar(doc, node, what, "an integer", true));
    const char *text = scalar(node);
    if (!is_decimal(text))
        return tsr_yaml_fail(doc, node, "%s: expected an integer, got '%s'", what, text);
    errno = 0;
    long long value = strtoll(text, NULL, 10);
    if (errno == ERANGE)
        return tsr_yaml_fail(doc, node, "%s: integer '%s' is too large", what, text);
    if (value < min || value > max)
        return tsr_yaml_fail(doc, node, "%s: %lld is out of range %lld..%lld", what, value, min,
                             max);
    *out = value;
    return TSR_OK;
}

static bool is_number_text(const char *s)
{
    /* strtod alone would also take "inf", "nan" and hex floats. */
    bool digit = false;
    for (const char *c = s; *c; c++) {
        if (*c >= '0' && *c <= '9')
            digit = true;
        else if (!strchr("+-.eE", *c))
            return false;
    }
    return digit;
}

tsr_status tsr_yaml_number(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, double min,
                           bool min_open, double max, double *out)
{
    TSR_TRY(expect_scalar(doc, node, what, "a number", true));
    const char *text = scalar(node);
    char *end = NULL;
    errno = 0;
    double value = is_number_text(text) ? strtod(text, &end) : 0.0;
    if (!end || *end)
        return tsr_yaml_fail(doc, node, "%s: expected a number, got '%s'", what, text);
    if (!isfinite(value) || (errno == ERANGE && fabs(value) > 1.0))
        return tsr_yaml_fail(doc, node, "%s: number '%s' is too large", what, text);
    if (min_open && (value <= min || value > max))
        return tsr_yaml_fail(doc, node, "%s: %g is out of range: must be above %g and at most %g",
                             what, value, min, max);
    if (value < min || value > max)
        return tsr_yaml_fail(doc, node, "%s: %g is out of range %g..%g", what, value, min, max);
    *out = value;
    return TSR_OK;
}

tsr_status tsr_yaml_bool(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, bool *out)
{
    TSR_TRY(expect_scalar(doc, node, what, "true or false", true));
    const char *text = scalar(node);
    if (strcmp(text, "true") && strcmp(text, "false"))
        return tsr_yaml_fail(doc, node, "%s: expected true or false, got '%s'", what, text);
    *out = text[0] == 't';
    return TSR_OK;
}

tsr_status tsr_yaml_string(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                           const char **out)
{
    TSR_TRY(expect_scalar(doc, node, what, "a string", false));
    char *copy = tsr_arena_strndup(arena, scalar(node), node->data.scalar.length);
    if (!copy)
        return tsr_fail(doc->err, TSR_ERR_NOMEM, "%s: out of memory", doc->path);
    *out = copy;
    return TSR_OK;
}

tsr_status tsr_yaml_text(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                         const char **out)
{
    TSR_TRY(tsr_yaml_string(doc, node, what, arena, out));
    if (!**out)
        return tsr_yaml_fail(doc, node, "%s: must not be empty", what);
    return TSR_OK;
}

bool tsr_yaml_is_ident(const char *text)
{
    if (!*text)
        return false;
    for (const char *c = text; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-';
        if (!ok)
            return false;
    }
    return true;
}

tsr_status tsr_yaml_ident(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, tsr_arena *arena,
                          const char **out)
{
    TSR_TRY(tsr_yaml_string(doc, node, what, arena, out));
    if (!tsr_yaml_is_ident(*out))
        return tsr_yaml_fail(doc, node,
                             "%s: '%s' is not a valid name (use letters, digits, '_', '.', '-')",
                             what, *out);
    return TSR_OK;
}

tsr_status tsr_yaml_enum(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                         const char *const *names, size_t n, int *out)
{
    char list[512];
    list_names(names, n, list, sizeof list);
    char expected[600];
    snprintf(expected, sizeof expected, "one of: %s", list);
    TSR_TRY(expect_scalar(doc, node, what, expected, false));
    long i = find_name(names, n, scalar(node));
    if (i < 0)
        return tsr_yaml_fail(doc, node, "%s: unknown value '%s' (expected one of: %s)", what,
                             scalar(node), list);
    *out = (int)i;
    return TSR_OK;
}

tsr_status tsr_yaml_enum_set(tsr_yaml_doc *doc, yaml_node_t *node, const char *what,
                             const char *const *names, size_t n, unsigned *bits)
{
    size_t count;
    TSR_TRY(tsr_yaml_sequence(doc, node, what, &count));
    *bits = 0;
    if (n > 32)
        return tsr_yaml_fail(doc, node, "%s: schema names too many values", what);
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = tsr_yaml_item(doc, node, i);
        int index;
        TSR_TRY(tsr_yaml_enum(doc, item, what, names, n, &index));
        if (*bits & 1u << index)
            return tsr_yaml_fail(doc, item, "%s: '%s' is listed twice", what, names[index]);
        *bits |= 1u << index;
    }
    return TSR_OK;
}

tsr_status tsr_yaml_int_list(tsr_yaml_doc *doc, yaml_node_t *node, const char *what, size_t n,
                             long long min, long long max, long long *out)
{
    size_t count;
    TSR_TRY(tsr_yaml_sequence(doc, node, what, &count));
    if (count != n)
        return tsr_yaml_fail(doc, node, "%s: expected %zu integers, got %zu", what, n, count);
    for (size_t i = 0; i < n; i++) {
        char item_what[256];
        snprintf(item_what, sizeof item_what, "%s[%zu]", what, i);
        TSR_TRY(tsr_yaml_int(doc, tsr_yaml_item(doc, node, i), item_what, min, max, &out[i]));
    }
    return TSR_OK;
}
