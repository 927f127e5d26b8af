"""HTML preview of an item: the itemBody as accessible, disabled form controls.

Only whitelisted XHTML elements are kept and all text is escaped; no attribute from the item
is copied, so an imported item cannot inject script or style into the preview page.
"""

from __future__ import annotations

from html import escape
from xml.etree import ElementTree as ET

from .qti import QtiItem, _normalise, parse_xml

SAFE_TAGS = frozenset(
    {
        "p",
        "div",
        "span",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "sub",
        "sup",
        "ul",
        "ol",
        "li",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
    }
)


def _children(el: ET.Element, item: QtiItem) -> str:
    return escape(el.text or "") + "".join(_node(c, item) + escape(c.tail or "") for c in el)


def _choice_list(el: ET.Element, rid: str, tag: str, kind: str) -> str:
    rows = []
    for n, c in enumerate(el.iter(tag)):
        cid = f"{rid}-{n}"
        text = escape(" ".join("".join(c.itertext()).split()))
        rows.append(
            f'<li><input type="{kind}" id="{escape(cid)}" name="{escape(rid)}" '
            f'value="{escape(c.get("identifier", ""))}" disabled=""/>'
            f'<label for="{escape(cid)}">{text}</label></li>'
        )
    return '<ul class="qti-choices">' + "".join(rows) + "</ul>"


def _prompt_text(el: ET.Element) -> str:
    p = el.find("prompt")
    return "" if p is None else escape(" ".join("".join(p.itertext()).split()))


def _prompt(el: ET.Element) -> str:
    text = _prompt_text(el)
    return f'<p class="qti-prompt">{text}</p>' if text else ""


def _node(el: ET.Element, item: QtiItem) -> str:
    tag, rid = el.tag, el.get("responseIdentifier", "")
    if tag == "choiceInteraction":
        multi = item.declaration(rid).cardinality == "multiple"
        kind = "checkbox" if multi else "radio"
        return (
            f'<fieldset class="qti-interaction"><legend>{_prompt_text(el) or "Auswahl"}</legend>'
            + _choice_list(el, rid, "simpleChoice", kind)
            + "</fieldset>"
        )
    if tag == "textEntryInteraction":
        return f'<input type="text" name="{escape(rid)}" aria-label="Antwort" disabled=""/>'
    if tag == "extendedTextInteraction":
        return (
            _prompt(el)
            + f'<textarea name="{escape(rid)}" aria-label="Antwort" disabled=""></textarea>'
        )
    if tag == "inlineChoiceInteraction":
        opts = "".join(
            f'<option value="{escape(c.get("identifier", ""))}">'
            f"{escape(' '.join(''.join(c.itertext()).split()))}</option>"
            for c in el.iter("inlineChoice")
        )
        return f'<select name="{escape(rid)}" aria-label="Auswahl" disabled="">{opts}</select>'
    if tag == "orderInteraction":
        items = "".join(
            f"<li>{escape(' '.join(''.join(c.itertext()).split()))}</li>"
            for c in el.iter("simpleChoice")
        )
        return f'<div class="qti-interaction">{_prompt(el)}<ol class="qti-order">{items}</ol></div>'
    if tag == "matchInteraction":
        sets = [
            "<ul>"
            + "".join(
                f"<li>{escape(' '.join(''.join(c.itertext()).split()))}</li>"
                for c in s.iter("simpleAssociableChoice")
            )
            + "</ul>"
            for s in el.findall("simpleMatchSet")
        ]
        return f'<div class="qti-interaction qti-match">{_prompt(el)}{"".join(sets)}</div>'
    if tag == "prompt":
        return ""
    inner = _children(el, item)
    if tag in SAFE_TAGS:
        return f"<{tag}/>" if tag == "br" else f"<{tag}>{inner}</{tag}>"
    return inner  # unknown markup: keep its text only


def render_item_html(item: QtiItem) -> str:
    """An HTML fragment (``<article>``) previewing ``item``."""
    root = _normalise(parse_xml(item.source_xml, item.source_file))
    body = root.find("itemBody")
    inner = _children(body, item) if body is not None else ""
    return (
        f'<article class="qti-item" lang="de"><h2>{escape(item.title)}</h2>'
        f"<form>{inner}</form></article>"
    )
