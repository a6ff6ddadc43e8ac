// A small regular-expression engine for route matching: AssemblyScript's standard library
// has no RegExp. A pattern compiles once, at configuration time, to a Thompson NFA program
// that runs as a Pike VM (https://swtch.com/~rsc/regexp/regexp2.html): time linear in the
// input and the program, no backtracking, so no pattern can make a request slow — the reason
// Envoy only accepts RE2 (https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/regex.proto).
//
// Like Envoy's `safe_regex`, a pattern must match the WHOLE value; `^` and `$` are accepted
// and redundant at the ends. The subset (RE2 syntax), as README.md lists it:
//
//   literals; `.` (any character but `\n`); classes `[a-z0-9_-]`, `[^/]` (ASCII members);
//   `\d \w \s \D \W \S`; escaped punctuation (`\.` `\/` `\-` `\\` …), `\n \t \r`;
//   `*` `+` `?` `{n}` `{n,}` `{n,m}` (a trailing lazy `?` is accepted: it cannot change a
//   whole-value match); groups `( )` and `(?: )`; alternation `|`; anchors `^` `$`.
//
// Anything else (backreferences, lookaround, `(?i)`, named groups, `\b`, `\p{…}`) is a
// configuration error. Characters are UTF-16 code units.
//
// A program is 3 integers per instruction (op, arg, alt) with jump targets RELATIVE to the
// instruction, so a compiled piece can be moved (alternation and `*` insert a split before
// it) or copied (`{n,m}`) as is. A class is 4 words of ASCII bitmap in the program itself,
// after its instruction. The parser and the VM keep their state in module globals rather
// than objects: with the SDK's incremental GC every object passed between functions costs
// shadow-stack code, and this keeps the engine about 3 KB.

const OP_CHAR: i32 = 0; // arg: the code unit
const OP_ANY: i32 = 1;
const OP_CLASS: i32 = 2; // arg: 1 when negated; the next 4 words (one instruction + 1) are the bitmap
const OP_SPLIT: i32 = 3; // continue at +arg and at +alt
const OP_JMP: i32 = 4; // continue at +arg
const OP_BOL: i32 = 5;
const OP_EOL: i32 = 6;
const OP_MATCH: i32 = 7;
const OP_DATA: i32 = 8; // the bitmap words of a class: never executed

/** Largest program (instructions); `{n,m}` copies its operand. */
const MAX_PROGRAM: i32 = 2000;
/** Largest repeat count, as RE2. */
const MAX_REPEAT: i32 = 1000;

// ---- compiling ------------------------------------------------------------------------

let source: string = "";
let pos: i32 = 0;
let size: i32 = 0; // instructions emitted
let code = new StaticArray<i32>((MAX_PROGRAM + 8) * 3);
/** Why the last `compileRegex` returned null. */
export let regexError: string = "";

function fail(message: string): void {
  if (regexError == "") regexError = message + " at offset " + pos.toString();
  pos = source.length; // stop parsing
}

function peek(): i32 {
  return pos < source.length ? source.charCodeAt(pos) : -1;
}

function emit(op: i32, arg: i32, alt: i32): void {
  if (size >= MAX_PROGRAM) return fail("the pattern is too large");
  code[size * 3] = op;
  code[size * 3 + 1] = arg;
  code[size * 3 + 2] = alt;
  size++;
}

/**
 * Compiles `pattern` to a program for `regexMatches`, or returns null and says why in
 * `regexError` (the problem and its offset).
 */
export function compileRegex(pattern: string): StaticArray<i32> | null {
  source = pattern;
  pos = 0;
  size = 0;
  regexError = "";
  alternation();
  if (pos < pattern.length) fail("unmatched \")\"");
  emit(OP_MATCH, 0, 0);
  if (regexError != "") return null;
  const program = new StaticArray<i32>(size * 3);
  memory.copy(changetype<usize>(program), changetype<usize>(code), <usize>size * 12);
  if (size > marks.length) {
    current = new StaticArray<i32>(size);
    next = new StaticArray<i32>(size);
    marks = new StaticArray<u32>(size);
  }
  return program;
}

/** Inserts `split +1, +alt` before instruction `at` (moving what follows). */
function insertSplit(at: i32, alt: i32): void {
  emit(OP_SPLIT, 1, alt);
  for (let i = size * 3 - 1; i >= at * 3 + 3; i--) code[i] = code[i - 3];
  code[at * 3] = OP_SPLIT;
  code[at * 3 + 1] = 1;
  code[at * 3 + 2] = alt;
}

/** a|b|…: split +1, +2+|a|; a; jmp +1+|b…|; b… */
function alternation(): void {
  const start = size;
  for (let c = peek(); c >= 0 && c != 0x7c && c != 0x29; c = peek()) quantified();
  if (peek() != 0x7c) return;
  pos++;
  insertSplit(start, size - start + 2);
  const jump = size;
  emit(OP_JMP, 0, 0);
  alternation();
  code[jump * 3 + 1] = size - jump;
}

/** An atom and its quantifier. */
function quantified(): void {
  const start = size;
  const c = peek();
  atom();
  const q = peek();
  let min: i32 = 0;
  let max: i32 = -1;
  if (q == 0x2a || q == 0x2b || q == 0x3f) {
    if (q == 0x2b) min = 1;
    if (q == 0x3f) max = 1;
    pos++;
  } else if (q == 0x7b) {
    pos++;
    max = min = number();
    if (peek() == 0x2c) {
      pos++;
      max = peek() == 0x7d ? -1 : number();
    }
    if (min < 0 || max < -1 || (max >= 0 && max < min) || peek() != 0x7d) return fail("invalid repeat (write \\{ for a literal brace)");
    pos++;
    if (min > MAX_REPEAT || max > MAX_REPEAT) return fail("repeat count above 1000");
  } else return;
  if (c == 0x5e || c == 0x24) return fail("nothing to repeat");
  if (peek() == 0x3f) pos++; // lazy
  const next = peek();
  if (next == 0x2a || next == 0x2b || next == 0x3f || next == 0x7b) return fail("a quantifier cannot follow another");
  repeat(start, min, max);
}

/**
 * Makes the piece from `start` repeat `min` to `max` times (max -1: unbounded). The piece
 * stays as the first copy, the others are copied from it: x{2,3} = x x (x)?, x* = a loop
 * `split +1, +|x|+2; x; jmp -(|x|+1)`, x{0,2} = (x(x)?)? with every split leaving to the end.
 */
function repeat(start: i32, min: i32, max: i32): void {
  const length = size - start;
  if (max == 0) {
    size = start;
    return;
  }
  let from = start;
  if (min == 0) {
    insertSplit(start, 0); // patched below
    from++;
  }
  for (let i = 1; i < min; i++) copy(from, length);
  if (max < 0) {
    if (min > 0) {
      emit(OP_SPLIT, 1, length + 2);
      copy(from, length);
    } else code[start * 3 + 2] = length + 2;
    emit(OP_JMP, -(length + 1), 0);
    return;
  }
  const first = min == 0 ? start : size;
  for (let i = min == 0 ? 1 : min; i < max; i++) {
    emit(OP_SPLIT, 1, 0);
    copy(from, length);
  }
  for (let at = first; at < size; at += length + 1) code[at * 3 + 2] = size - at;
}

/** Appends a copy of the `length` instructions at `from`. */
function copy(from: i32, length: i32): void {
  for (let i = from * 3; i < (from + length) * 3; i += 3) emit(code[i], code[i + 1], code[i + 2]);
}

/** Decimal digits, or -2 when there are none. */
function number(): i32 {
  let value: i32 = -2;
  for (let c = peek(); c >= 0x30 && c <= 0x39; c = peek()) {
    value = min((value < 0 ? 0 : value) * 10 + (c - 0x30), 100_000);
    pos++;
  }
  return value;
}

function atom(): void {
  const c = peek();
  pos++;
  if (c == 0x28) {
    // ( … ) or (?: … )
    if (peek() == 0x3f) {
      if (pos + 1 >= source.length || source.charCodeAt(pos + 1) != 0x3a) return fail("unsupported group syntax (only (?:…) is)");
      pos += 2;
    }
    alternation();
    if (peek() != 0x29) return fail("missing \")\"");
    pos++;
  } else if (c == 0x2e) emit(OP_ANY, 0, 0);
  else if (c == 0x5e) emit(OP_BOL, 0, 0);
  else if (c == 0x24) emit(OP_EOL, 0, 0);
  else if (c == 0x5b) charClass();
  else if (c == 0x5c) {
    const at = beginClass(false);
    const literal = escape(at);
    if (literal >= 0) {
      size = at; // a literal after all: drop the class
      emit(OP_CHAR, literal, 0);
    } else if (source.charCodeAt(pos - 1) < 0x61) {
      // \D \W \S alone: the complement, non-ASCII characters included
      code[at * 3 + 1] = 1;
      for (let i = 0; i < 4; i++) code[at * 3 + 3 + i] = ~code[at * 3 + 3 + i];
    }
  } else if (c == 0x2a || c == 0x2b || c == 0x3f || c == 0x7b) {
    pos--;
    fail("nothing to repeat");
  } else emit(OP_CHAR, c, 0);
}

/** Emits an empty class (its instruction and bitmap); returns where it starts. */
function beginClass(negated: bool): i32 {
  const at = size;
  emit(OP_CLASS, negated ? 1 : 0, 0);
  emit(OP_DATA, 0, 0);
  emit(OP_DATA, 0, 0);
  for (let i = at * 3 + 3; i < at * 3 + 9; i++) code[i] = 0; // the bitmap and a spare word
  return at;
}

function addRange(at: i32, lo: i32, hi: i32): void {
  for (let c = lo; c <= hi; c++) code[at * 3 + 3 + (c >> 5)] |= 1 << (c & 31);
}

// ASCII bitmaps of \d, \w and \s, 4 words each.
const PERL_CLASSES: StaticArray<u32> = [0, 0x03ff0000, 0, 0, 0, 0x03ff0000, 0x87fffffe, 0x07fffffe, 0x3e00, 1, 0, 0];

/**
 * After a `\`: a literal's code unit, or -1 after adding `\d \w \s` (or, upper-case, its
 * complement) to the class at `at`. Other letters and digits are refused, so `\b` or `\1`
 * never silently mean something else.
 */
function escape(at: i32): i32 {
  const c = peek();
  pos++;
  const lower = c | 0x20;
  if (lower == 0x64 || lower == 0x77 || lower == 0x73) {
    const set = lower == 0x64 ? 0 : lower == 0x77 ? 4 : 8;
    const complement: u32 = c == lower ? 0 : 0xffffffff;
    for (let i = 0; i < 4; i++) code[at * 3 + 3 + i] |= PERL_CLASSES[set + i] ^ complement;
    return -1;
  }
  if (c == 0x6e) return 0x0a;
  if (c == 0x74) return 0x09;
  if (c == 0x72) return 0x0d;
  if (c < 0 || (c >= 0x30 && c <= 0x39) || <u32>lower - 0x61 < 26) {
    pos--;
    fail(c < 0 ? "trailing \\" : "unsupported escape \\" + String.fromCharCode(c));
  }
  return c;
}

/** `[…]` after its `[`; a leading `]` and a `-` at either end are literal. */
function charClass(): void {
  const negated = peek() == 0x5e;
  if (negated) pos++;
  const at = beginClass(negated);
  const first = pos;
  for (let c = peek(); c != 0x5d || pos == first; c = peek()) {
    if (c < 0) return fail("missing \"]\"");
    pos++;
    let lo = c;
    if (c == 0x5c && (lo = escape(at)) < 0) continue;
    let hi = lo;
    if (peek() == 0x2d && pos + 1 < source.length && source.charCodeAt(pos + 1) != 0x5d) {
      pos++;
      hi = peek();
      pos++;
      if (hi == 0x5c && (hi = escape(at)) < 0) return fail("a class cannot end a range");
      if (hi < lo) return fail("range out of order");
    }
    if (hi >= 128) return fail("class members must be ASCII");
    addRange(at, lo, hi);
  }
  pos++;
}

// ---- matching -------------------------------------------------------------------------

let program = new StaticArray<i32>(0);
let current = new StaticArray<i32>(0);
let next = new StaticArray<i32>(0);
let marks = new StaticArray<u32>(0);
let generation: u32 = 0;
let textStart: i32 = 0;
let textEnd: i32 = 0;

/** Whether `compiled` matches all of `text[start, end)`. */
export function regexMatches(compiled: StaticArray<i32>, text: string, start: i32, end: i32): bool {
  program = compiled;
  textStart = start;
  textEnd = end;
  newGeneration();
  let count = add(current, 0, 0, start);
  for (let at = start; at < end && count > 0; at++) {
    const c = <u32>text.charCodeAt(at);
    newGeneration();
    let found = 0;
    for (let i = 0; i < count; i++) {
      const pc = unchecked(current[i]);
      const op = unchecked(compiled[pc * 3]);
      const arg = unchecked(compiled[pc * 3 + 1]);
      let hit = false;
      if (op == OP_CHAR) hit = <u32>arg == c;
      else if (op == OP_ANY) hit = c != 0x0a;
      else if (op == OP_CLASS) hit = (c < 128 && ((unchecked(compiled[pc * 3 + 3 + (c >> 5)]) >>> (c & 31)) & 1) != 0) != (arg != 0);
      if (hit) found = add(next, found, pc + (op == OP_CLASS ? 3 : 1), at + 1);
    }
    const swap = current;
    current = next;
    next = swap;
    count = found;
  }
  for (let i = 0; i < count; i++) if (unchecked(compiled[unchecked(current[i]) * 3]) == OP_MATCH) return true;
  return false;
}

/** A fresh set of marks for the next list. */
function newGeneration(): void {
  if (++generation == 0) {
    for (let i = 0; i < marks.length; i++) marks[i] = 0;
    generation = 1;
  }
}

/** Adds `pc` and what it reaches without consuming input to `list`; returns the new count. */
function add(list: StaticArray<i32>, count: i32, pc: i32, at: i32): i32 {
  if (unchecked(marks[pc]) == generation) return count;
  unchecked((marks[pc] = generation));
  const op = unchecked(program[pc * 3]);
  const arg = unchecked(program[pc * 3 + 1]);
  if (op == OP_JMP) return add(list, count, pc + arg, at);
  if (op == OP_SPLIT) return add(list, add(list, count, pc + arg, at), pc + unchecked(program[pc * 3 + 2]), at);
  if (op == OP_BOL || op == OP_EOL) return at == (op == OP_BOL ? textStart : textEnd) ? add(list, count, pc + 1, at) : count;
  unchecked((list[count] = pc));
  return count + 1;
}
