import { describe, expect, it, vi } from 'vitest';

import { createActivityReporter } from './activity';

describe('activity reporter', () => {
  it('touches at most once per interval', async () => {
    let clock = 0;
    const touch = vi.fn(() => Promise.resolve(null));
    const report = createActivityReporter(touch, 15_000, () => clock);
    report();
    await Promise.resolve();
    report();
    clock = 14_999;
    report();
    expect(touch).toHaveBeenCalledTimes(1);
    clock = 15_000;
    await new Promise((r) => setTimeout(r, 0));
    report();
    expect(touch).toHaveBeenCalledTimes(2);
  });

  it('swallows failures and keeps reporting', async () => {
    let clock = 0;
    const touch = vi.fn(() => Promise.reject({ code: 'no_session', message: 'locked' }));
    const report = createActivityReporter(touch, 10, () => clock);
    report();
    await new Promise((r) => setTimeout(r, 0));
    clock = 20;
    report();
    expect(touch).toHaveBeenCalledTimes(2);
  });
});
