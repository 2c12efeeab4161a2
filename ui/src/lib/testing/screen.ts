/**
 * What the screen tests share, on top of `./render` (whose other helpers it passes on, so a
 * test imports from here alone): `render` remembers what it mounts, `unmountAll` takes it
 * away again (a test file calls `afterEach(unmountAll)`), and `typeInto` types as a user
 * does. Needs a DOM: start the test file with `// @vitest-environment happy-dom`.
 */
import type { Component } from 'svelte';

import type { AppContext } from '../context';
import type { FakeBackend } from './fakeBackend';
import { byTestId, render as mount, type Rendered } from './render';

export { allByTestId, byTestId, press, settle, signedIn, until } from './render';

/** Mounted by `render` and not destroyed yet. */
const mounted = new Set<Rendered>();

/** Mounts `component` with `props` in the app's context, until `unmountAll` (or `destroy`). */
export function render<P extends Record<string, unknown>>(
  component: Component<P>,
  props: P,
  context: { fake: FakeBackend; app: AppContext },
): Rendered {
  const rendered = mount(component, props, context);
  const tracked: Rendered = {
    ...rendered,
    destroy: () => {
      if (mounted.delete(tracked)) rendered.destroy();
    },
  };
  mounted.add(tracked);
  return tracked;
}

/** Destroys everything `render` mounted that is still there: `afterEach(unmountAll)`. */
export function unmountAll(): void {
  for (const rendered of [...mounted]) rendered.destroy();
}

/**
 * Chooses `value` in the select `testid` the way a user does. Svelte's binding reads the
 * chosen option as `:checked`, which happy-dom does not match on options: the select answers
 * that query with the chosen option.
 */
export function selectOption(root: ParentNode, testid: string, value: string): HTMLSelectElement {
  const select = byTestId<HTMLSelectElement>(root, testid);
  const chosen = [...select.options].find((option) => option.value === value);
  if (!chosen) throw new Error(`no option ${value} in [data-testid="${testid}"]`);
  select.value = value;
  const query = select.querySelector.bind(select);
  select.querySelector = ((selectors: string) =>
    selectors === ':checked' ? chosen : query(selectors)) as typeof select.querySelector;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  return select;
}

/** Types `text` into the input `testid` the way a user does (Svelte listens to `input`). */
export function typeInto(root: ParentNode, testid: string, text: string): HTMLInputElement {
  const field = byTestId<HTMLInputElement>(root, testid);
  field.value = text;
  field.dispatchEvent(new Event('input', { bubbles: true }));
  return field;
}
