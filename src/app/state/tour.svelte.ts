/**
 * The guided first run: "Run the demo" opens a short tour (five steps) that says what each panel shows as the
 * cycles come in. Dismissing it (or reaching its end) is remembered in localStorage, so it opens once per browser;
 * the steps name panels by their heading ids.
 */
const KEY = 'raftlab:tour-done';

export interface TourStep {
  /** The id of the panel heading the step is about. */
  target: string;
  title: string;
  text: string;
}

export const TOUR_STEPS: readonly TourStep[] = [
  { target: 'loop-title', title: 'The loop', text: 'Each cycle the model writes K samples per prompt, a reward scores them, selection keeps the best, and the model trains on what was kept. The lit box is what the worker is doing now.' },
  { target: 'loop-title', title: 'What selection kept', text: 'After a cycle, the bars rank one prompt\'s samples by reward; the blue ones (with a tick) were kept for training. The rest are thrown away.' },
  { target: 'charts-title', title: 'The charts', text: 'The eval reward on held-out prompts should climb cycle by cycle. Perplexity on held-out reviews is what the training costs in fluency: the alignment tax.' },
  { target: 'samples-title', title: 'The samples', text: 'Every prompt of the cycle with its K completions and their rewards; the kept ones are marked. Held-out completions of the base model sit next to the newest.' },
  { target: 'tokens-title', title: 'What training changed', text: 'A held-out sample, token by token: blue tokens became more likely, orange ones less. Focus a token to see the numbers.' },
];

function done(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return true; // no storage: do not open a tour that cannot be dismissed for good
  }
}

export class Tour {
  /** The step shown, or null when the tour is closed. */
  step = $state<number | null>(null);

  /** Open at the first step unless it was dismissed before (`force`: open anyway, from the "Tour" button). */
  open(force = false): void {
    if (force || !done()) this.step = 0;
  }

  next(): void {
    if (this.step === null) return;
    if (this.step + 1 >= TOUR_STEPS.length) this.close();
    else this.step += 1;
  }

  back(): void {
    if (this.step !== null && this.step > 0) this.step -= 1;
  }

  close(): void {
    this.step = null;
    try {
      localStorage.setItem(KEY, '1');
    } catch {
      // storage off: it opens again next time
    }
  }
}
