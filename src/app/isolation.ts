/**
 * Cross-origin isolation on static hosts that cannot send COOP/COEP headers (`vite dev` and `vite preview` send
 * them): register coi-serviceworker's service worker (dist/coi-serviceworker.js, vite.config.ts), which adds the
 * headers to every response of this origin, and reload once so that the page is served through it. Isolation gives
 * SharedArrayBuffer, and with it TF.js WASM threads. Never loops: one reload per tab session, and a browser without
 * service workers (or one that blocks them) simply stays unisolated.
 */
const RELOADED = 'raftlab:isolation-reload';

export function ensureCrossOriginIsolation(): void {
  if (self.crossOriginIsolated || !self.isSecureContext) return;
  const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined;
  if (!sw?.register) return;
  const reloadOnce = () => {
    try {
      if (sessionStorage.getItem(RELOADED)) return;
      sessionStorage.setItem(RELOADED, '1');
    } catch {
      return; // no session storage: no way to avoid a loop, so no reload
    }
    location.reload();
  };
  sw.register(new URL('coi-serviceworker.js', document.baseURI).href).then(
    (registration) => {
      if (!registration) return;
      // the worker is installed now, or already active but not controlling this page (the first visit)
      if (registration.active && !sw.controller) reloadOnce();
      else registration.addEventListener('updatefound', () => registration.installing?.addEventListener('statechange', (e) => {
        if ((e.target as ServiceWorker).state === 'activated') reloadOnce();
      }));
    },
    () => undefined,
  );
}
