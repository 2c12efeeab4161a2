/**
 * Mounts a component with the app's context (stand-in backend, real stores) for component
 * tests, signed in as `user`. Needs a DOM: start the test file with
 * `// @vitest-environment happy-dom`.
 */
import { flushSync, mount, tick, unmount, type Component } from 'svelte';

import { guardSession } from '../backend';
import type { AppContext } from '../context';
import { DraftStore } from '../stores/drafts.svelte';
import { language } from '../stores/language.svelte';
import { NavStore } from '../stores/nav.svelte';
import { SessionStore } from '../stores/session.svelte';
import { createFakeBackend, type FakeBackend, type FakeUser } from './fakeBackend';
import Host from './Host.svelte';

export const USERS: FakeUser[] = [
  { username: 'ana', password: 'correct horse battery', role: 'admin' },
  { username: 'rui', password: 'another long secret', role: 'clinician' },
  { username: 'eva', password: 'front desk secret', role: 'front_desk' },
];

export type Rendered = {
  fake: FakeBackend;
  app: AppContext;
  target: HTMLElement;
  destroy: () => void;
};

/** A signed-in app context over a fresh stand-in backend. */
export async function signedIn(user = 'ana'): Promise<{ fake: FakeBackend; app: AppContext }> {
  const fake = createFakeBackend({ users: structuredClone(USERS) });
  const drafts = new DraftStore();
  const nav = new NavStore();
  const holder: { session?: SessionStore } = {};
  const backend = guardSession(
    fake,
    () => holder.session?.locked('inactivity'),
    () => holder.session?.passwordChangeRequired(),
  );
  const session = new SessionStore(backend, drafts, language);
  holder.session = session;
  await session.load();
  const account = USERS.find((u) => u.username === user);
  if (!account) throw new Error(`no test user ${user}`);
  await session.unlock(account.username, account.password);
  return { fake, app: { backend, session, drafts, nav } };
}

/** Mounts `component` with `props` in `app`'s context. */
export function render<P extends Record<string, unknown>>(
  component: Component<P>,
  props: P,
  context: { fake: FakeBackend; app: AppContext },
): Rendered {
  const target = document.createElement('div');
  document.body.appendChild(target);
  const instance = mount(Host, {
    target,
    props: {
      app: context.app,
      component: component as unknown as Component<Record<string, unknown>>,
      props,
    },
  });
  flushSync();
  return {
    ...context,
    target,
    destroy: () => {
      void unmount(instance);
      target.remove();
    },
  };
}

/** Lets pending promises and Svelte updates settle. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await tick();
  }
  flushSync();
}

/** Waits until `check` passes (it throws until then), up to about a second. */
export async function until(check: () => void, tries = 100): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      check();
      return;
    } catch (error) {
      if (i >= tries) throw error;
      await settle(1);
    }
  }
}

/** The element with `data-testid`, or an error naming it. */
export function byTestId<T extends HTMLElement = HTMLElement>(root: ParentNode, testid: string): T {
  const found = root.querySelector<T>(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`no [data-testid="${testid}"]`);
  return found;
}

export function allByTestId<T extends HTMLElement = HTMLElement>(
  root: ParentNode,
  testid: string,
): T[] {
  return [...root.querySelectorAll<T>(`[data-testid="${testid}"]`)];
}

/** Presses `key` on `element` (keydown, bubbling like a real key press). */
export function press(element: Element, key: string, init: KeyboardEventInit = {}): void {
  element.dispatchEvent(
    new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }),
  );
  flushSync();
}
