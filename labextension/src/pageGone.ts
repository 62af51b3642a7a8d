/**
 * The page is going away (closed, reloaded, navigated from): the last moment to
 * tell the kernel, which would otherwise keep what the page held open.
 *
 * `pagehide`, but only one that follows a `beforeunload` (or finds the page
 * hidden already). Chromium also fires a stray, trusted `pagehide` at a page that
 * stays: seen here with a remote kernel's notebook page, right after BokehJS
 * arrived, visible, with no navigation. Heeding that one closed every comm of a
 * page still in use. A page that really goes is asked `beforeunload` first (a
 * reload, a closed tab, a navigation), or is hidden by then.
 */
let leaving = false;
window.addEventListener('beforeunload', () => {
  leaving = true;
});
// A navigation cancelled (JupyterLab's "unsaved changes" prompt), or a page
// restored from the back/forward cache: not leaving any more.
window.addEventListener('pageshow', () => {
  leaving = false;
});

export function onPageGone(callback: () => void): () => void {
  const listener = (): void => {
    if (leaving || document.visibilityState === 'hidden') {
      callback();
    }
  };
  window.addEventListener('pagehide', listener);
  return () => window.removeEventListener('pagehide', listener);
}
