import { describe, expect, it } from 'vitest';
import { betterBackend, type BackendFigure, type Measurement } from '../../src/browser/backend-figures';

const m = (figures: BackendFigure[], best: Measurement['best']): Measurement => ({ deviceKey: 'd', model: 'sentiment:x', figures, best, measuredAt: 0 });

describe('the faster backend offered for the next run', () => {
  it('offers the measured best with its speed-up over the backend in use', () => {
    const o = betterBackend(m([{ backend: 'wasm', msPerStep: 900 }, { backend: 'webgl', msPerStep: 300 }], 'webgl'), 'wasm');
    expect(o).toEqual({ backend: 'webgl', factor: 3 });
  });

  it('offers nothing when the backend in use is the best or nearly as fast (within 25%)', () => {
    expect(betterBackend(m([{ backend: 'wasm', msPerStep: 300 }, { backend: 'webgl', msPerStep: 900 }], 'wasm'), 'wasm')).toBeNull();
    expect(betterBackend(m([{ backend: 'wasm', msPerStep: 360 }, { backend: 'webgl', msPerStep: 300 }], 'webgl'), 'wasm')).toBeNull();
  });

  it('offers the best without a factor when the backend in use was not timed (a software adapter left out)', () => {
    expect(betterBackend(m([{ backend: 'wasm', msPerStep: 240 }], 'wasm'), 'webgpu')).toEqual({ backend: 'wasm', factor: null });
  });

  it('offers nothing when the best failed to time', () => {
    expect(betterBackend(m([{ backend: 'webgl', msPerStep: null, error: 'x' }], 'webgl'), 'wasm')).toBeNull();
  });
});
