#!/usr/bin/env python3
"""Fails when a relative link in the repository's Markdown points nowhere.

Checks README.md and docs/*.md (or the files given as arguments): every
relative link, inline `[text](target)`, image `![alt](target)` or reference
definition `[label]: target`, must name a file or folder that exists, and a
`#fragment` on a Markdown target must name one of its headings (GitHub's
anchors). Links in fenced code blocks and inline code are ignored, as are
absolute URLs (http:, https:, mailto:, ...).

    tests/docs/check_links.py                 # README.md and docs/*.md
    tests/docs/check_links.py FILE.md...      # these files

Exit status 0 when every link resolves, 1 otherwise (one line per broken link).
"""
import os
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def outside_fences(lines):
    """Yields (line number, text) of the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield number, line


def strip_code(lines):
    """Yields (line number, text) outside fenced blocks, inline code removed."""
    for number, line in outside_fences(lines):
        yield number, re.sub(r"`+[^`]*`+", "", line)


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").strip().lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or cat[0] in "LN" or cat == "Mn":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


_anchor_cache = {}


def anchors(path):
    if path not in _anchor_cache:
        seen = {}
        result = set()
        lines = path.read_text(encoding="utf-8").splitlines()
        for _, line in outside_fences(lines):
            h = HEADING.match(line)
            if not h:
                continue
            base = slug(h.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
        for m in re.finditer(r"<a\s+(?:name|id)=\"([^\"]+)\"", "\n".join(lines)):
            result.add(m.group(1))
        _anchor_cache[path] = result
    return _anchor_cache[path]


def check(md):
    problems = []
    text = md.read_text(encoding="utf-8")
    for number, line in strip_code(text.splitlines()):
        targets = [m.group(1) for m in INLINE.finditer(line)]
        m = REFERENCE.match(line)
        if m:
            targets.append(m.group(1))
        for target in targets:
            if SCHEME.match(target) or target.startswith("//"):
                continue
            path_part, _, fragment = target.partition("#")
            path_part = path_part.split("?", 1)[0]
            if path_part:
                resolved = (ROOT / path_part.lstrip("/")) if path_part.startswith("/") \
                    else (md.parent / path_part)
            else:
                resolved = md
            where = f"{md.relative_to(ROOT)}:{number}"
            if not resolved.exists():
                problems.append(f"{where}: {target}: no such file or folder")
                continue
            if fragment and resolved.is_file() and resolved.suffix == ".md":
                if fragment.lower() not in anchors(resolved.resolve()):
                    problems.append(f"{where}: {target}: no heading #{fragment} in "
                                    f"{os.path.relpath(resolved, ROOT)}")
    return problems


def main(argv):
    files = [Path(a).resolve() for a in argv[1:]] or \
        [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    problems = []
    for md in files:
        problems += check(md)
    for p in problems:
        print(p)
    print(f"{len(files)} file(s), {len(problems)} broken link(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
