import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AutolockWatch, type AutolockOptions, type AutolockWarningState } from './autolockWarning';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-01T09:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

function watch(options: Partial<AutolockOptions> = {}) {
  const states: AutolockWarningState[] = [];
  const touch = vi.fn(() => Promise.resolve(null));
  const stillOpen = vi.fn(() => Promise.resolve(true));
  const onLocked = vi.fn();
  let minutes: number | null = 2;
  const w = new AutolockWatch({
    touch,
    stillOpen,
    onLocked,
    minutes: () => minutes,
    onChange: (state) => states.push(state),
    ...options,
  });
  w.start();
  return {
    w,
    states,
    touch,
    stillOpen,
    onLocked,
    setMinutes: (m: number | null) => (minutes = m),
  };
}

describe('the auto-lock warning', () => {
  it('shows nothing until the last 30 seconds, then counts down every second', () => {
    const { w } = watch();
    vi.advanceTimersByTime(89_000);
    expect(w.state).toBeNull();
    vi.advanceTimersByTime(1_000);
    expect(w.state).toEqual({ secondsLeft: 30, announced: 30 });
    vi.advanceTimersByTime(5_000);
    expect(w.state?.secondsLeft).toBe(25);
  });

  it('tells screen readers only at the start and at 10 seconds', () => {
    const { w, states } = watch();
    vi.advanceTimersByTime(120_000);
    const shown = states.filter((s) => s !== null);
    expect(shown.map((s) => s.secondsLeft).slice(0, 31)).toEqual(
      Array.from({ length: 31 }, (_, i) => 30 - i),
    );
    expect([...new Set(shown.map((s) => s.announced))]).toEqual([30, 10]);
    expect(w.state?.secondsLeft).toBe(0);
  });

  it('is dismissed by a key press, which touches the backend at once', () => {
    const { w, touch } = watch();
    vi.advanceTimersByTime(100_000);
    expect(w.state?.secondsLeft).toBe(20);
    expect(touch).not.toHaveBeenCalled();
    w.activity();
    expect(w.state).toBeNull();
    expect(touch).toHaveBeenCalledTimes(1);
    // The clock starts again from the touch: no warning for another 90 seconds.
    vi.advanceTimersByTime(89_000);
    expect(w.state).toBeNull();
    vi.advanceTimersByTime(1_000);
    expect(w.state?.secondsLeft).toBe(30);
  });

  it('counts a mouse move only while the warning shows', () => {
    const { w, touch } = watch();
    vi.advanceTimersByTime(60_000);
    w.movement();
    expect(touch).not.toHaveBeenCalled();
    vi.advanceTimersByTime(35_000);
    expect(w.state?.secondsLeft).toBe(25);
    w.movement();
    w.movement();
    expect(w.state).toBeNull();
    expect(touch).toHaveBeenCalledTimes(1);
  });

  it('is not throttled while it shows, but touches at most every 15 s otherwise', () => {
    const { w, touch } = watch({ minutes: () => 1 });
    w.activity();
    expect(touch).not.toHaveBeenCalled(); // signing in just reset the backend's timer
    vi.advanceTimersByTime(15_000);
    w.activity();
    w.activity();
    expect(touch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30_000);
    expect(w.state?.secondsLeft).toBe(30);
    // Less than 15 s after the warning's own touch, a key press still touches at once.
    w.activity();
    expect(touch).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(30_000);
    expect(w.state?.secondsLeft).toBe(30);
    w.activity();
    expect(touch).toHaveBeenCalledTimes(3);
  });

  it('counts from the last touch the UI reported', () => {
    const { w, touch } = watch();
    vi.advanceTimersByTime(50_000);
    w.activity();
    expect(touch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_000);
    w.activity(); // throttled: the backend does not hear of it, the deadline stays
    vi.advanceTimersByTime(85_000);
    expect(w.state?.secondsLeft).toBe(30);
  });

  it('follows a change of the auto-lock minutes, and shows nothing without them', () => {
    const { w, setMinutes } = watch();
    vi.advanceTimersByTime(60_000);
    setMinutes(10);
    vi.advanceTimersByTime(60_000);
    expect(w.state).toBeNull();
    setMinutes(null);
    vi.advanceTimersByTime(600_000);
    expect(w.state).toBeNull();
  });

  it('lets the usual flow lock when the backend locked and its event was missed', async () => {
    const stillOpen = vi.fn(() => Promise.resolve(false));
    const { w, onLocked } = watch({ stillOpen });
    vi.advanceTimersByTime(121_000);
    expect(stillOpen).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stillOpen).toHaveBeenCalledTimes(1);
    expect(onLocked).toHaveBeenCalledTimes(1);
    expect(w.state).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stillOpen).toHaveBeenCalledTimes(1);
  });

  it('does not stay up for ever when the backend kept the session open', async () => {
    const { w, stillOpen, onLocked, touch } = watch();
    await vi.advanceTimersByTimeAsync(122_000);
    expect(stillOpen).toHaveBeenCalledTimes(1);
    // Activity the throttle left unreported is at most 15 s late: wait that long once more.
    expect(w.state?.secondsLeft).toBe(13);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(stillOpen).toHaveBeenCalledTimes(2);
    expect(w.state).toBeNull();
    expect(onLocked).not.toHaveBeenCalled();
    expect(touch).not.toHaveBeenCalled(); // the UI never keeps the session alive by itself
  });

  it('stops counting when stopped', () => {
    const { w, states } = watch();
    vi.advanceTimersByTime(100_000);
    w.stop();
    expect(w.state).toBeNull();
    const seen = states.length;
    vi.advanceTimersByTime(60_000);
    expect(states.length).toBe(seen);
  });
});
