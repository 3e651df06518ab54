// Registers bin/raw-hooks.mjs: `?raw` imports of text files work under Node as under Vite.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
