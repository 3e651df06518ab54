/**
 * Early stopping with patience and a minimum change (as Keras' EarlyStopping): a cycle improves when its eval reward
 * beats the best so far by more than `minDelta` (the best then moves to it); the run stops once `patience` cycles in
 * a row have not improved. Derived from the eval rewards alone, so a resumed run (whose history is restored) stops
 * where an uninterrupted one does. Shared by the language and the image engines.
 */

/** Whether the run should stop after the last of `evalRewards` (index 0 = cycle 0, the base model). */
export function earlyStopDue(evalRewards: readonly number[], patience: number, minDelta: number): boolean {
  if (evalRewards.length < 2) return false;
  let best = evalRewards[0]!;
  let since = 0;
  for (let i = 1; i < evalRewards.length; i++) {
    const r = evalRewards[i]!;
    if (r > best + minDelta) {
      best = r;
      since = 0;
    } else {
      since++;
    }
  }
  return since >= patience;
}
