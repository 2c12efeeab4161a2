/** What every screen reaches: the backend and the stores, passed down through Svelte context. */
import { getContext, setContext } from 'svelte';

import type { Backend } from './backend';
import type { DraftStore } from './stores/drafts.svelte';
import type { NavStore } from './stores/nav.svelte';
import type { SessionStore } from './stores/session.svelte';

export type AppContext = {
  backend: Backend;
  session: SessionStore;
  drafts: DraftStore;
  nav: NavStore;
};

const KEY = Symbol('tessera-app');

export function setApp(context: AppContext): void {
  setContext(KEY, context);
}

export function getApp(): AppContext {
  return getContext<AppContext>(KEY);
}
