import { mount } from 'svelte';

import App from './App.svelte';
import './app.css';
import { createTauriBackend } from './lib/backend';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

export default mount(App, { target, props: { backend: createTauriBackend() } });
