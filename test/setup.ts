// Every unit test runs on TF.js's WASM backend unless RAFTLAB_TEST_BACKEND=cpu.
import { initNodeBackend, type NodeBackend } from '../src/node/backend';

await initNodeBackend((process.env.RAFTLAB_TEST_BACKEND as NodeBackend) ?? 'wasm');
