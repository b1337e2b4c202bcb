/**
 * The clock of handlers whose event carries no scheduled time to run by (copy-snapshot): the system clock in
 * Lambda. The local sandbox sets a simulated one, so a week of events plays in seconds with coherent times.
 */
let source: () => Date = () => new Date();

/** The current time, from the clock in use. */
export function now(): Date {
  return source();
}

/** Replaces the clock until the returned function is called; only the sandbox and tests do this. */
export function useClock(clock: () => Date): () => void {
  const previous = source;
  source = clock;
  return () => {
    source = previous;
  };
}
