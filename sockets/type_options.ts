/**
 * Sets the options a socket type handles itself (those it names to the base
 * constructor as its extra options) through the socket's own setters, so a
 * constructor option is validated exactly as the property is.
 *
 * @example
 * ```ts
 * const NAMES = ["mandatory", "handover"] as const;
 * super("ROUTER", options, NAMES);
 * applyTypeOptions(this, options, NAMES);
 * ```
 */
export function applyTypeOptions<T extends object>(
  socket: T,
  options: object | undefined,
  names: readonly (keyof T & string)[],
): void {
  if (options === undefined) return;
  for (const name of names) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined) (socket as Record<string, unknown>)[name] = value;
  }
}
