/** Entry of the RAFT Lab page: mounts App.svelte into #app. */
import { mount } from 'svelte';
import App from './App.svelte';
import { ensureCrossOriginIsolation } from './isolation';

ensureCrossOriginIsolation();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
target.textContent = '';
export default mount(App, { target });
