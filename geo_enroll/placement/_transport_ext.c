/* Exact min-cost assignment of weighted sites to schools on held whole-metre rows: successive
 * shortest paths on the graph of the schools, with cost scaling (docs/allocation.md, "How it
 * is solved exactly"; geo_enroll/placement/exact.py, _solve_transport).
 *
 * There is no Python twin of this module: without it (GEO_ENROLL_NO_EXT=1, no compiler) the
 * exact solver takes its coarse-to-fine OR-Tools path, which gives the same totals (not always
 * the same school among equal-total optima).  tests/placement/test_transport.py compares it
 * with a full-graph OR-Tools flow, and exact.py checks every answer against the optimality
 * conditions on every arc before using it.
 *
 * State: each site's children on schools (Entry: site, school, count), each school's children
 * passed to the sink z (fz, at most its seats), a potential per school and for z.  Invariant:
 * every residual arc has reduced cost >= 0 (cost + pi[tail] - pi[head]); the arc a -> b, "move
 * one child of a site at a to b", costs W[a][b] = the least cost(b) - cost(a) over the sites
 * at a (arg: which site; an entry whose site left is marked STALE and is a lower bound).
 * Imbalance: a school's children minus fz, z's intake minus all children.  A phase: Dijkstra
 * from every node with a surplus to the nearest node short of children, potentials raised by
 * the distances (capped at that target's), then children moved along arcs of zero reduced
 * cost by fewest arcs (breadth-first levels, then paths up the levels, as many children a
 * path as it takes).  Costs are whole metres >> shift, three bits finer a step; a step finer,
 * every site on a school no longer of least cost - potential moves to one (which keeps the
 * invariant).  At the end no imbalance is left and the potentials certify the optimum.
 *
 * transport(rows, count, seats, n, m[, step, top, start]) ->
 *     (site, school, units, potential, phases, moves, scans)
 *   rows:  float32 n x m, C order, whole metres, inf (or nan) = not allowed
 *   count: int64 n (children per site, > 0)
 *   seats: int64 m
 *   step, top: scale `step` bits at a time from about 2^top distinct costs (3, 8 in exact.py)
 *   start: int64 m + 1 potentials to start from (each site on its school of least
 *          cost - potential; a coarser county's), or None (each site on its nearest school)
 * returns bytes of int64 arrays: the (site, school, units) of every used pair (in no
 * particular order), the m + 1 potentials (the last is z's), and three work counters.
 * Raises ValueError when a site has no allowed school or the seats cannot take everyone.
 *
 * cell_rows(rows, cell, count, n, m, cells) -> float32 bytes: each cell's children's mean
 * row, rounded (only a guess: the coarser county whose potentials start a solve).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define INF ((int64_t)1 << 60)
#define STALE (-2) /* arg of a W entry that is only a lower bound */

typedef struct {
    int32_t site, school, pos, next; /* pos: index in the school's list; next: same site */
    int64_t cnt, own;                /* own: whole metres of the site to this school */
} Entry;

typedef struct {
    int64_t n, m;
    const float *rows;
    const int64_t *seats;
    int64_t *load;
    int32_t **list, *len, *cap; /* per school: its entries */
    Entry *ent;
    int32_t nent, capent, freehead;
    int32_t *head; /* per site: its first entry, -1 none */
    int64_t *W;    /* m x m: least cost(b) - cost(a) over the sites at a */
    int32_t *arg;  /* m x m: the site giving it (least number on a tie), -1 none */
    int64_t *W2;   /* m x m: the same over the other sites at a (a lower bound if STALE), */
    int32_t *arg2; /* kept when `second` (straight lines: recomputing an entry costs roots) */
    int64_t second, *scratch;
    int64_t *pi;   /* m + 1 potentials; index m is the sink z */
    int64_t *fz;   /* children each school passes to z (seated), at most its seats */
    int64_t moves, shift, quiet, n_units;
    int64_t refreshes, nref;
    int32_t **adj, *adjlen, *adjcap; /* per school: arcs of zero reduced cost (by W's bounds) */
    char *dirty;                     /* per school: its W row or potentials changed since */
    /* without rows: straight lines from coordinates (x, y pairs), whole metres as NumPy's
     * rint(sqrt(dx * dx + dy * dy)) gives them; closed schools not allowed */
    const double *cxy, *sxy;
    const uint8_t *closed;
} T;

/* rint of a distance (>= 0, < 2^52) as NumPy's: to nearest, ties to even, by the classic
 * add-and-subtract of 2^52 (exact IEEE double arithmetic; setup.py builds with
 * -ffp-contract=off, so no fused multiply-add changes a sum either) */
static inline double round_even(double d) {
    const double big = 4503599627370496.0; /* 2^52 */
    double up = d + big; /* not folded: strict IEEE (no -ffast-math) */
    return up - big;
}

/* Whole metres of site i to school b, INF where not allowed. */
static inline int64_t metres(const T *t, int64_t i, int64_t b) {
    if (t->rows) {
        float v = t->rows[i * t->m + b];
        if (!(v < 3.0e38f)) return INF;
        return (int64_t)v;
    }
    if (t->closed[b]) return INF;
    double dx = t->cxy[2 * i] - t->sxy[2 * b], dy = t->cxy[2 * i + 1] - t->sxy[2 * b + 1];
    double xx = dx * dx, yy = dy * dy;
    return (int64_t)round_even(sqrt(xx + yy));
}

static inline int64_t cost(const T *t, int64_t i, int64_t b) {
    int64_t c = metres(t, i, b);
    return c >= INF ? INF : c >> t->shift;
}

/* W[b, x] (and the second least, W2) lowered by site s newly at b.  Entries: arg >= 0, W
 * exact (that site gives it); arg -1, no site; arg STALE, W a lower bound.  W2/arg2 the same
 * for the sites other than arg (meaningful while arg >= 0). */
static void row_add_costs(T *t, int32_t s, int64_t b, const int64_t *row);

static void row_add(T *t, int32_t s, int64_t b) { row_add_costs(t, s, b, NULL); }

/* the same with the site's costs at this scale given (row, m values) or computed (NULL) */
static void row_add_costs(T *t, int32_t s, int64_t b, const int64_t *row) {
    int64_t m = t->m;
    if (!row) { /* the site's costs first (a tight loop), then the table */
        int64_t *r = t->scratch;
        if (t->rows) {
            const float *f = t->rows + (int64_t)s * m;
            for (int64_t x = 0; x < m; x++)
                r[x] = f[x] < 3.0e38f ? (int64_t)f[x] >> t->shift : INF;
        } else
            for (int64_t x = 0; x < m; x++) r[x] = cost(t, s, x);
        row = r;
    }
    int64_t cb = row[b];
    int64_t *w = t->W + b * m, *w2 = t->W2 + b * m;
    int32_t *g = t->arg + b * m, *g2 = t->arg2 + b * m;
    if (!t->second) { /* the least only (held rows: recomputing an entry is cheap) */
        for (int64_t x = 0; x < m; x++) {
            int64_t c = row[x];
            if (x == b || c >= INF) continue;
            int64_t d = c - cb;
            if (d < w[x] || (d == w[x] && (g[x] == STALE || s < g[x]))) {
                w[x] = d;
                g[x] = s;
            }
        }
        return;
    }
    for (int64_t x = 0; x < m; x++) {
        int64_t c = row[x];
        if (x == b || c >= INF) continue;
        int64_t d = c - cb;
        if (g[x] == STALE) { /* at or below the bound, d is the least; the rest are above */
            if (d <= w[x]) {
                w2[x] = w[x];
                g2[x] = STALE;
                w[x] = d;
                g[x] = s;
            }
        } else if (d < w[x] || (d == w[x] && s < g[x])) {
            w2[x] = w[x];
            g2[x] = g[x];
            w[x] = d;
            g[x] = s;
        } else if (d < w2[x] || (d == w2[x] && (g2[x] < 0 || s < g2[x]))) {
            w2[x] = d;
            g2[x] = s;
        }
    }
}

static int32_t find(const T *t, int32_t s, int64_t b) {
    for (int32_t e = t->head[s]; e >= 0; e = t->ent[e].next)
        if (t->ent[e].school == b) return e;
    return -1;
}

static int join(T *t, int32_t s, int64_t b, int64_t k) {
    t->load[b] += k;
    int32_t e = find(t, s, b);
    if (e >= 0) {
        t->ent[e].cnt += k;
        return 0;
    }
    if (t->freehead >= 0) {
        e = t->freehead;
        t->freehead = t->ent[e].next;
    } else {
        if (t->nent == t->capent) {
            int32_t c = t->capent * 2;
            Entry *p = realloc(t->ent, (size_t)c * sizeof(Entry));
            if (!p) return -1;
            t->ent = p;
            t->capent = c;
        }
        e = t->nent++;
    }
    if (t->len[b] == t->cap[b]) {
        int32_t c = t->cap[b] ? t->cap[b] * 2 : 8;
        int32_t *p = realloc(t->list[b], (size_t)c * sizeof(int32_t));
        if (!p) return -1;
        t->list[b] = p;
        t->cap[b] = c;
    }
    Entry *x = &t->ent[e];
    x->site = s;
    x->school = (int32_t)b;
    x->cnt = k;
    x->own = metres(t, s, b);
    x->pos = t->len[b];
    x->next = t->head[s];
    t->head[s] = e;
    t->list[b][t->len[b]++] = e;
    if (!t->quiet) { row_add(t, s, b); t->dirty[b] = 1; }
    return 0;
}

static void leave(T *t, int32_t s, int64_t a, int64_t k) {
    t->load[a] -= k;
    int32_t e = find(t, s, a);
    Entry *x = &t->ent[e];
    x->cnt -= k;
    if (x->cnt > 0) return;
    /* out of the school's list (the last entry takes its place) */
    int32_t last = t->list[a][--t->len[a]];
    t->list[a][x->pos] = last;
    t->ent[last].pos = x->pos;
    /* out of the site's list */
    if (t->head[s] == e) t->head[s] = x->next;
    else {
        int32_t p = t->head[s];
        while (t->ent[p].next != e) p = t->ent[p].next;
        t->ent[p].next = x->next;
    }
    x->next = t->freehead;
    t->freehead = e;
    if (t->quiet) return;
    /* where this site gave W[a, .], the second least takes over (or a lower bound does,
     * recomputed when needed); where it gave W2, W2 becomes a lower bound */
    int64_t m = t->m;
    int64_t *w = t->W + a * m, *w2 = t->W2 + a * m;
    int32_t *g = t->arg + a * m, *g2 = t->arg2 + a * m;
    if (!t->second) {
        for (int64_t b = 0; b < m; b++)
            if (g[b] == s) g[b] = STALE;
        return;
    }
    for (int64_t b = 0; b < m; b++) {
        if (g[b] == s) {
            w[b] = w2[b];
            g[b] = g2[b] == -1 ? -1 : g2[b]; /* -1: nobody left; STALE: a bound */
            g2[b] = g[b] == -1 ? -1 : STALE;
        } else if (g2[b] == s)
            g2[b] = STALE;
    }
}

/* W[a, x] exact again (from the sites at a) */
static void refresh(T *t, int64_t a, int64_t x) {
    int64_t m = t->m, best = INF, next = INF;
    int32_t who = -1, second = -1;
    int32_t *l = t->list[a];
    for (int32_t k = 0; k < t->len[a]; k++) {
        int32_t q = t->ent[l[k]].site;
        int64_t c = cost(t, q, x);
        if (c >= INF) continue;
        int64_t d = c - (t->ent[l[k]].own >> t->shift);
        if (d < best || (d == best && q < who)) {
            next = best;
            second = who;
            best = d;
            who = q;
        } else if (d < next || (d == next && q < second)) {
            next = d;
            second = q;
        }
    }
    t->W[a * m + x] = best;
    t->arg[a * m + x] = who;
    if (t->second) {
        t->W2[a * m + x] = next;
        t->arg2[a * m + x] = second;
    }
    t->refreshes += t->len[a];
}

static void free_t(T *t) {
    if (t->list)
        for (int64_t j = 0; j < t->m; j++) free(t->list[j]);
    free(t->list); free(t->len); free(t->cap); free(t->ent); free(t->head);
    free(t->W); free(t->arg); free(t->W2); free(t->arg2); free(t->scratch); free(t->pi); free(t->load); free(t->fz);
    if (t->adj)
        for (int64_t j = 0; j < t->m; j++) free(t->adj[j]);
    free(t->adj); free(t->adjlen); free(t->adjcap); free(t->dirty);
}

static int get_buf(PyObject *o, Py_buffer *v, Py_ssize_t bytes, const char *what) {
    if (PyObject_GetBuffer(o, v, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (v->len != bytes) {
        PyBuffer_Release(v);
        PyErr_Format(PyExc_ValueError, "%s: wrong size", what);
        return -1;
    }
    return 0;
}

/* W from scratch (after a rescale) */
static void rebuild(T *t) {
    int64_t m = t->m;
    for (int64_t k = 0; k < m * m; k++) { t->W[k] = t->W2[k] = INF; t->arg[k] = t->arg2[k] = -1; }
    for (int64_t a = 0; a < m; a++)
        for (int32_t q = 0; q < t->len[a]; q++) row_add(t, t->ent[t->list[a][q]].site, a);
    memset(t->dirty, 1, (size_t)m);
}

/* The costs one scale finer: shift lowered to `shift`, potentials multiplied alike; every
 * site's units on a school that is no longer of least cost - potential move to its least
 * (lowest number on a tie), which keeps every reduced cost >= 0 and leaves imbalances. */
static int rescale(T *t, int64_t shift) {
    int64_t m = t->m, z = m, up = t->shift - shift, total = 0;
    for (int64_t a = 0; a < m; a++) total += t->len[a];
    int32_t *tmp_site = malloc((size_t)(total + 1) * sizeof(int32_t));
    int64_t *tmp_from = malloc((size_t)(total + 1) * sizeof(int64_t));
    int64_t *tmp_k = malloc((size_t)(total + 1) * sizeof(int64_t));
    int rc = 0;
    if (!tmp_site || !tmp_from || !tmp_k) { rc = -1; goto out; }
    for (int64_t v = 0; v <= z; v++) t->pi[v] <<= up;
    t->shift = shift;
    int64_t nmove = 0;
    for (int64_t a = 0; a < m; a++)
        for (int32_t q = 0; q < t->len[a]; q++) {
            Entry *x = &t->ent[t->list[a][q]];
            int64_t i = x->site, own = cost(t, i, a) - t->pi[a], best = own;
            for (int64_t b = 0; b < m; b++) {
                int64_t c = cost(t, i, b);
                if (c < INF && c - t->pi[b] < best) best = c - t->pi[b];
            }
            if (best < own) {
                tmp_site[nmove] = x->site;
                tmp_from[nmove] = a;
                tmp_k[nmove] = x->cnt;
                nmove++;
            }
        }
    t->quiet = 1;
    for (int64_t k = 0; k < nmove; k++) {
        int64_t i = tmp_site[k], bb = -1, best = INF;
        for (int64_t b = 0; b < m; b++) {
            int64_t c = cost(t, i, b);
            if (c < INF && c - t->pi[b] < best) { best = c - t->pi[b]; bb = b; }
        }
        leave(t, (int32_t)i, tmp_from[k], tmp_k[k]);
        if (join(t, (int32_t)i, bb, tmp_k[k]) < 0) { rc = -1; break; }
    }
    t->quiet = 0;
    t->moves += nmove;
    rebuild(t);
out:
    free(tmp_site); free(tmp_from); free(tmp_k);
    return rc;
}

/* Imbalance of node v: a school's children minus those it passes to z; z's: all it gets
 * minus every child.  Sources > 0, targets < 0. */
static inline int64_t imbalance(const T *t, int64_t v, int64_t zin) {
    return v == t->m ? zin - t->n_units : t->load[v] - t->fz[v];
}

/* Arc u -> v of the residual graph with zero reduced cost (v == m: z). */
static inline int admissible(T *t, int64_t u, int64_t v) {
    int64_t m = t->m;
    if (u == v) return 0;
    if (u == m) return t->fz[v] > 0 && t->pi[m] == t->pi[v];
    if (v == m) return t->fz[u] < t->seats[u] && t->pi[u] == t->pi[m];
    int64_t w = t->W[u * m + v];
    if (w >= INF || w + t->pi[u] != t->pi[v]) return 0; /* a lower bound above zero: not */
    if (t->arg[u * m + v] != STALE) return 1;
    refresh(t, u, v);
    w = t->W[u * m + v];
    return w < INF && w + t->pi[u] == t->pi[v];
}

/* school u's arcs of zero reduced cost by W's values (stale ones are lower bounds: the
 * arcs they may hide are checked on use) */
static int adj_build(T *t, int64_t u) {
    int64_t m = t->m, pu = t->pi[u];
    const int64_t *w = t->W + u * m, *pi = t->pi;
    int32_t k = 0;
    for (int64_t v = 0; v < m; v++)
        if (w[v] + pu == pi[v] && w[v] < INF && v != u) {
            if (k == t->adjcap[u]) {
                int32_t c = t->adjcap[u] ? 2 * t->adjcap[u] : 16;
                int32_t *p = realloc(t->adj[u], (size_t)c * sizeof(int32_t));
                if (!p) return -1;
                t->adj[u] = p;
                t->adjcap[u] = c;
            }
            t->adj[u][k++] = (int32_t)v;
        }
    t->adjlen[u] = k;
    t->dirty[u] = 0;
    return 0;
}

/* 0 done, 1 infeasible, -1 out of memory */
static int run(T *t, int64_t *phases) {
    int64_t m = t->m, z = m;
    int64_t *dist = malloc((size_t)(m + 1) * sizeof(int64_t));
    char *done = malloc((size_t)m + 1), *dead = malloc((size_t)m + 1);
    int64_t *cur = malloc((size_t)(m + 1) * sizeof(int64_t));
    int64_t *stack = malloc((size_t)(m + 2) * sizeof(int64_t));
    int64_t *level = malloc((size_t)(m + 1) * sizeof(int64_t));
    int64_t *queue = malloc((size_t)(m + 1) * sizeof(int64_t));
    int64_t *key = malloc((size_t)(m + 1) * sizeof(int64_t));
    int rc = -1;
    if (!dist || !done || !dead || !cur || !stack || !level || !queue || !key) goto out;
    for (;;) {
        int64_t zin = 0;
        for (int64_t b = 0; b < m; b++) zin += t->fz[b];
        int any = 0;
        for (int64_t v = 0; v <= m; v++) { key[v] = INF; done[v] = 0; }
        for (int64_t a = 0; a <= m; a++)
            if (imbalance(t, a, zin) > 0) { key[a] = 0; any = 1; }
        if (!any) { rc = 0; break; }
        (*phases)++;
        /* Dijkstra (array, dense) from the sources to the nearest target: key[v] is v's
         * tentative distance, final once settled (dist[v]) */
        int64_t D = -1;
        for (;;) {
            int64_t u = -1, du = INF / 2;
            for (int64_t v = 0; v <= m; v++)
                if (key[v] < du && !done[v]) { du = key[v]; u = v; }
            if (u < 0) { rc = 1; goto out; } /* nothing left within reach: no target */
            done[u] = 1;
            dist[u] = du;
            if (imbalance(t, u, zin) < 0) { D = du; break; }
            int64_t base = du + t->pi[u];
            const int64_t *pi = t->pi;
            if (u == z) {
                for (int64_t b = 0; b < m; b++) {
                    if (t->fz[b] <= 0) continue;
                    int64_t nd = base - pi[b];
                    key[b] = nd < key[b] ? nd : key[b];
                }
                continue;
            }
            if (t->fz[u] < t->seats[u]) {
                int64_t nd = base - pi[z];
                key[z] = nd < key[z] ? nd : key[z];
            }
            /* no test for settled nodes (reduced costs are >= 0, so nd >= du >= their
             * distance) nor for missing arcs (INF plus potentials stays above INF / 2) */
            const int64_t *w = t->W + u * m;
            for (int64_t b = 0; b < m; b++) {
                int64_t nd = base + w[b] - pi[b];
                key[b] = nd < key[b] ? nd : key[b];
            }
        }
        for (int64_t v = 0; v <= m; v++) t->pi[v] += done[v] ? dist[v] : D;
        memset(t->dirty, 1, (size_t)m);
        /* move one unit a path along arcs of zero reduced cost from sources to targets, by
         * fewest arcs: levels by breadth-first search, then paths up the levels */
        for (;;) {
            int64_t qh = 0, qt = 0, reached = 0;
            for (int64_t v = 0; v <= m; v++) level[v] = -1;
            for (int64_t a = 0; a <= m; a++)
                if (imbalance(t, a, zin) > 0) { level[a] = 0; queue[qt++] = a; }
            int64_t stop = INF; /* the level of the first target: nothing beyond it is needed */
            while (qh < qt) {
                int64_t u = queue[qh++];
                if (level[u] >= stop) break;
                if (level[u] > 0 && imbalance(t, u, zin) < 0) { reached = 1; stop = level[u]; continue; }
                if (u == z) {
                    for (int64_t v = 0; v < m; v++)
                        if (level[v] < 0 && admissible(t, u, v)) { level[v] = level[u] + 1; queue[qt++] = v; }
                    continue;
                }
                if (t->dirty[u] && adj_build(t, u) < 0) goto out;
                for (int32_t k = 0; k < t->adjlen[u]; k++) {
                    int64_t v = t->adj[u][k];
                    if (level[v] < 0 && admissible(t, u, v)) {
                        level[v] = level[u] + 1;
                        queue[qt++] = v;
                    }
                }
                if (level[z] < 0 && admissible(t, u, z)) { level[z] = level[u] + 1; queue[qt++] = z; }
            }
            t->nref++;
            if (!reached) break;
            memset(dead, 0, (size_t)m + 1);
            for (int64_t v = 0; v <= m; v++) cur[v] = 0;
            for (int64_t a = 0; a <= m; a++) {
                while (level[a] == 0 && !dead[a] && imbalance(t, a, zin) > 0) {
                    int64_t depth = 1;
                    stack[0] = a;
                    int found = 0;
                    while (depth > 0) {
                        int64_t u = stack[depth - 1];
                        if (depth > 1 && imbalance(t, u, zin) < 0) { found = 1; break; }
                        int64_t v = cur[u], next = level[u] + 1;
                        if (u == z) {
                            for (; v < m; v++)
                                if (!dead[v] && level[v] == next && admissible(t, u, v)) break;
                            if (v == m) v = m + 1;
                        } else {
                            if (t->dirty[u]) {
                                if (adj_build(t, u) < 0) goto out;
                                cur[u] = v = 0;
                            }
                            int32_t k = (int32_t)v, len = t->adjlen[u];
                            for (; k < len; k++) {
                                int64_t x = t->adj[u][k];
                                if (level[x] == next && !dead[x] && admissible(t, u, x)) break;
                            }
                            cur[u] = k;
                            if (k < len) v = t->adj[u][k];
                            else if (level[z] == next && !dead[z] && admissible(t, u, z)) v = m;
                            else v = m + 1;
                        }
                        if (v <= m) {
                            if (u == z) cur[u] = v;
                            stack[depth++] = v;
                        } else {
                            dead[u] = 1;
                            depth--;
                        }
                    }
                    if (!found) break;
                    /* as many units as the path takes: the source's excess, the target's
                     * lack, each arc's room (a site's children at the school, free seats,
                     * children seated) */
                    int64_t f = imbalance(t, a, zin), lack = -imbalance(t, stack[depth - 1], zin);
                    if (lack < f) f = lack;
                    for (int64_t k = 0; k + 1 < depth && f > 1; k++) {
                        int64_t u = stack[k], v = stack[k + 1], room;
                        if (v == z) room = t->seats[u] - t->fz[u];
                        else if (u == z) room = t->fz[v];
                        else room = t->ent[find(t, t->arg[u * m + v], u)].cnt;
                        if (room < f) f = room;
                    }
                    for (int64_t k = 0; k + 1 < depth; k++) {
                        int64_t u = stack[k], v = stack[k + 1];
                        if (v == z) { t->fz[u] += f; zin += f; }
                        else if (u == z) { t->fz[v] -= f; zin -= f; }
                        else {
                            int32_t st = t->arg[u * m + v];
                            leave(t, st, u, f);
                            if (join(t, st, v, f) < 0) goto out;
                            t->moves++;
                        }
                    }
                }
            }
        }
    }
out:
    free(dist); free(done); free(dead); free(cur); free(stack); free(level); free(queue); free(key);
    return rc;
}

static PyObject *as_bytes(const int64_t *data, Py_ssize_t n) {
    return PyBytes_FromStringAndSize((const char *)data, n * (Py_ssize_t)sizeof(int64_t));
}

/* the coordinate buffers (site xy n x 2, school xy m x 2 float64, closed m bytes); on an
 * error none is held */
static int get_xy(PyObject *xo, PyObject *yo, PyObject *ko, Py_ssize_t n, Py_ssize_t m,
                  Py_buffer *xv, Py_buffer *yv, Py_buffer *kv) {
    if (get_buf(xo, xv, 2 * n * (Py_ssize_t)sizeof(double), "site xy") < 0) return -1;
    if (get_buf(yo, yv, 2 * m * (Py_ssize_t)sizeof(double), "school xy") < 0) {
        PyBuffer_Release(xv);
        return -1;
    }
    if (get_buf(ko, kv, m, "closed") < 0) {
        PyBuffer_Release(xv);
        PyBuffer_Release(yv);
        return -1;
    }
    return 0;
}

static void release_xy(Py_buffer *xv, Py_buffer *yv, Py_buffer *kv) {
    PyBuffer_Release(xv);
    PyBuffer_Release(yv);
    PyBuffer_Release(kv);
}

static PyObject *transport(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *ro, *co, *so;
    PyObject *po = Py_None, *xo = Py_None, *yo = Py_None, *ko = Py_None;
    Py_ssize_t n, m, step = 2, top = 6;
    if (!PyArg_ParseTuple(args, "OOOnn|nnOOOO", &ro, &co, &so, &n, &m, &step, &top, &po, &xo,
                          &yo, &ko))
        return NULL;
    if (n < 0 || m <= 0 || n >= INT32_MAX || m >= 46000) {
        PyErr_SetString(PyExc_ValueError, "transport: bad shape");
        return NULL;
    }
    int xy = ro == Py_None;
    Py_buffer rv, cv, sv, xv, yv, kv;
    if (xy) {
        if (get_xy(xo, yo, ko, n, m, &xv, &yv, &kv) < 0) return NULL;
        memset(&rv, 0, sizeof rv);
    } else if (get_buf(ro, &rv, n * m * (Py_ssize_t)sizeof(float), "rows") < 0)
        return NULL;
    if (get_buf(co, &cv, n * (Py_ssize_t)sizeof(int64_t), "count") < 0) {
        if (xy) release_xy(&xv, &yv, &kv);
        else PyBuffer_Release(&rv);
        return NULL;
    }
    if (get_buf(so, &sv, m * (Py_ssize_t)sizeof(int64_t), "seats") < 0) {
        if (xy) release_xy(&xv, &yv, &kv);
        else PyBuffer_Release(&rv);
        PyBuffer_Release(&cv);
        return NULL;
    }
    T t;
    memset(&t, 0, sizeof t);
    t.n = n;
    t.m = m;
    t.rows = xy ? NULL : rv.buf;
    if (xy) {
        t.cxy = xv.buf;
        t.sxy = yv.buf;
        t.closed = kv.buf;
    }
    t.seats = sv.buf;
    const int64_t *count = cv.buf;
    t.load = calloc((size_t)m, sizeof(int64_t));
    t.list = calloc((size_t)m, sizeof(int32_t *));
    t.len = calloc((size_t)m, sizeof(int32_t));
    t.cap = calloc((size_t)m, sizeof(int32_t));
    t.capent = (int32_t)(n + 16);
    t.ent = malloc((size_t)t.capent * sizeof(Entry));
    t.freehead = -1;
    t.head = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    t.W = malloc((size_t)(m * m) * sizeof(int64_t));
    t.arg = malloc((size_t)(m * m) * sizeof(int32_t));
    t.W2 = malloc((size_t)(m * m) * sizeof(int64_t));
    t.arg2 = malloc((size_t)(m * m) * sizeof(int32_t));
    t.scratch = malloc((size_t)m * sizeof(int64_t));
    t.second = xy;
    t.pi = calloc((size_t)m + 1, sizeof(int64_t));
    t.fz = calloc((size_t)m, sizeof(int64_t));
    t.adj = calloc((size_t)m, sizeof(int32_t *));
    t.adjlen = calloc((size_t)m, sizeof(int32_t));
    t.adjcap = calloc((size_t)m, sizeof(int32_t));
    t.dirty = malloc((size_t)m);
    PyObject *ret = NULL;
    int rc = -1;
    int64_t phases = 0, bad = -1;
    if (!t.load || !t.list || !t.len || !t.cap || !t.ent || !t.head || !t.W || !t.arg || !t.W2 || !t.arg2 || !t.scratch || !t.pi || !t.fz || !t.adj || !t.adjlen || !t.adjcap || !t.dirty) {
        PyErr_NoMemory();
        goto done;
    }
    for (int64_t k = 0; k < m * m; k++) { t.W[k] = t.W2[k] = INF; t.arg[k] = t.arg2[k] = -1; }
    for (int64_t i = 0; i < n; i++) t.head[i] = -1;
    if (po != Py_None) {
        Py_buffer pv;
        if (get_buf(po, &pv, (m + 1) * (Py_ssize_t)sizeof(int64_t), "potential") < 0) goto done;
        memcpy(t.pi, pv.buf, (size_t)(m + 1) * sizeof(int64_t));
        PyBuffer_Release(&pv);
    }
    Py_BEGIN_ALLOW_THREADS
    rc = 0;
    /* the start: every site on its school of least cost - potential (least number on a
     * tie; with no potentials given, its nearest school) */
    int64_t top_cost = 0;
    int given = po != Py_None; /* potentials given: the metre scale from the start, and W
                                * built in the same pass from each site's row */
    int64_t *row = malloc((size_t)m * sizeof(int64_t));
    if (!row) rc = -1;
    t.shift = 0;
    for (int64_t i = 0; i < n && rc == 0; i++) {
        int64_t best = INF, b = -1;
        for (int64_t j = 0; j < m; j++) {
            int64_t c = cost(&t, i, j);
            row[j] = c;
            if (c >= INF) continue;
            if (c > top_cost) top_cost = c;
            if (c - t.pi[j] < best) { best = c - t.pi[j]; b = j; }
        }
        if (b < 0) { bad = i; rc = 2; break; }
        t.n_units += count[i];
        t.quiet = 1;
        int fresh = find(&t, (int32_t)i, b) < 0;
        if (join(&t, (int32_t)i, b, count[i]) < 0) rc = -1;
        t.quiet = 0;
        if (given && fresh && rc == 0) row_add_costs(&t, (int32_t)i, b, row);
    }
    free(row);
    /* what each school passes to z, as its potential against z's requires */
    for (int64_t j = 0; j < m; j++) {
        int64_t cap = t.seats[j] > 0 ? t.seats[j] : 0;
        if (t.pi[j] < t.pi[m]) t.fz[j] = cap;       /* dearer than z: full */
        else if (t.pi[j] > t.pi[m]) t.fz[j] = 0;    /* cheaper: nobody seated */
        else t.fz[j] = t.load[j] < cap ? t.load[j] : cap;
    }
    /* scales: whole metres >> shift, from about 2^top distinct costs down to the metre */
    int64_t bits = 0;
    while ((top_cost >> bits) > 0) bits++;
    if (step < 1) step = 1;
    int64_t shift = bits > top ? bits - top : 0;
    shift = (shift + step - 1) / step * step;
    if (given) shift = 0;
    t.shift = shift;
    if (rc == 0 && given) memset(t.dirty, 1, (size_t)m);
    else if (rc == 0) rebuild(&t);
    while (rc == 0) {
        rc = run(&t, &phases);
        if (rc != 0 || t.shift == 0) break;
        if (rescale(&t, t.shift > step ? t.shift - step : 0) < 0) rc = -1;
    }
    Py_END_ALLOW_THREADS
    if (rc == -1) { PyErr_NoMemory(); goto done; }
    if (rc == 2) {
        PyErr_Format(PyExc_ValueError, "transport: site %lld has no allowed school", (long long)bad);
        goto done;
    }
    if (rc == 1) {
        PyErr_SetString(PyExc_ValueError, "transport: the seats cannot take every child");
        goto done;
    }
    {
        int64_t used = 0;
        for (int64_t j = 0; j < m; j++) used += t.len[j];
        int64_t *out = malloc((size_t)(3 * used + 1) * sizeof(int64_t));
        if (!out) { PyErr_NoMemory(); goto done; }
        int64_t k = 0;
        for (int64_t j = 0; j < m; j++)
            for (int32_t q = 0; q < t.len[j]; q++) {
                Entry *x = &t.ent[t.list[j][q]];
                out[k] = x->site;
                out[used + k] = x->school;
                out[2 * used + k] = x->cnt;
                k++;
            }
        ret = Py_BuildValue("(NNNNLLL)", as_bytes(out, used), as_bytes(out + used, used),
                            as_bytes(out + 2 * used, used), as_bytes(t.pi, m + 1),
                            (long long)phases, (long long)t.moves, (long long)t.refreshes);
        free(out);
    }
done:
    free_t(&t);
    if (xy) release_xy(&xv, &yv, &kv);
    else PyBuffer_Release(&rv);
    PyBuffer_Release(&cv);
    PyBuffer_Release(&sv);
    return ret;
}

/* cell_rows(rows, cell, count, n, m, cells) -> float32 bytes (cells x m): each cell's
 * children's mean whole-metre row, rounded (inf where any of its sites is not allowed) */
static PyObject *cell_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *ro, *co, *no;
    Py_ssize_t n, m, cells;
    if (!PyArg_ParseTuple(args, "OOOnnn", &ro, &co, &no, &n, &m, &cells)) return NULL;
    if (n < 0 || m <= 0 || cells <= 0) {
        PyErr_SetString(PyExc_ValueError, "cell_rows: bad shape");
        return NULL;
    }
    Py_buffer rv, cv, nv;
    if (get_buf(ro, &rv, n * m * (Py_ssize_t)sizeof(float), "rows") < 0) return NULL;
    if (get_buf(co, &cv, n * (Py_ssize_t)sizeof(int64_t), "cell") < 0) {
        PyBuffer_Release(&rv);
        return NULL;
    }
    if (get_buf(no, &nv, n * (Py_ssize_t)sizeof(int64_t), "count") < 0) {
        PyBuffer_Release(&rv);
        PyBuffer_Release(&cv);
        return NULL;
    }
    const float *rows = rv.buf;
    const int64_t *cell = cv.buf, *count = nv.buf;
    float *sum = calloc((size_t)(cells * m), sizeof(float)); /* a guess: float sums do */
    double *weight = calloc((size_t)cells, sizeof(double));
    float *out = malloc((size_t)(cells * m) * sizeof(float));
    PyObject *ret = NULL;
    if (!sum || !weight || !out) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t c = cell[i];
        if (c < 0 || c >= cells) {
            PyErr_SetString(PyExc_ValueError, "cell_rows: cell out of range");
            goto done;
        }
        float w = (float)count[i];
        weight[c] += w;
        const float *r = rows + i * m;
        float *s = sum + c * m;
        for (Py_ssize_t j = 0; j < m; j++) s[j] += w * r[j];
    }
    for (Py_ssize_t c = 0; c < cells; c++) {
        float inv = weight[c] > 0 ? (float)(1.0 / weight[c]) : 0.0f;
        for (Py_ssize_t j = 0; j < m; j++) {
            float v = sum[c * m + j] * inv;
            out[c * m + j] = v < 3.0e38f ? (float)(int64_t)(v + 0.5f) : v;
        }
    }
    ret = PyBytes_FromStringAndSize((const char *)out, cells * m * (Py_ssize_t)sizeof(float));
done:
    free(sum); free(weight); free(out);
    PyBuffer_Release(&rv);
    PyBuffer_Release(&cv);
    PyBuffer_Release(&nv);
    return ret;
}

/* least_xy(site xy, school xy, closed, price, n, m) -> float64 bytes (n): each site's least
 * whole metres + price over its allowed schools (the check of an answer, written apart from
 * the solver: straight lines as NumPy's rint(sqrt(dx * dx + dy * dy))) */
static PyObject *least_xy(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *xo, *yo, *ko, *po;
    Py_ssize_t n, m;
    if (!PyArg_ParseTuple(args, "OOOOnn", &xo, &yo, &ko, &po, &n, &m)) return NULL;
    if (n < 0 || m <= 0) {
        PyErr_SetString(PyExc_ValueError, "least_xy: bad shape");
        return NULL;
    }
    Py_buffer xv, yv, kv, pv;
    if (get_xy(xo, yo, ko, n, m, &xv, &yv, &kv) < 0) return NULL;
    if (get_buf(po, &pv, m * (Py_ssize_t)sizeof(double), "price") < 0) {
        release_xy(&xv, &yv, &kv);
        return NULL;
    }
    const double *cxy = xv.buf, *sxy = yv.buf, *price = pv.buf;
    const uint8_t *closed = kv.buf;
    double *out = malloc((size_t)(n + 1) * sizeof(double));
    PyObject *ret = NULL;
    if (!out) PyErr_NoMemory();
    else {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            double best = HUGE_VAL;
            for (Py_ssize_t j = 0; j < m; j++) {
                if (closed[j]) continue;
                double dx = cxy[2 * i] - sxy[2 * j], dy = cxy[2 * i + 1] - sxy[2 * j + 1];
                double xx = dx * dx, yy = dy * dy;
                double v = round_even(sqrt(xx + yy)) + price[j];
                if (v < best) best = v;
            }
            out[i] = best;
        }
        Py_END_ALLOW_THREADS
        ret = PyBytes_FromStringAndSize((const char *)out, n * (Py_ssize_t)sizeof(double));
        free(out);
    }
    release_xy(&xv, &yv, &kv);
    PyBuffer_Release(&pv);
    return ret;
}

/* xy_rows(site xy, school xy, closed, n, m, limit[, out]) -> (hash bytes, fits): the whole
 * metres of each site's row as NumPy's rint(sqrt(dx * dx + dy * dy)) (closed schools not
 * allowed), a 64-bit hash of each whole row (uint64 n: equal rows have equal hashes; the
 * caller checks equal hashes value by value), and, with `out` (a writable float32 n x m),
 * the row itself (inf where closed).  `fits`: every metre below `limit` (else `out` is not
 * to be used: float32 would not hold the metres exactly). */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

static PyObject *xy_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *xo, *yo, *ko, *oo = Py_None;
    Py_ssize_t n, m;
    double limit;
    if (!PyArg_ParseTuple(args, "OOOnnd|O", &xo, &yo, &ko, &n, &m, &limit, &oo)) return NULL;
    if (n < 0 || m <= 0) {
        PyErr_SetString(PyExc_ValueError, "xy_rows: bad shape");
        return NULL;
    }
    Py_buffer xv, yv, kv, ov;
    if (get_xy(xo, yo, ko, n, m, &xv, &yv, &kv) < 0) return NULL;
    float *out = NULL;
    if (oo != Py_None) {
        if (PyObject_GetBuffer(oo, &ov, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
            release_xy(&xv, &yv, &kv);
            return NULL;
        }
        if (ov.len != n * m * (Py_ssize_t)sizeof(float)) {
            PyBuffer_Release(&ov);
            release_xy(&xv, &yv, &kv);
            PyErr_SetString(PyExc_ValueError, "xy_rows: out: wrong size");
            return NULL;
        }
        out = ov.buf;
    }
    const double *cxy = xv.buf, *sxy = yv.buf;
    const uint8_t *closed = kv.buf;
    uint64_t *hash = malloc((size_t)(n + 1) * sizeof(uint64_t));
    double *row = malloc((size_t)m * sizeof(double));
    PyObject *ret = NULL;
    if (!hash || !row) PyErr_NoMemory();
    else {
        int fits = 1;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            double x = cxy[2 * i], y = cxy[2 * i + 1];
            for (Py_ssize_t j = 0; j < m; j++) { /* a tight loop the compiler can vectorise */
                double dx = x - sxy[2 * j], dy = y - sxy[2 * j + 1];
                double xx = dx * dx, yy = dy * dy;
                row[j] = round_even(sqrt(xx + yy));
            }
            uint64_t h = 0; /* a sum of independent terms (no chain: pipelined) */
            for (Py_ssize_t j = 0; j < m; j++) {
                double v = closed[j] ? -1.0 : row[j];
                if (v >= limit) fits = 0;
                h += mix64(((uint64_t)(int64_t)v + 2) * 0x9E3779B97F4A7C15ULL + (uint64_t)j);
            }
            hash[i] = mix64(h);
            if (out) {
                float *o = out + i * m;
                for (Py_ssize_t j = 0; j < m; j++) o[j] = closed[j] ? HUGE_VALF : (float)row[j];
            }
        }
        Py_END_ALLOW_THREADS
        ret = Py_BuildValue("(NO)", PyBytes_FromStringAndSize((const char *)hash,
                                                              n * (Py_ssize_t)sizeof(uint64_t)),
                            fits ? Py_True : Py_False);
    }
    free(hash);
    free(row);
    if (out) PyBuffer_Release(&ov);
    release_xy(&xv, &yv, &kv);
    return ret;
}

static PyMethodDef methods[] = {
    {"xy_rows", xy_rows, METH_VARARGS,
     "xy_rows(site_xy, school_xy, closed, n, m, limit[, out]) -> (row hashes, fits)"},
    {"least_xy", least_xy, METH_VARARGS,
     "least_xy(site_xy, school_xy, closed, price, n, m) -> each site's least metres + price"},
    {"cell_rows", cell_rows, METH_VARARGS,
     "cell_rows(rows, cell, count, n, m, cells) -> each cell's mean row (float32 bytes)"},
    {"transport", transport, METH_VARARGS,
     "transport(rows, count, seats, n, m) -> (site, school, units, potential, phases, moves)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_transport_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__transport_ext(void) { return PyModule_Create(&module); }
