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
    drafts.claim('ANA');
    expect(drafts.open('narrative-new:1', () => ({ body: '' })).body).toBe('Slept well.');
  });

  it('hides a user’s drafts from another who signs in, and gives them back to their author', () => {
    const drafts = new DraftStore();
    drafts.claim('ana');
    drafts.open('narrative-new:1', () => ({ body: '' })).body = 'Private notes';
    drafts.open('visit:1', () => ({ reason: '' }));

    drafts.claim('rui');
    expect(drafts.owner).toBe('rui');
    expect(drafts.keys()).toEqual([]);
    expect(drafts.has('narrative-new:1')).toBe(false);
    expect(drafts.isDirty('narrative-new:1')).toBe(false);
    expect(drafts.dirtyCount()).toBe(0);
    // Rui's form on the same record starts blank, and is his own.
    const his = drafts.open('narrative-new:1', () => ({ body: '' }));
    expect(his.body).toBe('');
    his.body = 'Walked to the market.';
    drafts.discard('visit:1');

    drafts.claim('ana');
    expect(drafts.keys()).toEqual(['narrative-new:1', 'visit:1']);
    expect(drafts.open('narrative-new:1', () => ({ body: '' })).body).toBe('Private notes');
    drafts.claim('rui');
    expect(drafts.open('narrative-new:1', () => ({ body: '' })).body).toBe('Walked to the market.');
  });

  it('says whose drafts with changes are kept, the last user first', () => {
    const drafts = new DraftStore();
    drafts.claim('rui');
    drafts.open('visit:1', () => ({ reason: '' })).reason = 'chest pain';
    drafts.claim('eva');
    drafts.open('profile:2', () => ({ phone: '' }));
    drafts.claim('ana');
    drafts.open('visit:1', () => ({ reason: '' })).reason = 'follow-up';
    drafts.open('narrative-new:1', () => ({ body: '' })).body = 'Slept well.';
    // Eva's form holds no change: there is nothing of hers to keep.
    expect(drafts.kept()).toEqual([
      { user: 'ana', count: 2 },
      { user: 'rui', count: 1 },
    ]);
  });

  it('forgets only the owner’s drafts when they sign out, and everyone’s after a restore', () => {
    const drafts = new DraftStore();
    drafts.claim('rui');
    drafts.open('visit:1', () => ({ reason: '' })).reason = 'chest pain';
    drafts.claim('ana');
    drafts.open('visit:1', () => ({ reason: '' })).reason = 'follow-up';

    drafts.discardOwn();
    expect(drafts.keys()).toEqual([]);
    expect(drafts.kept()).toEqual([{ user: 'rui', count: 1 }]);
    drafts.claim('rui');
    expect(drafts.open('visit:1', () => ({ reason: '' })).reason).toBe('chest pain');

    drafts.discardAll();
    expect(drafts.keys()).toEqual([]);
    expect(drafts.kept()).toEqual([]);
  });

  it('forgets the drafts of every user on an erased patient', () => {
    const drafts = new DraftStore();
    drafts.claim('rui');
    drafts.open('visit:p1', () => ({ reason: '' })).reason = 'chest pain';
    drafts.open('visit:p2', () => ({ reason: '' })).reason = 'cough';
    drafts.claim('ana');
    drafts.open('profile:p1', () => ({ phone: '' })).phone = '06';

    drafts.discardWhere((key) => key.endsWith(':p1'));
    expect(drafts.keys()).toEqual([]);
    drafts.claim('rui');
    expect(drafts.keys()).toEqual(['visit:p2']);
  });
});
