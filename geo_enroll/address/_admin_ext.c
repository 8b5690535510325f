/* The start of an address's administrative chain, read in C (issue #12, speed).
 *
 * ``Matcher(names, entries, coarse, codes, villages)`` holds the parser's name tables, handed
 * over once when the parser is built (geo_enroll/address/parse.py, ``_admin_walker``): a trie of
 * every name of two characters or more, and per name and level the codes of today's units of
 * that name (full and short) and whether old names of that level have it.
 *
 * ``Matcher.walk(s)`` reads the normalised text ``s`` from its start the way
 * ``_Parser.parse``'s main loop does, one unit at a time, for as long as the next unit is
 * certain: one unit of the name under the unit read before, found among the names starting
 * there, longest first, with the loop's own rules (a short form only at the start or right
 * after a unit and not before a road/village/compound word, a longer full name of a finer level
 * wins, a unit written twice is the loop's).  Anything else — a name shared by several units,
 * an old name, a repeat, a short form before a road word, a village, a township written with
 * another kind — ends the walk *before* that position, and the Python loop goes on from there
 * with the state the walk hands back; where not even the first unit is certain it returns None
 * and the Python code parses the whole text.  So the answers are the Python code's by
 * construction; ``tests/address/test_admin_ext.py`` and ``benchmarks/check_parse_same.py``
 * compare them.
 *
 * Returns None or ``(end, ((level, code, short, renamed), ...), final)`` (level: 0 province
 * .. 3 township; ``renamed``: None, or ``(start, end, change indexes)`` of an old name read;
 * ``final``: 0, or 1/2 when no unit can be read after these, see the end of walk_text).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NLEVELS 5
#define PROVINCE 0
#define CITY 1
#define COUNTY 2
#define TOWNSHIP 3
#define VILLAGE 4
#define MAX_HITS 64
#define MAX_CHAIN 8
#define CODE_MAX 15

typedef struct {
    int32_t full_off, full_n, short_off, short_n;
    int32_t changes_off, changes_n; /* into Matcher.changes */
    uint8_t present;
} Entry;

/* an old name's change: which (an index the caller keeps the Change objects by), the old
 * unit's code id, the successor's (-1: none recorded), whether the key is its full old name */
typedef struct {
    int32_t index, old, successor;
    uint8_t full_name;
} ChangeRef;

typedef struct {
    PyObject_HEAD
    /* trie: open addressing (node << 21 | code point) + 1 -> child node */
    uint64_t *hkeys;
    int32_t *hvals;
    uint64_t hmask;
    int32_t *terminal; /* node -> name id, or -1 */
    int32_t nnodes;
    /* names */
    int32_t nnames;
    int32_t *name_len;
    uint8_t *name_levels; /* bit per level the name names a unit at (any table) */
    Entry *entries;       /* nnames * NLEVELS */
    int32_t *coarse_off, *coarse_n;
    int32_t *pool;
    ChangeRef *changes;
    /* codes */
    int32_t ncodes;
    char (*code)[CODE_MAX + 1];
    uint8_t *code_len;
    uint8_t *villages; /* villages possible under this one code (_villages_possible) */
    PyObject *code_objs; /* tuple of str */
    uint8_t *unplain; /* U+3400..U+9FFF -> 1 for a character normalisation may change (plain) */
} Matcher;

static inline uint64_t hslot(uint64_t key, uint64_t mask) {
    key ^= key >> 29;
    key *= 0x9E3779B97F4A7C15ULL;
    return (key >> 17) & mask;
}

static int32_t child_of(const Matcher *m, int32_t node, Py_UCS4 cp) {
    uint64_t key = (((uint64_t)node << 21) | (uint64_t)cp) + 1;
    uint64_t i = hslot(key, m->hmask);
    for (;;) {
        uint64_t k = m->hkeys[i];
        if (k == key) return m->hvals[i];
        if (k == 0) return -1;
        i = (i + 1) & m->hmask;
    }
}

static void set_child(Matcher *m, int32_t node, Py_UCS4 cp, int32_t child) {
    uint64_t key = (((uint64_t)node << 21) | (uint64_t)cp) + 1;
    uint64_t i = hslot(key, m->hmask);
    while (m->hkeys[i] != 0) i = (i + 1) & m->hmask;
    m->hkeys[i] = key;
    m->hvals[i] = child;
}

static void Matcher_dealloc(Matcher *m) {
    PyMem_Free(m->hkeys);
    PyMem_Free(m->hvals);
    PyMem_Free(m->terminal);
    PyMem_Free(m->name_len);
    PyMem_Free(m->name_levels);
    PyMem_Free(m->entries);
    PyMem_Free(m->coarse_off);
    PyMem_Free(m->coarse_n);
    PyMem_Free(m->pool);
    PyMem_Free(m->changes);
    PyMem_Free(m->code);
    PyMem_Free(m->code_len);
    PyMem_Free(m->villages);
    PyMem_Free(m->unplain);
    Py_XDECREF(m->code_objs);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

/* append the int items of a tuple/list of code ids to the pool */
static int add_ids(Matcher *m, PyObject *seq, int32_t *used, int32_t cap, int32_t *off, int32_t *n) {
    PyObject *fast = PySequence_Fast(seq, "code ids must be a sequence");
    if (!fast) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);
    if (*used + k > cap) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "Matcher: code id pool overflow");
        return -1;
    }
    *off = *used;
    *n = (int32_t)k;
    for (Py_ssize_t j = 0; j < k; j++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, j));
        if (v == -1 && PyErr_Occurred()) { Py_DECREF(fast); return -1; }
        if (v < 0 || v >= m->ncodes) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "Matcher: code id out of range");
            return -1;
        }
        m->pool[(*used)++] = (int32_t)v;
    }
    Py_DECREF(fast);
    return 0;
}

static int Matcher_init(Matcher *m, PyObject *args, PyObject *kw) {
    PyObject *names, *entries, *coarse, *codes, *villages;
    static char *kwlist[] = {"names", "entries", "coarse", "codes", "villages", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!O!O!O!", kwlist, &PyList_Type, &names,
                                     &PyList_Type, &entries, &PyList_Type, &coarse,
                                     &PyList_Type, &codes, &PyBytes_Type, &villages))
        return -1;
    if (m->hkeys) {
        PyErr_SetString(PyExc_RuntimeError, "Matcher: already initialised");
        return -1;
    }
    Py_ssize_t nn = PyList_GET_SIZE(names), nc = PyList_GET_SIZE(codes);
    if (PyList_GET_SIZE(entries) != nn || PyList_GET_SIZE(coarse) != nn ||
        PyBytes_GET_SIZE(villages) != nc || nn >= (1 << 30) || nc >= (1 << 30)) {
        PyErr_SetString(PyExc_ValueError, "Matcher: names, entries, coarse (and codes, villages) differ in length");
        return -1;
    }
    m->nnames = (int32_t)nn;
    m->ncodes = (int32_t)nc;
    /* codes */
    m->code = PyMem_Calloc(nc + 1, sizeof(*m->code));
    m->code_len = PyMem_Calloc(nc + 1, 1);
    m->villages = PyMem_Calloc(nc + 1, 1);
    if (!m->code || !m->code_len || !m->villages) { PyErr_NoMemory(); return -1; }
    memcpy(m->villages, PyBytes_AS_STRING(villages), nc);
    m->code_objs = PyList_AsTuple(codes);
    if (!m->code_objs) return -1;
    for (Py_ssize_t i = 0; i < nc; i++) {
        PyObject *c = PyList_GET_ITEM(codes, i);
        Py_ssize_t len;
        const char *u = PyUnicode_Check(c) ? PyUnicode_AsUTF8AndSize(c, &len) : NULL;
        if (!u || len > CODE_MAX) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "Matcher: a code is not a short str");
            return -1;
        }
        memcpy(m->code[i], u, len);
        m->code_len[i] = (uint8_t)len;
    }
    /* sizes: trie nodes and the id pool */
    Py_ssize_t chars = 0, ids = 0, nchanges = 0;
    for (Py_ssize_t i = 0; i < nn; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (!PyUnicode_Check(name) || PyUnicode_GET_LENGTH(name) < 2) {
            PyErr_SetString(PyExc_ValueError, "Matcher: names must be str of 2 characters or more");
            return -1;
        }
        chars += PyUnicode_GET_LENGTH(name);
        PyObject *row = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != NLEVELS) {
            PyErr_SetString(PyExc_ValueError, "Matcher: an entry is not a tuple of 5 levels");
            return -1;
        }
        for (int lv = 0; lv < NLEVELS; lv++) {
            PyObject *e = PyTuple_GET_ITEM(row, lv);
            if (e == Py_None) continue;
            if (!PyTuple_Check(e) || PyTuple_GET_SIZE(e) != 3) {
                PyErr_SetString(PyExc_ValueError, "Matcher: a level entry is not (full, short, changes)");
                return -1;
            }
            for (int j = 0; j < 2; j++) {
                Py_ssize_t k = PyObject_Length(PyTuple_GET_ITEM(e, j));
                if (k < 0) return -1;
                ids += k;
            }
            Py_ssize_t k = PyObject_Length(PyTuple_GET_ITEM(e, 2));
            if (k < 0) return -1;
            nchanges += k;
        }
        Py_ssize_t k = PyObject_Length(PyList_GET_ITEM(coarse, i));
        if (k < 0) return -1;
        ids += k;
    }
    uint64_t cap = 16;
    while (cap < (uint64_t)(chars * 2 + 16)) cap <<= 1;
    m->hmask = cap - 1;
    m->hkeys = PyMem_Calloc(cap, sizeof(uint64_t));
    m->hvals = PyMem_Calloc(cap, sizeof(int32_t));
    m->terminal = PyMem_Malloc((chars + 1) * sizeof(int32_t));
    m->name_len = PyMem_Calloc(nn + 1, sizeof(int32_t));
    m->name_levels = PyMem_Calloc(nn + 1, 1);
    m->entries = PyMem_Calloc((nn + 1) * NLEVELS, sizeof(Entry));
    m->coarse_off = PyMem_Calloc(nn + 1, sizeof(int32_t));
    m->coarse_n = PyMem_Calloc(nn + 1, sizeof(int32_t));
    m->pool = PyMem_Malloc((ids + 1) * sizeof(int32_t));
    m->changes = PyMem_Calloc(nchanges + 1, sizeof(ChangeRef));
    if (!m->hkeys || !m->hvals || !m->terminal || !m->name_len || !m->name_levels ||
        !m->entries || !m->coarse_off || !m->coarse_n || !m->pool || !m->changes) {
        PyErr_NoMemory();
        return -1;
    }
    m->terminal[0] = -1;
    m->nnodes = 1;
    int32_t used = 0, used_changes = 0;
    for (Py_ssize_t i = 0; i < nn; i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        Py_ssize_t len = PyUnicode_GET_LENGTH(name);
        int32_t node = 0;
        for (Py_ssize_t j = 0; j < len; j++) {
            Py_UCS4 cp = PyUnicode_READ_CHAR(name, j);
            int32_t child = child_of(m, node, cp);
            if (child < 0) {
                child = m->nnodes++;
                m->terminal[child] = -1;
                set_child(m, node, cp, child);
            }
            node = child;
        }
        if (m->terminal[node] >= 0) {
            PyErr_SetString(PyExc_ValueError, "Matcher: a name is given twice");
            return -1;
        }
        m->terminal[node] = (int32_t)i;
        m->name_len[i] = (int32_t)len;
        PyObject *row = PyList_GET_ITEM(entries, i);
        for (int lv = 0; lv < NLEVELS; lv++) {
            PyObject *e = PyTuple_GET_ITEM(row, lv);
            if (e == Py_None) continue;
            Entry *en = &m->entries[i * NLEVELS + lv];
            en->present = 1;
            m->name_levels[i] |= (uint8_t)(1 << lv);
            PyObject *chs = PySequence_Fast(PyTuple_GET_ITEM(e, 2), "changes must be a sequence");
            if (!chs) return -1;
            en->changes_off = used_changes;
            en->changes_n = (int32_t)PySequence_Fast_GET_SIZE(chs);
            for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(chs); j++) {
                ChangeRef *ref = &m->changes[used_changes++];
                int full_name;
                if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(chs, j), "iiip", &ref->index, &ref->old,
                                      &ref->successor, &full_name) ||
                    ref->old < 0 || ref->old >= m->ncodes || ref->successor < -1 || ref->successor >= m->ncodes) {
                    Py_DECREF(chs);
                    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "Matcher: a change refers to no code id");
                    return -1;
                }
                ref->full_name = (uint8_t)full_name;
            }
            Py_DECREF(chs);
            if (add_ids(m, PyTuple_GET_ITEM(e, 0), &used, (int32_t)ids, &en->full_off, &en->full_n) < 0 ||
                add_ids(m, PyTuple_GET_ITEM(e, 1), &used, (int32_t)ids, &en->short_off, &en->short_n) < 0)
                return -1;
        }
        if (add_ids(m, PyList_GET_ITEM(coarse, i), &used, (int32_t)ids, &m->coarse_off[i], &m->coarse_n[i]) < 0)
            return -1;
    }
    return 0;
}

/* -- the text ------------------------------------------------------------------------------ */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) {
    return i < t->n ? PyUnicode_READ(t->kind, t->data, i) : 0;
}

static inline int is_han(Py_UCS4 c) { return c >= 0x3400 && c <= 0x9fff; }

static inline int one_of(Py_UCS4 c, const Py_UCS4 *set) {
    for (; *set; set++)
        if (c == *set) return 1;
    return 0;
}

/* whether one of ``words`` (0-separated, 00-terminated) is written at i */
static int word_at(const Text *t, Py_ssize_t i, const Py_UCS4 *words) {
    while (*words) {
        Py_ssize_t j = 0;
        int ok = 1;
        for (; words[j]; j++)
            if (ok && at(t, i + j) != words[j]) ok = 0;
        if (ok) return 1;
        words += j + 1;
    }
    return 0;
}

/* _ROAD_SUFFIX = 大街|大道|国道|省道|县道|公路|胡同|路|街(?!道)|巷|弄 */
static const Py_UCS4 ROAD_WORDS[] = {
    0x5927, 0x8857, 0, 0x5927, 0x9053, 0, 0x56fd, 0x9053, 0, 0x7701, 0x9053, 0,
    0x53bf, 0x9053, 0, 0x516c, 0x8def, 0, 0x80e1, 0x540c, 0, 0x8def, 0, 0x5df7, 0,
    0x5f04, 0, 0};

static int road_at(const Text *t, Py_ssize_t i) {
    if (i >= t->n) return 0;
    if (at(t, i) == 0x8857 /* 街 */ && at(t, i + 1) != 0x9053 /* 道 */) return 1;
    return word_at(t, i, ROAD_WORDS);
}

/* 村|嘎查|社区|居委会|村委会 | 小区|花园|家园|公寓|大厦|新村|苑|院|宿舍|山庄|华庭|名苑|广场|园|府 | 桥|大桥|门 */
static const Py_UCS4 PLACE_WORDS[] = {
    0x6751, 0, 0x560e, 0x67e5, 0, 0x793e, 0x533a, 0, 0x5c45, 0x59d4, 0x4f1a, 0,
    0x6751, 0x59d4, 0x4f1a, 0, 0x5c0f, 0x533a, 0, 0x82b1, 0x56ed, 0, 0x5bb6, 0x56ed, 0,
    0x516c, 0x5bd3, 0, 0x5927, 0x53a6, 0, 0x65b0, 0x6751, 0, 0x82d1, 0, 0x9662, 0,
    0x5bbf, 0x820d, 0, 0x5c71, 0x5e84, 0, 0x534e, 0x5ead, 0, 0x540d, 0x82d1, 0,
    0x5e7f, 0x573a, 0, 0x56ed, 0, 0x5e9c, 0, 0x6865, 0, 0x5927, 0x6865, 0, 0x95e8, 0, 0};
static const Py_UCS4 DIRS[] = {0x4e1c, 0x5357, 0x897f, 0x5317, 0x4e2d, 0};             /* 东南西北中 */
static const Py_UCS4 DIRS_ROAD[] = {0x4e1c, 0x5357, 0x897f, 0x5317, 0x4e2d, 0x6a2a, 0x652f, 0x73af, 0}; /* +横支环 */
static const Py_UCS4 NUMERALS[] = {0x4e00, 0x4e8c, 0x4e09, 0x56db, 0x4e94, 0x516d, 0x4e03, 0x516b, 0x4e5d, 0x5341, 0}; /* 一..十 */
static const Py_UCS4 ADMIN_ENDS[] = {0x7701, 0x5e02, 0x533a, 0x53bf, 0x65d7, 0x76df, 0x5dde, 0x9547, 0x4e61, 0}; /* 省市区县旗盟州镇乡 */

/* _NOT_A_PLACE_RE.match(s, i): a road, village or compound word (or an admin suffix) follows */
static int not_a_place(const Text *t, Py_ssize_t i) {
    if (i >= t->n) return 0;
    Py_UCS4 c0 = at(t, i), c1 = at(t, i + 1);
    /* [东南西北中]?(?:village|compound|桥|大桥|门) */
    if (word_at(t, i, PLACE_WORDS) || (one_of(c0, DIRS) && word_at(t, i + 1, PLACE_WORDS))) return 1;
    /* [\u3400-\u9fff0-9]?[东南西北中横支环]?(?:road) */
    int x0 = is_han(c0) || (c0 >= '0' && c0 <= '9');
    if (road_at(t, i)) return 1;
    if ((x0 || one_of(c0, DIRS_ROAD)) && road_at(t, i + 1)) return 1;
    if (x0 && one_of(c1, DIRS_ROAD) && road_at(t, i + 2)) return 1;
    /* [东南西北中][一二三四五六七八九十]{1,2}(?:road) */
    if (one_of(c0, DIRS) && one_of(c1, NUMERALS) &&
        (road_at(t, i + 2) || (one_of(at(t, i + 2), NUMERALS) && road_at(t, i + 3))))
        return 1;
    /* [省市区县旗盟州镇乡] */
    return one_of(c0, ADMIN_ENDS);
}

/* _TOWNSHIP_KIND_RE.match(s, i): ([\u3400-\u9fff]{2,6}?)(街道|镇|乡) */
static int township_kind_at(const Text *t, Py_ssize_t i) {
    for (Py_ssize_t k = 1; k <= 6; k++) {
        if (!is_han(at(t, i + k - 1))) return 0;
        if (k < 2) continue;
        Py_UCS4 c = at(t, i + k);
        if (c == 0x9547 /* 镇 */ || c == 0x4e61 /* 乡 */ || (c == 0x8857 && at(t, i + k + 1) == 0x9053))
            return 1;
    }
    return 0;
}

/* whether a token that keeps the admin look-up open ("township?", "village?" in parse.py's
 * _TOKENS) may match at i; a superset of the three patterns (their look-aheads left out):
 *   [\u3400-\u9fff]{1,6}?[路街]街道
 *   [\u3400-\u9fff]{1,14}?(?:村|嘎查|社区)
 *   (?:[\u3400-\u9fffA-Za-z](?<![路街巷号道])){2,8}?(?:街道|镇|乡|苏木) */
static const Py_UCS4 VILLAGE_WORDS[] = {0x6751, 0, 0x560e, 0x67e5, 0, 0x793e, 0x533a, 0, 0};
static const Py_UCS4 TOWNSHIP_WORDS[] = {0x8857, 0x9053, 0, 0x9547, 0, 0x4e61, 0, 0x82cf, 0x6728, 0, 0};
static const Py_UCS4 NO_ROAD[] = {0x8def, 0x8857, 0x5df7, 0x53f7, 0x9053, 0}; /* 路街巷号道 */

static int open_token_at(const Text *t, Py_ssize_t i) {
    for (Py_ssize_t k = 1; k <= 14; k++) { /* s[i:i+k] is Chinese */
        if (!is_han(at(t, i + k - 1))) break;
        Py_UCS4 c = at(t, i + k);
        if (k <= 6 && (c == 0x8def || c == 0x8857) && at(t, i + k + 1) == 0x8857 && at(t, i + k + 2) == 0x9053)
            return 1;
        if (word_at(t, i + k, VILLAGE_WORDS)) return 1;
    }
    for (Py_ssize_t k = 1; k <= 8; k++) { /* s[i:i+k] is Chinese or Latin, no road word */
        Py_UCS4 c = at(t, i + k - 1);
        if (!(is_han(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) || one_of(c, NO_ROAD)) break;
        if (k >= 2 && word_at(t, i + k, TOWNSHIP_WORDS)) return 1;
    }
    return 0;
}

/* -- the walk ------------------------------------------------------------------------------ */
static inline int under(const Matcher *m, int32_t code, int32_t parent) {
    if (parent < 0) return 1;
    uint8_t pl = m->code_len[parent];
    return m->code_len[code] >= pl && memcmp(m->code[code], m->code[parent], pl) == 0;
}

/* the names starting at i, longest first; returns how many */
static int hits_at(const Matcher *m, const Text *t, Py_ssize_t i, int32_t *hits) {
    int32_t found[MAX_HITS];
    int nf = 0;
    int32_t node = 0;
    for (Py_ssize_t j = i; j < t->n; j++) {
        node = child_of(m, node, at(t, j));
        if (node < 0) break;
        if (m->terminal[node] >= 0 && nf < MAX_HITS) found[nf++] = m->terminal[node];
    }
    for (int k = 0; k < nf; k++) hits[k] = found[nf - 1 - k];
    return nf;
}

#define NONE 0
#define FOUND 1
#define STOP 2

/* _Parser._longer_full: a longer name among the hits is the full name of a unit of a finer
 * level under the parent */
static int longer_full(const Matcher *m, const int32_t *hits, int nh, int32_t key, int level, int32_t parent) {
    for (int h = 0; h < nh; h++) {
        if (m->name_len[hits[h]] <= m->name_len[key]) continue;
        for (int lv = level + 1; lv < NLEVELS; lv++) {
            const Entry *e = &m->entries[hits[h] * NLEVELS + lv];
            for (int32_t j = 0; j < e->full_n; j++)
                if (under(m, m->pool[e->full_off + j], parent)) return 1;
        }
    }
    return 0;
}

static inline int level_of_code(const Matcher *m, int32_t code) {
    switch (m->code_len[code]) {
    case 2: return PROVINCE;
    case 4: return CITY;
    case 6: return COUNTY;
    case 9: return TOWNSHIP;
    default: return VILLAGE;
    }
}

static inline int prefix_related(const Matcher *m, int32_t a, int32_t b) {
    uint8_t n = m->code_len[a] < m->code_len[b] ? m->code_len[a] : m->code_len[b];
    return memcmp(m->code[a], m->code[b], n) == 0;
}

typedef struct {
    int32_t code;
    Py_ssize_t end;
    int level, is_short;
    int32_t changes[MAX_HITS]; /* ChangeRef positions of an old name read, in order */
    int nchanges;
} Hit;

/* _Parser._historical for ``key``: NONE (the look-up goes on), STOP, or FOUND with the one
 * successor of the old units of that name under ``parent`` */
static int historical(const Matcher *m, const Text *t, Py_ssize_t pos, int32_t key, int level,
                      int32_t parent, int allow_short, const int32_t *hits, int nh, Hit *hit) {
    const Entry *e = &m->entries[key * NLEVELS + level];
    int nf = 0;
    for (int32_t j = 0; j < e->changes_n && nf < MAX_HITS; j++) {
        const ChangeRef *ch = &m->changes[e->changes_off + j];
        if (under(m, ch->old, parent) || (ch->successor >= 0 && under(m, ch->successor, parent)))
            hit->changes[nf++] = e->changes_off + j;
    }
    if (e->changes_n > MAX_HITS) return STOP;
    if (!nf) return NONE;
    Py_ssize_t end = pos + m->name_len[key];
    int is_short = !m->changes[hit->changes[0]].full_name;
    if (!allow_short) return STOP; /* a township's old name at the start: _first_admin may differ */
    if (is_short && not_a_place(t, end)) return NONE;
    if (longer_full(m, hits, nh, key, level, parent)) return NONE;
    int32_t one = -1;
    for (int k = 0; k < nf; k++) {
        int32_t succ = m->changes[hit->changes[k]].successor;
        if (succ < 0) return STOP; /* retired without a successor: the Python code's */
        if (one >= 0 && succ != one) return STOP; /* several successors */
        one = succ;
    }
    if (level_of_code(m, one) == VILLAGE) return STOP;
    hit->code = one;
    hit->end = end;
    hit->level = level_of_code(m, one);
    hit->is_short = is_short;
    hit->nchanges = nf;
    return FOUND;
}

/* _Parser._with_retired_namesakes adds a unit to ``one`` (then the Python code's) */
static int namesakes(const Matcher *m, const Entry *e, int32_t one, int32_t parent) {
    for (int32_t j = 0; j < e->changes_n; j++) {
        const ChangeRef *ch = &m->changes[e->changes_off + j];
        if (ch->successor >= 0 && ch->old != one && ch->successor != one && under(m, ch->old, parent) &&
            !prefix_related(m, ch->old, one))
            return 1;
    }
    return 0;
}

/* _Parser._admin_lookup where its answer is one unit */
static int lookup(const Matcher *m, const Text *t, Py_ssize_t pos, int level, int32_t parent,
                  int allow_short, const int32_t *hits, int nh, Hit *hit) {
    for (int h = 0; h < nh; h++) {
        int32_t key = hits[h];
        const Entry *e = &m->entries[key * NLEVELS + level];
        if (!e->present) continue;
        int32_t off = 0, n = 0;
        int is_short = 0;
        if (e->full_n) {
            off = e->full_off;
            n = e->full_n;
        } else if (allow_short) {
            off = e->short_off;
            n = e->short_n;
            is_short = 1;
        }
        int32_t one = -1;
        int count = 0;
        for (int32_t j = 0; j < n; j++) {
            int32_t c = m->pool[off + j];
            if (under(m, c, parent)) {
                one = c;
                if (++count > 1) return STOP; /* shared name: candidates, the Python code's */
            }
        }
        if (!count) {
            if (!e->changes_n) continue;
            int status = historical(m, t, pos, key, level, parent, allow_short, hits, nh, hit);
            if (status == NONE) continue;
            return status;
        }
        Py_ssize_t end = pos + m->name_len[key];
        if (is_short && not_a_place(t, end)) return STOP; /* _child_at: the Python code's */
        if (m->name_len[hits[0]] > m->name_len[key] && longer_full(m, hits, nh, key, level, parent))
            continue;
        if (e->changes_n && namesakes(m, e, one, parent)) return STOP;
        hit->code = one;
        hit->end = end;
        hit->level = level;
        hit->is_short = is_short;
        hit->nchanges = 0;
        return FOUND;
    }
    return NONE;
}

/* a superset of where _Parser._township_elsewhere may read a township at i under ``county`` */
static int township_elsewhere(const Matcher *m, const Text *t, Py_ssize_t i, int32_t county) {
    int32_t hits[MAX_HITS];
    int nh = hits_at(m, t, i, hits);
    for (int h = 0; h < nh; h++) {
        if (m->name_len[hits[h]] < 3) continue;
        const Entry *e = &m->entries[hits[h] * NLEVELS + TOWNSHIP];
        if (e->full_n != 1) continue;
        int32_t c = m->pool[e->full_off];
        if (m->code_len[c] >= 4 && memcmp(m->code[c], m->code[county], 4) == 0 && !under(m, c, county))
            return 1;
    }
    return 0;
}

static PyObject *walk_text(Matcher *m, PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "walk() expects a str");
        return NULL;
    }
    Text t = {PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s)};
    int32_t chain_code[MAX_CHAIN];
    int chain_level[MAX_CHAIN], chain_short[MAX_CHAIN];
    Hit chain_hit[MAX_CHAIN];
    Py_ssize_t chain_start[MAX_CHAIN];
    int nchain = 0, first_level = PROVINCE, villages_ok = 0;
    int32_t parent = -1;
    Py_ssize_t pos = 0;
    int32_t hits[MAX_HITS];
    int clean = 0;     /* the walk ended where the loop's look-ups all find nothing */
    uint8_t named = 0; /* the levels the names there name */
    while (pos < t.n && nchain < MAX_CHAIN) {
        int nh = hits_at(m, &t, pos, hits);
        named = 0;
        if (!nh) { /* no name here: no look-up (a village by sound would need villages_ok) */
            clean = 1;
            break;
        }
        if (nchain) {
            /* _repeated: the longest name here names a province/city/county already read */
            int32_t key = hits[0];
            int repeated = 0;
            for (int32_t j = 0; j < m->coarse_n[key] && !repeated; j++)
                for (int k = 0; k < nchain; k++)
                    if (m->pool[m->coarse_off[key] + j] == chain_code[k]) repeated = 1;
            if (repeated) {
                int last = chain_level[nchain - 1], changes = 0;
                for (int lv = last + 1; lv <= TOWNSHIP && repeated; lv++) {
                    const Entry *e = &m->entries[key * NLEVELS + lv];
                    changes |= e->changes_n > 0;
                    for (int32_t j = 0; j < e->full_n; j++)
                        if (under(m, m->pool[e->full_off + j], parent)) repeated = 0; /* 东莞市东莞市 */
                }
                Py_ssize_t end = pos + m->name_len[key];
                if (repeated && !not_a_place(&t, end)) { /* not 大邑县大邑大道 */
                    if (changes) break; /* 吐鲁番地区吐鲁番市: the Python code's */
                    pos = end;          /* 北京北京市, 金华金华: read once */
                    continue;
                }
            }
        }
        for (int h = 0; h < nh; h++) named |= m->name_levels[hits[h]];
        int status = NONE, level;
        Hit *hit = &chain_hit[nchain];
        for (level = first_level; level < NLEVELS; level++) {
            if (!(named & (1 << level)) && !(level == TOWNSHIP && nchain)) continue;
            if (level == VILLAGE) {
                if (villages_ok) status = STOP; /* villages: the Python code's */
                continue;
            }
            int allow_short = level <= COUNTY || nchain > 0;
            status = lookup(m, &t, pos, level, parent, allow_short, hits, nh, hit);
            if (status != NONE) break;
            if (level == TOWNSHIP && nchain && chain_level[nchain - 1] == COUNTY && township_kind_at(&t, pos)) {
                status = STOP; /* _township_variant: the Python code's */
                break;
            }
        }
        if (status != FOUND) {
            clean = status == NONE;
            break;
        }
        chain_code[nchain] = hit->code;
        chain_level[nchain] = hit->level; /* an old name's successor: its own level */
        chain_short[nchain] = hit->is_short;
        chain_start[nchain] = pos;
        nchain++;
        parent = hit->code;
        first_level = hit->level + 1;
        villages_ok = m->villages[hit->code];
        pos = hit->end;
    }
    if (!nchain) Py_RETURN_NONE;
    if (pos >= t.n) clean = 1; /* the loop ends here */
    /* final: no unit can be read after these (what parse_many(admin_only=True) needs).
     * - Under one township whose villages are not shipped, the loop looks up nothing more (a
     *   village only where villages are shipped; no recovery after a township).
     * - Under one county whose villages are not shipped, after a clean end of the walk (every
     *   look-up there found nothing): when no recovery may read a township there (a hit of 3
     *   characters or more that is the full name of one township, in the county's city but
     *   not in the county) and the loop's next step closes the chain, i.e. the text ends, or a
     *   digit starts a token (none of those keeps the chain open), or no token that keeps it
     *   open (township?, village?) can start here.
     * 2 rather than 1 when, moreover, the loop's admin step at ``end`` reads nothing (no repeat,
     * no unit, no recovery): the loop may go straight to the tokens there (and, the chain
     * being final and no repeat possible after ``end``, ask no name anywhere after). */
    int last = chain_level[nchain - 1], final = 0;
    if (!villages_ok && last == TOWNSHIP) {
        final = clean ? 2 : 1;
    } else if (clean && !villages_ok && last == COUNTY) {
        Py_UCS4 c = at(&t, pos);
        if (pos >= t.n || (c >= '0' && c <= '9'))
            final = 2;
        else
            final = !(named & (1 << TOWNSHIP) && township_elsewhere(m, &t, pos, parent)) &&
                    !open_token_at(&t, pos) ? 2 : 0;
    }
    PyObject *items = PyTuple_New(nchain);
    if (!items) return NULL;
    for (int k = 0; k < nchain; k++) {
        PyObject *code = PyTuple_GET_ITEM(m->code_objs, chain_code[k]);
        const Hit *hit = &chain_hit[k];
        PyObject *changes = Py_None;
        Py_INCREF(Py_None);
        if (hit->nchanges) {
            PyObject *index = PyTuple_New(hit->nchanges);
            if (!index) { Py_DECREF(items); return NULL; }
            for (int j = 0; j < hit->nchanges; j++)
                PyTuple_SET_ITEM(index, j, PyLong_FromLong(m->changes[hit->changes[j]].index));
            Py_DECREF(Py_None);
            changes = Py_BuildValue("(nnN)", chain_start[k], hit->end, index);
            if (!changes) { Py_DECREF(items); return NULL; }
        }
        PyObject *item = Py_BuildValue("(iOON)", chain_level[k], code, chain_short[k] ? Py_True : Py_False, changes);
        if (!item) { Py_DECREF(items); return NULL; }
        PyTuple_SET_ITEM(items, k, item);
    }
    return Py_BuildValue("(nNi)", pos, items, final);
}

static PyObject *Matcher_walk(Matcher *m, PyObject *s) { return walk_text(m, s); }

/* numerals of parse.normalize._NUMERAL, the first characters of NUMBER_UNITS */
static const Py_UCS4 NORM_NUMERALS[] = {0x96f6, 0x3007, 0x4e00, 0x4e8c, 0x4e24, 0x4e09, 0x56db, 0x4e94,
                                        0x516d, 0x4e03, 0x516b, 0x4e5d, 0x5341, 0x767e, 0x5343, 0};
static const Py_UCS4 NUMBER_UNIT_STARTS[] = {0x53f7, 0x7ec4, 0x793e, 0x961f, 0x680b, 0x5e62, 0x5355,
                                             0x5ba4, 0x5c42, 0x697c, 0x5f04, 0x6392, 0};

/* plain(text): True when normalize_address(text) is text itself, shown without running it:
 * ASCII letters and digits and Chinese characters that normalisation leaves alone (the bitmap
 * of set_unplain(), computed in Python from NFKC, isalnum and the traditional characters), no
 * n/N (null, none, nan), no numeral before a numbering word or after 之, no 至/到.  False says
 * nothing (the Python function then runs). */
static PyObject *Matcher_plain(Matcher *m, PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "plain() expects a str");
        return NULL;
    }
    Text t = {PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s)};
    if (!m->unplain || t.n == 0) Py_RETURN_FALSE;
    Py_UCS4 prev = 0;
    for (Py_ssize_t i = 0; i < t.n; i++) {
        Py_UCS4 c = at(&t, i);
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'N') || (c >= 'a' && c <= 'z' && c != 'n')) {
            prev = c;
            continue;
        }
        if (c < 0x3400 || c > 0x9fff || m->unplain[c - 0x3400]) Py_RETURN_FALSE;
        if (c == 0x81f3 || c == 0x5230) Py_RETURN_FALSE; /* 至 到 */
        if (one_of(c, NORM_NUMERALS) && (prev == 0x4e4b /* 之 */ || one_of(at(&t, i + 1), NUMBER_UNIT_STARTS)))
            Py_RETURN_FALSE;
        prev = c;
    }
    Py_RETURN_TRUE;
}

/* set_unplain(bitmap): one byte per character U+3400..U+9FFF, 1 for one normalisation may change */
static PyObject *Matcher_set_unplain(Matcher *m, PyObject *b) {
    if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) != 0x9fff - 0x3400 + 1) {
        PyErr_SetString(PyExc_ValueError, "set_unplain() expects bytes, one per U+3400..U+9FFF");
        return NULL;
    }
    uint8_t *copy = PyMem_Malloc(PyBytes_GET_SIZE(b));
    if (!copy) return PyErr_NoMemory();
    memcpy(copy, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b));
    PyMem_Free(m->unplain);
    m->unplain = copy;
    Py_RETURN_NONE;
}

/* for the tests: the C reading of _NOT_A_PLACE_RE.match and _TOWNSHIP_KIND_RE.match */
static PyObject *Matcher_patterns_at(Matcher *m, PyObject *args) {
    PyObject *s;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "Un", &s, &i)) return NULL;
    Text t = {PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s)};
    if (i < 0 || i > t.n) {
        PyErr_SetString(PyExc_IndexError, "position out of the text");
        return NULL;
    }
    return Py_BuildValue("(OOO)", not_a_place(&t, i) ? Py_True : Py_False,
                         township_kind_at(&t, i) ? Py_True : Py_False,
                         open_token_at(&t, i) ? Py_True : Py_False);
}

static PyObject *Matcher_hits(Matcher *m, PyObject *args) {
    PyObject *s;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "Un", &s, &i)) return NULL;
    Text t = {PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s)};
    if (i < 0 || i > t.n) {
        PyErr_SetString(PyExc_IndexError, "position out of the text");
        return NULL;
    }
    int32_t hits[MAX_HITS];
    int nh = hits_at(m, &t, i, hits);
    PyObject *out = PyTuple_New(nh);
    if (!out) return NULL;
    for (int k = 0; k < nh; k++) {
        PyObject *name = PyUnicode_Substring(s, i, i + m->name_len[hits[k]]);
        if (!name) { Py_DECREF(out); return NULL; }
        PyTuple_SET_ITEM(out, k, name);
    }
    return out;
}

static PyMethodDef Matcher_methods[] = {
    {"walk", (PyCFunction)Matcher_walk, METH_O,
     "walk(s) -> None | (end, ((level, code, short), ...)): the certain start of the admin chain"},
    {"patterns_at", (PyCFunction)Matcher_patterns_at, METH_VARARGS,
     "patterns_at(s, i) -> (not_a_place, township_kind, open_token): the C reading of parse.py's patterns (tests)"},
    {"plain", (PyCFunction)Matcher_plain, METH_O,
     "plain(text) -> True when normalize_address(text) == text is certain (see _admin_ext.c)"},
    {"set_unplain", (PyCFunction)Matcher_set_unplain, METH_O,
     "set_unplain(bitmap): the Chinese characters plain() must refuse"},
    {"hits", (PyCFunction)Matcher_hits, METH_VARARGS, "hits(s, i) -> names starting at i, longest first"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "geo_enroll.address._admin_ext.Matcher",
    .tp_basicsize = sizeof(Matcher),
    .tp_dealloc = (destructor)Matcher_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The parser's name tables, for the C walk of the admin chain's start.",
    .tp_methods = Matcher_methods,
    .tp_init = (initproc)Matcher_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_admin_ext",
    "The certain start of an address's admin chain, read in C (see _admin_ext.c).", -1, NULL,
};

PyMODINIT_FUNC PyInit__admin_ext(void) {
    if (PyType_Ready(&MatcherType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&module);
    if (!mod) return NULL;
    Py_INCREF(&MatcherType);
    if (PyModule_AddObject(mod, "Matcher", (PyObject *)&MatcherType) < 0) {
        Py_DECREF(&MatcherType);
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
