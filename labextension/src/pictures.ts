/**
 * Pictures of live views: the PNG a saved notebook keeps of a view.
 *
 * A live view is a script that loads from the kernel: a saved notebook,
 * nbconvert or GitHub would show nothing of it. So the page keeps a picture of
 * it: the extension's renderer in the output's data (`image/png`) when the
 * notebook is saved or its kernel goes, and in the note that replaces a closed
 * session's view; the session widget, whose page holds no notebook model, by
 * sending its latest picture to the kernel (`core/widget.py`), which puts it
 * under the note. The kernel's side is `jupyter_sessions/core/pictures.py`.
 *
 * Whether pictures are kept and how big they may be are the Settings Editor's
 * `pictures`, `pictureMaxSide` and `pictureMaxKB` (`settings.ts`), which `index.ts`
 * copies into `pictureOptions`; pages with no settings (Voilà) keep the defaults.
 * Not read from `settings.ts` here: the session widget's bundle has this module.
 */
import { liveDocument, liveRoot } from './bokehView';

/**
 * Whether pictures are kept, their longest side in CSS pixels, and the most one may
 * weigh (the kernel refuses more than 300 KB on the session widget's route:
 * `MAX_PICTURE_BYTES`). The page's settings, kept in step by `index.ts`.
 */
export const pictureOptions = { keep: true, maxSide: 800, maxBytes: 300_000 };
/** A view's first picture waits this long for BokehJS to paint it (session widget). */
export const FIRST_PICTURE_MS = 500;
/** Later pictures, after each change of the view, at most this often (session widget). */
export const PICTURE_EVERY_MS = 5000;

/** How an output keeps its picture, as static viewers read it. */
export const PICTURE_MIME = 'image/png';
/** The session widget's output, which a saved notebook cannot show. */
const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

/** An output's data, as a mime model holds it. */
type Data = Readonly<Record<string, unknown>>;

/**
 * A picture of the view as this page shows it now, for the notebook as a document
 * (a saved file, nbconvert, GitHub): what BokehJS draws of its first root, plots
 * in their layout, as a base64 PNG within `pictureOptions`. Null when pictures
 * are off, the view is not live in this page or draws nothing (widgets alone are HTML, which BokehJS does not draw). Synchronous: a
 * save takes the notebook's content right after it says it started.
 */
export function pictureOf(viewId: string): string | null {
  const root = liveRoot(viewId);
  if (!pictureOptions.keep || !root?.export) {
    return null;
  }
  try {
    return encodePicture(root.export('png', false).canvas);
  } catch (reason) {
    console.warn('[jupyter-sessions] could not draw a picture of a Bokeh view', reason);
    return null;
  }
}

/**
 * Hand `keep` a picture of the view once it painted, then after each change of its
 * document, at most every `PICTURE_EVERY_MS`: for the session widget, whose page
 * holds no notebook model to keep it in, so the kernel keeps the last one for the
 * output's note. Nothing runs while the document does not change. Returns what
 * stops it.
 */
export function watchPictures(viewId: string, keep: (picture: string) => void): () => void {
  const doc = liveDocument(viewId);
  if (!doc) {
    return () => undefined;
  }
  let timer: number | null = null;
  let last = 0;
  const take = (): void => {
    timer = null;
    last = Date.now();
    const picture = pictureOf(viewId);
    if (picture) {
      keep(picture);
    }
  };
  const changed = (): void => {
    if (timer === null) {
      timer = window.setTimeout(
        take,
        Math.max(FIRST_PICTURE_MS, last + PICTURE_EVERY_MS - Date.now())
      );
    }
  };
  doc.on_change(changed, true);
  changed();
  return () => {
    doc.remove_on_change(changed);
    if (timer !== null) {
      window.clearTimeout(timer);
    }
  };
}

/** The picture an output's data keeps, if any. */
export function keptPicture(data: Data): string | null {
  const picture = data[PICTURE_MIME];
  return typeof picture === 'string' && picture ? picture : null;
}

/**
 * `data` with `picture` kept, as the saved notebook carries it. Static viewers
 * (nbconvert, GitHub, VS Code) show an output's HTML before its picture, and a
 * session's HTML is a script loading from the kernel or the closed note's words
 * (text/plain keeps those): it goes, as does the session widget, which no saved
 * notebook shows.
 */
export function withPicture<T extends Data>(data: T, picture: string): T {
  const kept: Record<string, unknown> = { ...data, [PICTURE_MIME]: picture };
  delete kept['text/html'];
  delete kept[WIDGET_MIME];
  return kept as T;
}

/** `data` without a kept picture (the page's pictures were turned off). */
export function withoutPicture<T extends Data>(data: T): T {
  const kept: Record<string, unknown> = { ...data };
  delete kept[PICTURE_MIME];
  return kept as T;
}

/** The picture as an image element, `alt` its words. */
export function pictureElement(picture: string, alt: string): HTMLImageElement {
  const image = document.createElement('img');
  image.className = 'jp-jupyter-sessions-picture';
  image.src = `data:${PICTURE_MIME};base64,${picture}`;
  image.alt = alt;
  return image;
}

function encodePicture(source: HTMLCanvasElement): string | null {
  if (source.width === 0 || source.height === 0 || isBlank(source)) {
    return null;
  }
  let scale = Math.min(1, pictureOptions.maxSide / Math.max(source.width, source.height));
  for (;;) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(source.width * scale));
    canvas.height = Math.max(1, Math.round(source.height * scale));
    canvas.getContext('2d')?.drawImage(source, 0, 0, canvas.width, canvas.height);
    const png = canvas.toDataURL('image/png').split(',', 2)[1] ?? '';
    // base64: four characters for three bytes.
    if ((png.length * 3) / 4 <= pictureOptions.maxBytes || canvas.width <= 100) {
      return png;
    }
    scale /= 2;
  }
}

/** One colour all over: a layout whose parts BokehJS does not draw. */
function isBlank(canvas: HTMLCanvasElement): boolean {
  const context = canvas.getContext('2d');
  if (!context) {
    return true;
  }
  const pixels = new Uint32Array(
    context.getImageData(0, 0, canvas.width, canvas.height).data.buffer
  );
  return pixels.every(pixel => pixel === pixels[0]);
}
