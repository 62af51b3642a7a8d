/**
 * The page is going away (closed, reloaded, navigated from): the last moment to
 * tell the kernel, which would otherwise keep what the page held open.
 *
 * `pagehide`, but only when the page is hidden by then. A page that really goes
 * is hidden before its `pagehide` (the HTML standard's unload steps), while
 * Chromium also fires a stray, trusted `pagehide` at a page that stays, visible:
 * seen here with a remote kernel's notebook page, right after BokehJS arrived.
 * Heeding that one closed every comm of a page still in use.
 */
export function onPageGone(callback: () => void): () => void {
  const listener = (): void => {
    if (document.visibilityState === 'hidden') {
      callback();
    }
  };
  window.addEventListener('pagehide', listener);
  return () => window.removeEventListener('pagehide', listener);
}
