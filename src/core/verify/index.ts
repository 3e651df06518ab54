/** Verified rewards, framework-free: types, the graduated scale, output comparison, the worker pool, verifiers. */
export * from './types';
export * from './compare';
export * from './scale';
export * from './pool';
export * from './verifiers';
export { PYTHON_HARNESS } from './python-harness';
