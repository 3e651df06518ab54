/**
 * Cross-origin isolation on static hosts that cannot send COOP/COEP headers (`vite dev` and `vite preview` send
 * them): register coi-serviceworker's service worker (dist/coi-serviceworker.js, vite.config.ts), which adds the
 * headers to every response of this origin, and reload once so that the page is served through it. Isolation gives
 * SharedArrayBuffer, and with it TF.js WASM threads. Never loops: one reload per tab session, and a browser without
 * service workers (or one that blocks them) simply stays unisolated. `isolationSettled()` says whether this page is
 * about to be reloaded: the page starts its trainer worker only when it is not (the worker would be lost, and a
 * click on Run in between with it), so the reload costs well under a second on a first visit.
 */
const RELOADED = 'raftlab:isolation-reload';

/** How long the page waits for the service worker before it starts anyway (it then stays unisolated until a reload). */
const WAIT_MS = 4000;

let settled: Promise<boolean> = Promise.resolve(false);

/** Resolves true when the page is being reloaded for isolation, false when it stays as it is. */
export function isolationSettled(): Promise<boolean> {
  return settled;
}

export function ensureCrossOriginIsolation(): void {
  if (self.crossOriginIsolated || !self.isSecureContext) return;
  const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined;
  if (!sw?.register) return;
  let settle: (reloading: boolean) => void = () => undefined;
  settled = new Promise<boolean>((resolve) => {
    settle = resolve;
    setTimeout(() => resolve(false), WAIT_MS);
  });
  const reloadOnce = () => {
    try {
      if (sessionStorage.getItem(RELOADED)) return settle(false);
      sessionStorage.setItem(RELOADED, '1');
    } catch {
      return settle(false); // no session storage: no way to avoid a loop, so no reload
    }
    settle(true);
    location.reload();
  };
  // a page the service worker already controls yet is not isolated (the worker failed to add the headers) stays
  if (sw.controller) settle(false);
  sw.register(new URL('coi-serviceworker.js', document.baseURI).href).then(
    (registration) => {
      if (!registration) return settle(false);
      // the worker is installed now, or already active but not controlling this page (the first visit)
      if (registration.active && !sw.controller) reloadOnce();
      else registration.addEventListener('updatefound', () => registration.installing?.addEventListener('statechange', (e) => {
        if ((e.target as ServiceWorker).state === 'activated') reloadOnce();
      }));
    },
    () => settle(false),
  );
}
