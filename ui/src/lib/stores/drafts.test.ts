import { describe, expect, it } from 'vitest';

import { DraftStore } from './drafts.svelte';

describe('DraftStore', () => {
  it('returns the same reactive draft for the same key until it is discarded', () => {
    const drafts = new DraftStore();
    drafts.claim('ana');
    const a = drafts.open('visit:1', () => ({ reason: '' }));
    a.reason = 'follow-up';
    expect(drafts.open('visit:1', () => ({ reason: 'other' })).reason).toBe('follow-up');
    expect(drafts.isDirty('visit:1')).toBe(true);
    drafts.discard('visit:1');
    expect(drafts.has('visit:1')).toBe(false);
    expect(drafts.open('visit:1', () => ({ reason: '' })).reason).toBe('');
  });

  it('counts only drafts that changed', () => {
    const drafts = new DraftStore();
    drafts.claim('ana');
    drafts.open('a', () => ({ text: '' }));
    const b = drafts.open('b', () => ({ items: ['x'] }));
    expect(drafts.dirtyCount()).toBe(0);
    b.items.push('y');
    expect(drafts.dirtyCount()).toBe(1);
  });

  it('keeps drafts when the same user signs in again (any case)', () => {
    const drafts = new DraftStore();
    drafts.claim('ana');
    drafts.open('narrative-new:1', () => ({ body: '' })).body = 'Slept well.';
    expect(drafts.claim('ANA')).toBe('kept');
    expect(drafts.open('narrative-new:1', () => ({ body: '' })).body).toBe('Slept well.');
    expect(drafts.discarded).toBe(0);
  });

  it('discards drafts, and says how many, when another user signs in', () => {
    const drafts = new DraftStore();
    drafts.claim('ana');
    drafts.open('narrative-new:1', () => ({ body: '' })).body = 'Private notes';
    drafts.open('visit:1', () => ({ reason: '' }));
    expect(drafts.claim('rui')).toBe('discarded');
    expect(drafts.discarded).toBe(1);
    expect(drafts.keys()).toEqual([]);
    expect(drafts.open('narrative-new:1', () => ({ body: '' })).body).toBe('');
    expect(drafts.owner).toBe('rui');
    drafts.dismissNotice();
    expect(drafts.discarded).toBe(0);
  });
});
