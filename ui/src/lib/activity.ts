/**
 * Tells the backend the user is active (typing, clicking), so its auto-lock counts real use
 * and not only saves: at most one `session_touch` per interval, never two at once.
 */
export function createActivityReporter(
  touch: () => Promise<unknown>,
  intervalMs = 15_000,
  now: () => number = Date.now,
): () => void {
  let last = Number.NEGATIVE_INFINITY;
  let inFlight = false;
  return () => {
    const at = now();
    if (inFlight || at - last < intervalMs) return;
    last = at;
    inFlight = true;
    touch()
      .catch(() => {
        // A `no_session` answer already returned the UI to the unlock screen.
      })
      .finally(() => {
        inFlight = false;
      });
  };
}

/** The events that count as activity. */
export const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'input', 'wheel'] as const;
