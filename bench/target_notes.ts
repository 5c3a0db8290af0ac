/**
 * Why a target is not met, by target id (see `bench/targets.ts`), kept by hand beside the
 * analysis in `bench/NOTES.md`; a target without an entry points there.
 *
 * @module
 */

/** The explanation of an unmet target without its own entry. */
export const DEFAULT_NOTE = "see bench/NOTES.md";

/**
 * Hand-written explanations of unmet targets, by target id.
 *
 * @example
 * ```ts
 * const why = TARGET_NOTES["push-pull-8-native-node"] ?? DEFAULT_NOTE;
 * ```
 */
export const TARGET_NOTES: Readonly<Record<string, string>> = {};
