/**
 * The warning before the auto-lock. The backend locks the vault after its auto-lock minutes
 * without activity; the UI counts from the last `session_touch` it sent (and from sign-in),
 * so it knows when that will be, and says so during the last 30 seconds. A key press, a
 * click or a mouse move then touches the backend at once (not throttled) and the warning
 * goes. The backend stays the judge: when it locks first, the usual session-locked flow
 * applies; when the countdown ends and the session is still open (a save or a backup the
 * UI did not count kept it alive), the warning waits one more touch interval (activity
 * that the throttle left unreported is at most that late), then starts counting afresh.
 */

/** What the warning shows: null when hidden. */
export type AutolockWarningState = {
  /** Seconds left before the lock, counted down every second. */
  secondsLeft: number;
  /** The figure for screen readers: changes only at the start (30 s) and at 10 s. */
  announced: number;
} | null;

export type AutolockOptions = {
  /** Tells the backend the user is active (`session_touch`). */
  touch: () => Promise<unknown>;
  /** The vault's auto-lock minutes now (the settings can change them); null: no warning. */
  minutes: () => number | null;
  /** Whether the session is still open, without counting as activity (`app_status`). */
  stillOpen: () => Promise<boolean>;
  /** The backend locked and its event was missed: show the unlock screen. */
  onLocked: () => void;
  /** The warning appeared, changed or went away. */
  onChange: (state: AutolockWarningState) => void;
  /** At most one throttled touch per this many milliseconds (15 s). */
  intervalMs?: number;
  /** How long before the lock the warning shows (30 s). */
  warnMs?: number;
  /** How long after the expected lock to ask the backend whether it happened (2 s). */
  graceMs?: number;
  now?: () => number;
};

/** When screen readers hear the countdown: as the warning appears, and at 10 seconds. */
export const ANNOUNCE_AGAIN_AT = 10;

/** Keeps the backend's auto-lock timer informed, and warns before it runs out. */
export class AutolockWatch {
  #o: Required<AutolockOptions>;
  /** When the backend last heard of activity, as far as the UI knows. */
  #lastTouch: number;
  #inFlight = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #state: AutolockWarningState = null;
  /** The lock was expected and the backend still had the session open: times it happened. */
  #overdue = 0;
  #probing = false;

  constructor(options: AutolockOptions) {
    this.#o = {
      intervalMs: 15_000,
      warnMs: 30_000,
      graceMs: 2_000,
      now: Date.now,
      ...options,
    };
    this.#lastTouch = this.#o.now();
  }

  get state(): AutolockWarningState {
    return this.#state;
  }

  /** Starts the clock: the session was just opened (or the UI just came back to it). */
  start(): void {
    this.stop();
    this.#lastTouch = this.#o.now();
    this.#timer = setInterval(() => this.tick(), 1_000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#set(null);
  }

  /**
   * A key press, a click, typing or scrolling. While the warning shows it is dismissed and
   * the backend touched at once; otherwise at most one touch per interval.
   */
  activity(): void {
    if (this.#state) {
      this.#touch();
      return;
    }
    if (this.#inFlight || this.#o.now() - this.#lastTouch < this.#o.intervalMs) return;
    this.#touch();
  }

  /** A mouse move: counts only while the warning shows (it asks for exactly that). */
  movement(): void {
    if (this.#state) this.#touch();
  }

  /** Recomputes the countdown (every second; a late tick catches up by the clock). */
  tick(): void {
    const minutes = this.#o.minutes();
    if (minutes === null || !(minutes > 0)) {
      this.#set(null);
      return;
    }
    const now = this.#o.now();
    const deadline = this.#lastTouch + minutes * 60_000;
    const left = deadline - now;
    if (left > this.#o.warnMs) {
      this.#set(null);
      return;
    }
    if (left <= -this.#o.graceMs) {
      this.#set({ secondsLeft: 0, announced: this.#state?.announced ?? 0 });
      void this.#probe();
      return;
    }
    const secondsLeft = Math.max(0, Math.ceil(left / 1000));
    const previous = this.#state?.announced;
    const announced =
      previous === undefined || (previous > ANNOUNCE_AGAIN_AT && secondsLeft <= ANNOUNCE_AGAIN_AT)
        ? secondsLeft
        : previous;
    this.#set({ secondsLeft, announced });
  }

  /** The expected lock passed: ask the backend (without touching it) what happened. */
  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    const asked = this.#lastTouch;
    let open: boolean;
    try {
      open = await this.#o.stillOpen();
    } catch {
      open = true; // Unknown: the backend's own event or the next command will tell.
    } finally {
      this.#probing = false;
    }
    // Stopped meanwhile, or the user came back: the answer no longer matters.
    if (this.#timer === undefined || this.#lastTouch !== asked) return;
    if (!open) {
      this.stop();
      this.#o.onLocked();
      return;
    }
    // Still open: the backend counted activity the UI did not (a save moments after a
    // reported touch, a backup, an image loading). Wait once more by the touch interval,
    // then count from now: keeping the warning up for ever would be noise.
    this.#overdue += 1;
    if (this.#overdue === 1) {
      this.#lastTouch += this.#o.intervalMs;
    } else {
      this.#lastTouch = this.#o.now();
      this.#overdue = 0;
    }
    this.tick();
  }

  #touch(): void {
    this.#lastTouch = this.#o.now();
    this.#overdue = 0;
    this.#set(null);
    this.#inFlight = true;
    this.#o
      .touch()
      .catch(() => {
        // A `no_session` answer already returned the UI to the unlock screen.
      })
      .finally(() => {
        this.#inFlight = false;
      });
  }

  #set(state: AutolockWarningState): void {
    const before = this.#state;
    if (
      before === state ||
      (before &&
        state &&
        before.secondsLeft === state.secondsLeft &&
        before.announced === state.announced)
    )
      return;
    this.#state = state;
    this.#o.onChange(state);
  }
}

/** The events that count as activity only while the warning shows. */
export const MOVEMENT_EVENTS = ['pointermove', 'mousemove'] as const;
