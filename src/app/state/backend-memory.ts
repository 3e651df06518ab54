/**
 * The automatic backend choice, remembered per device and task in localStorage, so the page measures the backends
 * once and not on every load. The worker checks that a remembered measurement is for this device and this model
 * (its weights fingerprint) before it trusts it. A broken or foreign entry is ignored.
 */
import type { Measurement } from '../../browser/backend-figures';

const key = (task: string) => `raftlab:backend-measurement:${task}`;

export function rememberedMeasurement(task: string): Measurement | null {
  try {
    const raw = localStorage.getItem(key(task));
    if (!raw) return null;
    const m = JSON.parse(raw) as Measurement;
    return m && typeof m.deviceKey === 'string' && typeof m.model === 'string' && Array.isArray(m.figures) && typeof m.best === 'string' ? m : null;
  } catch {
    return null;
  }
}

export function rememberMeasurement(task: string, m: Measurement): void {
  try {
    localStorage.setItem(key(task), JSON.stringify(m));
  } catch {
    // storage full or disabled: the next load measures again
  }
}

export function forgetMeasurement(task: string): void {
  try {
    localStorage.removeItem(key(task));
  } catch {
    // nothing to forget
  }
}
