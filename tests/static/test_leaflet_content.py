"""Our scripts never hand user data to Leaflet or the DOM as HTML (issue 11, item 1).

Leaflet's bindTooltip, bindPopup, setContent and divIcon's `html` parse a string as HTML, so a
clinic named `<img src=x onerror=...>` would become a live element. The rule checked here on
every script under static/ (the vendored libraries aside): their content is an element, given
as a variable made by document.createElement/createTextNode in the same file, or as a call (or
a function returning the call) of a function of the same file that builds its elements that
way; and no script writes innerHTML, outerHTML, insertAdjacentHTML or document.write.
"""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
SCRIPTS = sorted(p for p in STATIC.rglob("*.js") if "vendor" not in p.relative_to(STATIC).parts)
CONTENT_CALLS = re.compile(r"\.(bindTooltip|bindPopup|setContent)\s*\(")
DIV_ICON = re.compile(r"\bdivIcon\s*\(")
HTML_SINKS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b")


def first_argument(source: str, start: int) -> str:
    """The text of the first argument of the call whose "(" is at source[start - 1]."""
    depth, i = 0, start
    while i < len(source):
        char = source[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            break
        elif char in "'\"`":
            end = source.index(char, i + 1)
            i = end
        i += 1
    return source[start:i].strip()


def element_variables(source: str) -> set[str]:
    made = r"(?:const|let|var)\s+(\w+)\s*=\s*document\.(?:createElement|createTextNode)\("
    return set(re.findall(made, source))


def element_builders(source: str) -> set[str]:
    """Functions of the file that build elements and never parse HTML."""
    builders = set()
    for match in re.finditer(r"function\s+(\w+)\s*\([^)]*\)\s*\{", source):
        body = source[match.end() : match.end() + 2000]
        body = body[: body.find("\n}") + 1] if "\n}" in body else body
        if "document.createElement" in body or "createTextNode" in body:
            builders.add(match.group(1))
    return builders


def is_element(argument: str, source: str) -> bool:
    if argument in element_variables(source):
        return True
    call = re.fullmatch(r"(?:\(\s*\)\s*=>\s*)?(\w+)\s*\(.*\)", argument, re.DOTALL)
    return bool(call) and call.group(1) in element_builders(source)


def leaflet_contents(source: str) -> list[tuple[str, str]]:
    """(call, argument) for every content Leaflet receives in the source."""
    found = [(m.group(1), first_argument(source, m.end())) for m in CONTENT_CALLS.finditer(source)]
    for match in DIV_ICON.finditer(source):
        options = first_argument(source, match.end())
        html = re.search(r"\bhtml\b\s*(?::\s*([^,}]+))?", options)
        if html:
            found.append(("divIcon html", (html.group(1) or "html").strip()))
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC)))
def test_leaflet_gets_elements_never_html_strings(script):
    source = script.read_text(encoding="utf-8")
    contents = leaflet_contents(source)
    unsafe = [f"{call}({arg})" for call, arg in contents if not is_element(arg, source)]
    assert not unsafe, f"{script.name}: Leaflet parses these as HTML: {unsafe}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC)))
def test_no_script_writes_html(script):
    assert not HTML_SINKS.findall(script.read_text(encoding="utf-8"))


def test_the_check_refuses_strings_and_accepts_elements():
    # The rule itself, on the shapes that occur: it must not pass by finding nothing.
    unsafe = [
        'm.bindTooltip("<b>x</b>")',
        "m.bindTooltip(`${marker.name}`)",
        "m.bindTooltip(marker.name)",
        "m.bindPopup(() => marker.name)",
        "popup.setContent('<img src=x>' + name)",
        "L.divIcon({ html: `<span>${n}</span>` })",
    ]
    for source in unsafe:
        ((call, argument),) = leaflet_contents(source)
        assert not is_element(argument, source), source
    safe = """
function label(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}
const html = document.createElement("span");
m.bindTooltip(label(marker.name)).bindPopup(() => label(marker.kind));
L.divIcon({ className: "x", html, iconSize: [28, 28] });
"""
    contents = leaflet_contents(safe)
    assert len(contents) == 3
    assert all(is_element(argument, safe) for _, argument in contents)
