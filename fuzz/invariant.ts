/**
 * The error a fuzz target throws when the code under test breaks one of its
 * invariants (any other exception out of a target is a finding too).
 *
 * @example
 * ```ts
 * if (frame.length > limit) throw new InvariantError(`frame of ${frame.length} bytes`);
 * ```
 */
export class InvariantError extends Error {
  /** @param message which invariant broke, with the values. */
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}
