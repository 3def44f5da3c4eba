/*
 * json-index: one pass over a JSON document that (1) validates it as strictly as JSON.parse does,
 * (2) finds the elements of its record array (`{"Records":[...]}` or a bare top-level array) and
 * (3) for each record notes where it is, what its top-level "eventTime" is, and whether its bytes
 * hold anything that makes byte-level reasoning unsafe (\u or \/ escapes, non-ASCII bytes).
 * A second export marks the records that contain a literal, ignoring ASCII case.
 *
 * Strings are found with the bit tricks of simdjson's stage 1 (64 bytes at a time, SIMD compares,
 * odd-backslash carries, prefix-XOR string mask); grammar is checked token by token.
 * Build: see build.sh. No libc: everything is in this file.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint8_t u8;

#define OK 0
#define INVALID 1
#define UNSUPPORTED 2
#define OVERFLOW 3

/* Record flags. */
#define F_ESCAPE 1    /* holds a \u or \/ escape */
#define F_NONASCII 2  /* holds a byte >= 0x80 */
#define F_NOT_OBJECT 8
#define F_TIME_ESCAPED 16

/* Where the record's eventTime lies relative to the window. */
#define P_BEFORE 0
#define P_INSIDE 1
#define P_AFTER 2
#define P_UNKNOWN 3 /* a string that is not YYYY-MM-DDTHH:MM:SSZ: the caller decides */
#define P_NONE 4    /* absent, or not a string */

#define REC_INTS 7
#define MAX_DEPTH 1024

/* Parser states. */
enum { S_VALUE, S_VALUE_OR_CLOSE, S_KEY, S_KEY_OR_CLOSE, S_COLON, S_COMMA_OR_CLOSE, S_DONE };

static u8 *in;
static u32 len;
static i32 *recs;
static u32 rec_cap, rec_count;
static u8 *block_flags;
static u8 since[20], until[20];
static int saw_high;            /* some byte >= 0x80: the caller must check UTF-8 */

static u8 stack[MAX_DEPTH]; /* 1 = object, 2 = array */
static u32 depth;
static int state;

/* Record array tracking. */
static int records_depth;      /* depth of the records array while inside it, else 0 */
static int records_seen;       /* "Records" keys met at the top level */
static int expect_records;     /* the next value is the top-level Records value */
static int in_record;          /* inside a record element */
static u32 rec_start;
static int rec_flags;
static int time_pending;       /* the next value is this record's eventTime */
static u32 time_start, time_end;
static int time_kind;          /* 0 none, 1 string, 2 not a string */
static int time_escaped;

__attribute__((export_name("heap_base"))) u32 heap_base(void) {
  extern unsigned char __heap_base;
  return ((u32)&__heap_base + 63) & ~63u;
}

__attribute__((export_name("set_window"))) void set_window(u8 *s, u8 *u) {
  for (int i = 0; i < 20; i++) { since[i] = s[i]; until[i] = u[i]; }
}

static inline int is_digit(u8 c) { return c >= '0' && c <= '9'; }

static int canonical_time(const u8 *t) {
  static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
  for (int i = 0; i < 20; i++) {
    if (pat[i] == 'd') { if (!is_digit(t[i])) return 0; }
    else if (t[i] != (u8)pat[i]) return 0;
  }
  return 1;
}

static int cmp20(const u8 *a, const u8 *b) {
  for (int i = 0; i < 20; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

static int place(void) {
  if (time_kind != 1) return P_NONE;
  if (time_escaped || time_end - time_start != 20 || !canonical_time(in + time_start)) return P_UNKNOWN;
  const u8 *t = in + time_start;
  if (cmp20(t, since) < 0) return P_BEFORE;
  if (cmp20(t, until) >= 0) return P_AFTER;
  return P_INSIDE;
}

static void begin_record(u32 pos, int is_object) {
  in_record = 1;
  rec_start = pos;
  rec_flags = is_object ? 0 : F_NOT_OBJECT;
  time_kind = 0;
  time_escaped = 0;
  time_pending = 0;
}

static int end_record(u32 end) {
  if (rec_count == rec_cap) return OVERFLOW;
  int flags = rec_flags;
  for (u32 b = rec_start >> 6; b <= (end - 1) >> 6; b++) flags |= block_flags[b];
  if (time_escaped) flags |= F_TIME_ESCAPED;
  i32 *r = recs + rec_count * REC_INTS;
  r[0] = (i32)rec_start;
  r[1] = (i32)end;
  r[2] = flags;
  r[3] = (i32)time_start;
  r[4] = (i32)time_end;
  r[5] = (flags & F_NOT_OBJECT) ? P_NONE : place();
  r[6] = 0;
  rec_count++;
  in_record = 0;
  return OK;
}

/* End (exclusive) of the string whose opening quote is at pos; sets *escaped when it holds a backslash. */
static u32 string_end(u32 pos, int *escaped) {
  u32 i = pos + 1;
  while (i < len) {
    u8 c = in[i];
    if (c == '"') return i + 1;
    if (c == '\\') { *escaped = 1; i += 2; continue; }
    i++;
  }
  return len;
}

static inline int is_delim(u8 c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' || c == '[' || c == ']' ||
         c == '{' || c == '}' || c == '"';
}

/* Validates the number or literal starting at pos; returns its end, or 0 when invalid. */
static u32 scalar_end(u32 pos) {
  u32 i = pos;
  u8 c = in[i];
  if (c == 't' || c == 'f' || c == 'n') {
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    for (; *word; word++, i++) if (i >= len || in[i] != (u8)*word) return 0;
    return (i == len || is_delim(in[i])) ? i : 0;
  }
  if (c == '-') i++;
  if (i >= len) return 0;
  if (in[i] == '0') i++;
  else if (in[i] >= '1' && in[i] <= '9') { while (i < len && is_digit(in[i])) i++; }
  else return 0;
  if (i < len && in[i] == '.') {
    i++;
    if (i >= len || !is_digit(in[i])) return 0;
    while (i < len && is_digit(in[i])) i++;
  }
  if (i < len && (in[i] == 'e' || in[i] == 'E')) {
    i++;
    if (i < len && (in[i] == '+' || in[i] == '-')) i++;
    if (i >= len || !is_digit(in[i])) return 0;
    while (i < len && is_digit(in[i])) i++;
  }
  return (i == len || is_delim(in[i])) ? i : 0;
}

static int key_is(u32 pos, const char *quoted, u32 n) {
  if (pos + n > len) return 0;
  for (u32 i = 0; i < n; i++) if (in[pos + i] != (u8)quoted[i]) return 0;
  return 1;
}

static int key_has_backslash(u32 pos) {
  int escaped = 0;
  string_end(pos, &escaped);
  return escaped;
}

/* A value (scalar, string or container opening) starts at pos. */
static inline int value_start(u32 pos, int is_object) {
  if (records_depth && depth == (u32)records_depth && !in_record) begin_record(pos, is_object);
  return OK;
}

/* A value ended at end (exclusive); the container depth is back to `depth`. */
static inline int value_end(u32 end) {
  state = depth == 0 ? S_DONE : S_COMMA_OR_CLOSE;
  if (in_record && depth == (u32)records_depth) return end_record(end);
  return OK;
}

static int token(u32 pos) {
  u8 c = in[pos];
  switch (c) {
    case '{':
    case '[': {
      if (state != S_VALUE && state != S_VALUE_OR_CLOSE) return INVALID;
      if (depth + 1 >= MAX_DEPTH) return UNSUPPORTED;
      if (expect_records) {
        expect_records = 0;
        if (c != '[') return UNSUPPORTED;
        records_depth = 2;
      }
      if (depth == 0 && c == '[') records_depth = 1;
      if (time_pending) { time_pending = 0; time_kind = 2; }
      value_start(pos, c == '{');
      stack[++depth] = c == '{' ? 1 : 2;
      state = c == '{' ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
      return OK;
    }
    case '}':
    case ']': {
      u8 kind = c == '}' ? 1 : 2;
      if (depth == 0 || stack[depth] != kind) return INVALID;
      if (kind == 1 && state != S_KEY_OR_CLOSE && state != S_COMMA_OR_CLOSE) return INVALID;
      if (kind == 2 && state != S_VALUE_OR_CLOSE && state != S_COMMA_OR_CLOSE) return INVALID;
      if (kind == 2 && records_depth && depth == (u32)records_depth) records_depth = -records_depth;
      depth--;
      return value_end(pos + 1);
    }
    case ':':
      if (state != S_COLON) return INVALID;
      state = S_VALUE;
      return OK;
    case ',':
      if (state != S_COMMA_OR_CLOSE) return INVALID;
      state = stack[depth] == 1 ? S_KEY : S_VALUE;
      return OK;
    case '"': {
      if (state == S_KEY || state == S_KEY_OR_CLOSE) {
        if (depth == 1 && stack[1] == 1) {
          if (key_is(pos, "\"Records\"", 9)) {
            if (records_seen++) return UNSUPPORTED;
            expect_records = 1;
          } else if (key_has_backslash(pos)) return UNSUPPORTED;
        } else if (in_record && depth == (u32)records_depth + 1 && key_is(pos, "\"eventTime\"", 11)) {
          time_pending = 1;
        }
        state = S_COLON;
        return OK;
      }
      if (state != S_VALUE && state != S_VALUE_OR_CLOSE) return INVALID;
      if (expect_records) return UNSUPPORTED;
      value_start(pos, 0);
      if (time_pending) {
        time_pending = 0;
        int escaped = 0;
        u32 end = string_end(pos, &escaped);
        time_kind = 1;
        time_escaped = escaped;
        time_start = pos + 1;
        time_end = end - 1;
      }
      /* The record's end needs the closing quote; other strings need no end here. */
      if (in_record && depth == (u32)records_depth) {
        int escaped = 0;
        return value_end(string_end(pos, &escaped));
      }
      state = depth == 0 ? S_DONE : S_COMMA_OR_CLOSE;
      return OK;
    }
    default: {
      if (state != S_VALUE && state != S_VALUE_OR_CLOSE) return INVALID;
      u32 end = scalar_end(pos);
      if (end == 0) return INVALID;
      if (expect_records) return UNSUPPORTED;
      if (time_pending) { time_pending = 0; time_kind = 2; }
      value_start(pos, 0);
      return value_end(end);
    }
  }
}

static inline u64 mask64(v128_t a, v128_t b, v128_t c, v128_t d) {
  return (u64)(u32)wasm_i8x16_bitmask(a) | ((u64)(u32)wasm_i8x16_bitmask(b) << 16) |
         ((u64)(u32)wasm_i8x16_bitmask(c) << 32) | ((u64)(u32)wasm_i8x16_bitmask(d) << 48);
}

#define EQ4(ch) mask64(wasm_i8x16_eq(v0, wasm_i8x16_splat(ch)), wasm_i8x16_eq(v1, wasm_i8x16_splat(ch)), \
                       wasm_i8x16_eq(v2, wasm_i8x16_splat(ch)), wasm_i8x16_eq(v3, wasm_i8x16_splat(ch)))

/*
 * Character classes by 4-bit table lookups (simdjson): JSON whitespace is the byte whose low
 * nibble indexes itself in WS_TABLE; `{}[]:,` are the bytes that, with 0x20 set ([ and ] become
 * { and }), equal OP_TABLE at their low nibble. Bytes >= 0x80 never match either table. The op
 * test also accepts 0x0C and 0x1A: the token check reads the real byte and rejects them.
 */
static inline v128_t is_ws(v128_t v) {
  const v128_t table = wasm_i8x16_make(' ', 100, 100, 100, 17, 100, 113, 2, 100, '\t', '\n', 112, 100, '\r', 100, 100);
  return wasm_i8x16_eq(wasm_i8x16_swizzle(table, wasm_v128_and(v, wasm_i8x16_splat(0x0f))), v);
}

static inline v128_t is_op(v128_t v) {
  const v128_t table = wasm_i8x16_make(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0);
  return wasm_i8x16_eq(wasm_i8x16_swizzle(table, wasm_v128_and(v, wasm_i8x16_splat(0x0f))),
                       wasm_v128_or(v, wasm_i8x16_splat(0x20)));
}

static inline u64 prefix_xor(u64 x) {
  x ^= x << 1; x ^= x << 2; x ^= x << 4; x ^= x << 8; x ^= x << 16; x ^= x << 32;
  return x;
}

static int valid_escape(u32 pos, int *flag) {
  u8 c = in[pos];
  switch (c) {
    case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't': return 1;
    case '/': *flag = 1; return 1;
    case 'u':
      *flag = 1;
      if (pos + 4 >= len) return 0;
      for (int i = 1; i <= 4; i++) {
        u8 h = in[pos + i];
        if (!(is_digit(h) || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return 0;
      }
      return 1;
    default: return 0;
  }
}

/*
 * Indexes in[0..n). recs has room for cap records of REC_INTS ints, flags for n/64+1 bytes.
 * Returns OK, INVALID, UNSUPPORTED or OVERFLOW; the record count is in record_count().
 */
__attribute__((export_name("index"))) int index_json(u8 *input, u32 n, i32 *records, u32 cap, u8 *flags) {
  in = input; len = n; recs = records; rec_cap = cap; rec_count = 0; block_flags = flags;
  depth = 0; state = S_VALUE; records_depth = 0; records_seen = 0; expect_records = 0; in_record = 0;
  time_pending = 0; saw_high = 0;
  u64 prev_in_string = 0, prev_odd_backslash = 0, prev_scalar = 0;
  u32 fast_depth = 0xffffffffu; /* depth from which a token is inside a record */
  const u64 even_bits = 0x5555555555555555ULL, odd_bits = ~even_bits;
  u8 tail[64];
  for (u32 base = 0; base < n; base += 64) {
    const u8 *p = input + base;
    if (n - base < 64) {
      u32 k = 0;
      for (; k < n - base; k++) tail[k] = p[k];
      for (; k < 64; k++) tail[k] = ' ';
      p = tail;
    }
    v128_t v0 = wasm_v128_load(p), v1 = wasm_v128_load(p + 16), v2 = wasm_v128_load(p + 32),
           v3 = wasm_v128_load(p + 48);
    u64 quote = EQ4('"');
    u64 bs = EQ4('\\');
    u64 ws = mask64(is_ws(v0), is_ws(v1), is_ws(v2), is_ws(v3));
    u64 structural = mask64(is_op(v0), is_op(v1), is_op(v2), is_op(v3));
    v128_t sp = wasm_i8x16_splat(0x20);
    u64 ctrl = mask64(wasm_u8x16_lt(v0, sp), wasm_u8x16_lt(v1, sp), wasm_u8x16_lt(v2, sp), wasm_u8x16_lt(v3, sp));
    u64 high = mask64(v0, v1, v2, v3);

    /* Characters escaped by an odd run of backslashes (simdjson). */
    u64 escaped = 0;
    if (bs | prev_odd_backslash) {
      u64 start_edges = bs & ~(bs << 1);
      u64 even_start_mask = even_bits ^ prev_odd_backslash;
      u64 even_starts = start_edges & even_start_mask;
      u64 odd_starts = start_edges & ~even_start_mask;
      u64 even_carries = bs + even_starts;
      u64 odd_carries;
      int ends_odd = __builtin_add_overflow(bs, odd_starts, &odd_carries);
      odd_carries |= prev_odd_backslash;
      prev_odd_backslash = ends_odd ? 1 : 0;
      u64 even_carry_ends = even_carries & ~bs;
      u64 odd_carry_ends = odd_carries & ~bs;
      escaped = (even_carry_ends & odd_bits) | (odd_carry_ends & even_bits);
    }
    quote &= ~escaped;
    u64 in_string = prefix_xor(quote) ^ prev_in_string;
    prev_in_string = (u64)((int64_t)in_string >> 63);

    /* Raw control characters inside strings, backslashes outside them. */
    if ((ctrl & in_string) | (bs & ~in_string)) return INVALID;
    u8 bflag = 0;
    if (high) { bflag |= F_NONASCII; saw_high = 1; }
    if (escaped) {
      u64 e = escaped;
      while (e) {
        u32 pos = base + (u32)__builtin_ctzll(e);
        e &= e - 1;
        if (pos >= n) return INVALID;
        int flag = 0;
        if (!valid_escape(pos, &flag)) return INVALID;
        if (flag) bflag |= F_ESCAPE;
      }
    }
    block_flags[base >> 6] = bflag;

    u64 outside = ~in_string & ~quote;
    u64 scalar = outside & ~(structural | ws);
    u64 scalar_start = scalar & ~((scalar << 1) | prev_scalar);
    prev_scalar = scalar >> 63;
    u64 tokens = (structural & outside) | (quote & in_string) | scalar_start;
    if (n - base < 64) tokens &= (n - base == 64) ? ~0ULL : ((1ULL << (n - base)) - 1);
    while (tokens) {
      u32 pos = base + (u32)__builtin_ctzll(tokens);
      tokens &= tokens - 1;
      /*
       * Fast path for most tokens of a record: strings, colons and commas inside it change
       * nothing but the state (record-level "eventTime" keys and their values aside).
       */
      if (depth >= fast_depth) {
        u8 c = in[pos];
        if (c == '"') {
          if (state == S_KEY || state == S_KEY_OR_CLOSE) {
            if (depth == fast_depth && in[pos + 1] == 'e' && key_is(pos, "\"eventTime\"", 11)) time_pending = 1;
            state = S_COLON;
            continue;
          }
          if ((state == S_VALUE || state == S_VALUE_OR_CLOSE) && !time_pending) {
            state = S_COMMA_OR_CLOSE;
            continue;
          }
        } else if (c == ':') {
          if (state != S_COLON) return INVALID;
          state = S_VALUE;
          continue;
        } else if (c == ',') {
          if (state != S_COMMA_OR_CLOSE) return INVALID;
          state = stack[depth] == 1 ? S_KEY : S_VALUE;
          continue;
        }
      }
      int r = token(pos);
      if (r != OK) return r;
      fast_depth = records_depth > 0 ? (u32)records_depth + 1 : 0xffffffffu;
    }
  }
  if (prev_in_string) return INVALID;
  if (state != S_DONE) return depth == 0 && state == S_VALUE ? UNSUPPORTED : INVALID;
  if (records_depth == 0) return UNSUPPORTED;
  return OK;
}

__attribute__((export_name("record_count"))) u32 record_count(void) { return rec_count; }

/* Whether the last indexed document holds bytes >= 0x80 (pure ASCII is valid UTF-8). */
__attribute__((export_name("non_ascii"))) int non_ascii(void) { return saw_high; }

static inline u8 fold(u8 c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/*
 * Sets `bit` in the atom mask of every record (of the last index call) that contains atom[0..m),
 * a lowercase ASCII literal, ignoring ASCII case. Returns how many records have it.
 */
__attribute__((export_name("mark"))) u32 mark(const u8 *atom, u32 m, u32 bit) {
  if (m == 0 || rec_count == 0) return 0;
  u32 found = 0, r = 0;
  const u32 flag = 1u << bit;
  v128_t first = wasm_i8x16_splat(atom[0]), last = wasm_i8x16_splat(atom[m - 1]);
  v128_t A = wasm_i8x16_splat('A'), n26 = wasm_i8x16_splat(26), x20 = wasm_i8x16_splat(0x20);
  u32 i = (u32)recs[0];
  u32 stop = (u32)recs[(rec_count - 1) * REC_INTS + 1];
  while (i + m <= stop) {
    u64 cand;
    if (i + 16 + m - 1 <= len) {
      v128_t a = wasm_v128_load(in + i), b = wasm_v128_load(in + i + m - 1);
      a = wasm_v128_or(a, wasm_v128_and(wasm_u8x16_lt(wasm_i8x16_sub(a, A), n26), x20));
      b = wasm_v128_or(b, wasm_v128_and(wasm_u8x16_lt(wasm_i8x16_sub(b, A), n26), x20));
      cand = (u32)wasm_i8x16_bitmask(wasm_v128_and(wasm_i8x16_eq(a, first), wasm_i8x16_eq(b, last)));
    } else {
      cand = 0;
      for (u32 k = 0; k < 16 && i + k + m <= stop; k++)
        if (fold(in[i + k]) == atom[0] && fold(in[i + k + m - 1]) == atom[m - 1]) cand |= 1ULL << k;
    }
    u32 next = i + 16;
    while (cand) {
      u32 pos = i + (u32)__builtin_ctzll(cand);
      cand &= cand - 1;
      if (pos + m > stop) break;
      u32 k = 1;
      while (k + 1 < m && fold(in[pos + k]) == atom[k]) k++;
      if (m > 1 && k + 1 < m) continue;
      while (r < rec_count && (u32)recs[r * REC_INTS + 1] < pos + m) r++;
      if (r == rec_count) return found;
      i32 *rec = recs + r * REC_INTS;
      if ((u32)rec[0] <= pos) {
        if (!(rec[6] & flag)) { rec[6] |= flag; found++; }
        /* Nothing more to learn in this record: go on after it. */
        next = (u32)rec[1];
        r++;
        break;
      }
    }
    i = next;
  }
  return found;
}
