"""A self-contained HTML page (one file, PNGs beside it) for an evaluation run.

The page states the command that produced it first, so anyone reading a figure can rerun
it; tables carry the numbers the plots draw, so nothing has to be read off a chart.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PAGE = "index.html"
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; color: #222; }
code, pre { background: #f4f4f4; padding: 0.1em 0.3em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.note { color: #555; }
"""


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # file names beside the page


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section: Section) -> str:
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    if section.text:
        parts.append(f'<p class="note">{html.escape(section.text)}</p>')
    parts += [_table(t) for t in section.tables]
    parts += [
        f'<p><img src="{html.escape(name)}" alt="{html.escape(section.title)}"></p>'
        for name in section.images
    ]
    return "\n".join(parts)


def write_page(
    out_dir: Path, title: str, command: str, intro: str, sections: list[Section]
) -> Path:
    """Write ``out_dir/index.html``; the images the sections name must already be there."""
    missing = [n for s in sections for n in s.images if not (out_dir / n).exists()]
    if missing:
        raise FileNotFoundError(f"report images missing in {out_dir}: {', '.join(missing)}")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Reproduce with <code>{html.escape(command)}</code> <span class="note">(generated {generated})</span></p>
<p>{html.escape(intro)}</p>
{"".join(_section(s) for s in sections)}
</body></html>
"""
    path = out_dir / PAGE
    path.write_text(document, encoding="utf-8")
    return path
