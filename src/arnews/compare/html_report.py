"""The comparison report as one self-contained HTML page, charts embedded.

Why: the MLflow UI shows a logged ``.md`` artifact with a Markdown viewer that prints
image links as literal ``[macro_f1](macro_f1.png)`` text, but it shows a logged
``.html`` artifact as a page. ``leaderboard.html`` carries the same report with the
PNG charts inlined (``data:`` URIs), so it also opens from disk or from a mail.

Only the Markdown that ``leaderboard.to_markdown`` writes is converted: headings, bullet
lists, pipe tables, images, paragraphs, and inline code, bold and links.

    >>> print(to_html("# T\\n\\n- a `b` **c**\\n\\n| x | y |\\n|---|---|\\n| 1 | 2 \\\\| 3 |"))  # doctest: +ELLIPSIS
    <!DOCTYPE html>...<h1>T</h1>
    <ul>
    <li>a <code>b</code> <strong>c</strong></li>
    </ul>
    <table>
    <tr><th>x</th><th>y</th></tr>
    <tr><td>1</td><td>2 | 3</td></tr>
    </table>
    </body></html>
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

STYLE = ("body{font-family:sans-serif;margin:1.5em;max-width:1100px}img{max-width:100%;display:block;"
         "margin:1em 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
         "text-align:left}code{background:#f3f3f3;padding:0 3px}")
IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', out)


def _cells(row: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [_inline(p.strip().replace("\\|", "|")) for p in parts]


def to_html(markdown: str, images: dict[str, str] | None = None, title: str = "Run comparison") -> str:
    """HTML for ``markdown``; ``images`` maps an image link to the ``src`` to use instead."""
    images = images or {}
    body, block = [], None  # block: "ul" or "table" while one is open
    rows: list[str] = []

    def close():
        nonlocal block, rows
        if block == "ul":
            body.append("</ul>")
        elif block == "table":
            body.append("<table>")
            body.append("<tr>" + "".join(f"<th>{c}</th>" for c in _cells(rows[0])) + "</tr>")
            body.extend("<tr>" + "".join(f"<td>{c}</td>" for c in _cells(r)) + "</tr>" for r in rows[2:])
            body.append("</table>")
        block, rows = None, []

    for line in markdown.splitlines():
        if line.startswith("|"):
            if block != "table":
                close()
                block = "table"
            rows.append(line)
            continue
        if line.startswith("- "):
            if block != "ul":
                close()
                block = "ul"
                body.append("<ul>")
            body.append(f"<li>{_inline(line[2:])}</li>")
            continue
        close()
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        image = IMAGE.match(line.strip())
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif image:
            src = images.get(image.group(2), image.group(2))
            body.append(f'<img alt="{html.escape(image.group(1))}" src="{html.escape(src)}">')
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    close()
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(body) + "\n</body></html>")


def embedded(folder: Path, names: list[str]) -> dict[str, str]:
    """``{"macro_f1.png": "data:image/png;base64,..."}`` for the charts in ``folder``."""
    return {name: "data:image/png;base64," + base64.b64encode((folder / name).read_bytes()).decode()
            for name in names}
