import { mount } from 'svelte';

// The global styles first, so each component's own styles come after them.
import './app.css';
import App from './App.svelte';
import { createTauriBackend } from './lib/backend';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

export default mount(App, { target, props: { backend: createTauriBackend() } });
