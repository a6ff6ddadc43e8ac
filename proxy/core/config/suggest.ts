/**
 * "Did you mean" for misspelt field names and enum values: the closest candidate within two
 * edits (ignoring case), or one that the input (three characters or more) begins.
 */

/** Levenshtein distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate `input` most likely meant, or undefined when none is close. Ties go to the
 * earlier candidate.
 *
 * @example
 * ```ts
 * suggest("fail-close", ["fail-closed", "fail-open", "reload"]); // "fail-closed"
 * suggest("lbpolicy", ["name", "lbPolicy"]); // "lbPolicy"
 * suggest("xyz", ["name", "lbPolicy"]); // undefined
 * ```
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const folded = candidate.toLowerCase();
    const distance = editDistance(lower, folded);
    const isPrefix = folded.startsWith(lower);
    const close = distance <= 2 && distance < Math.min(lower.length, folded.length);
    if (!close && !(isPrefix && lower.length >= 3) && distance !== 0) continue;
    // Fewer edits first; a completion of what was typed wins ("insp" -> "inspect", not "init";
    // "Mi" -> "MiB", not "MB").
    const score = distance * 2 - (isPrefix ? (lower.length >= 3 ? 5 : 1) : 0);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or "" when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const hit = suggest(input, candidates);
  return hit === undefined ? "" : ` (did you mean "${hit}"?)`;
}
