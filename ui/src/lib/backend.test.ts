import { describe, expect, it, vi } from 'vitest';

import { guardSession, isApiError, toApiError } from './backend';
import { createFakeBackend } from './testing/fakeBackend';

describe('backend errors', () => {
  it('recognises ApiError values and normalises anything else', () => {
    expect(isApiError({ code: 'conflict', message: 'changed' })).toBe(true);
    expect(isApiError({ code: 'teapot', message: 'x' })).toBe(false);
    expect(toApiError('boom')).toEqual({ code: 'internal', message: 'boom' });
    expect(toApiError(new Error('bad'))).toEqual({ code: 'internal', message: 'bad' });
    expect(toApiError({ code: 'denied', message: 'no' })).toEqual({
      code: 'denied',
      message: 'no',
    });
  });

  it('guardSession reports no_session once per failing call and rethrows', async () => {
    const fake = createFakeBackend();
    const onNoSession = vi.fn();
    const backend = guardSession(fake, onNoSession);
    await expect(backend.sessionTouch()).rejects.toMatchObject({ code: 'no_session' });
    expect(onNoSession).toHaveBeenCalledOnce();
    await expect(backend.sessionUnlock({ username: 'ana', password: 'x' })).rejects.toMatchObject({
      code: 'bad_credentials',
    });
    expect(onNoSession).toHaveBeenCalledOnce();
  });
});
