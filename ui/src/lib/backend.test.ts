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

  it('guardSession reports a password to be changed first, and rethrows', async () => {
    const fake = createFakeBackend({
      users: [
        { username: 'lea', password: 'first password', role: 'admin', must_change_password: true },
      ],
    });
    const onNoSession = vi.fn();
    const onPasswordChangeRequired = vi.fn();
    const backend = guardSession(fake, onNoSession, onPasswordChangeRequired);
    const info = await backend.sessionUnlock({ username: 'lea', password: 'first password' });
    expect(info.must_change_password).toBe(true);
    await expect(backend.staffList()).rejects.toMatchObject({ code: 'password_change_required' });
    expect(isApiError({ code: 'password_change_required', message: 'x' })).toBe(true);
    expect(onPasswordChangeRequired).toHaveBeenCalledOnce();
    // Touching the session and choosing one's own password are still allowed.
    await expect(backend.sessionTouch()).resolves.toBeNull();
    await backend.sessionChangePassword({ current: 'first password', new_password: 'her own one' });
    await expect(backend.staffList()).resolves.toHaveLength(1);
    expect(onPasswordChangeRequired).toHaveBeenCalledOnce();
    expect(onNoSession).not.toHaveBeenCalled();
  });
});
