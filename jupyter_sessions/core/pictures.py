"""Pictures of live views: the PNG a saved notebook keeps of a view that went.

A live view (a Bokeh plot) is a script that loads from the kernel: a saved notebook,
nbconvert or GitHub would show nothing of it. So the page that showed it keeps a
picture of it, and the session's "closed" note carries that picture. The page takes
the pictures (``labextension/src/pictures.ts``, the same limits); where the page holds
no notebook model to keep one in (the session widget, in VS Code or Voilà), it sends
them to the kernel, which checks them here on arrival and puts the last one under
the note.
"""

from __future__ import annotations

from typing import Any

#: How a picture is kept in an output's bundle (base64 PNG), as static viewers read it.
PICTURE_MIME = "image/png"
#: The most a page's picture of a view may weigh (the page downscales it to fit:
#: ``PICTURE_MAX_BYTES`` in ``pictures.ts``) ...
MAX_PICTURE_BYTES = 300_000
#: ... and that in base64 (four characters for three bytes).
MAX_PICTURE_CHARS = -(-MAX_PICTURE_BYTES // 3) * 4


def is_picture(value: object) -> bool:
    """Is ``value`` a picture a page may send: base64 text within the size limit?"""
    return isinstance(value, str) and 0 < len(value) <= MAX_PICTURE_CHARS


def with_picture(data: dict[str, Any], picture: str) -> dict[str, Any]:
    """A note bundle that keeps the view's last picture (base64 PNG) under its words.

    The picture goes in as ``image/png``, as a saved notebook carries it, and into the
    note's HTML too: a frontend without the extension (JupyterLab, VS Code) and
    nbconvert show the HTML before a picture, and the note's words belong with it.
    That is the picture twice; the extension's renderer keeps it once, in the page
    (``withPicture`` in ``labextension/src/pictures.ts``), and renders the words itself.
    """
    image = (
        f'<img src="data:{PICTURE_MIME};base64,{picture}" alt="The last picture of '
        f'this session" style="display:block;max-width:100%">'
    )
    return {**data, PICTURE_MIME: picture, "text/html": data.get("text/html", "") + image}


def kept(note: dict[str, Any], picture: str | None) -> dict[str, Any]:
    """``note``, with ``picture`` under it when there is one."""
    return note if picture is None else with_picture(note, picture)
