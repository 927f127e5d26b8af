"""Items as interactive, accessible form controls for the test player.

:func:`bimo.assessment.itembank.render_item_html` is the *preview* (disabled controls, one item
per page). The player shows a whole block, so every control id carries the item's prefix, every
control is enabled and the keyboard can operate every interaction: order items are moved with
"nach oben"/"nach unten" buttons, match items are one labelled select per source choice.

As in the preview, only whitelisted XHTML elements are kept, all text is escaped and no
attribute of the item is copied, so an imported item cannot inject script or style. Each
interaction carries ``data-antwort`` (its response identifier) and ``data-art`` (its kind);
``player.js`` reads and restores answers through these attributes only. The answer of an item is
``{response identifier: value}`` with the value shapes :func:`bimo.assessment.itembank.score_item`
expects: ``str`` for single cardinality, a list of ``str`` for multiple/ordered (pairs as
``"A B"``).
"""

from __future__ import annotations

from html import escape
from xml.etree import ElementTree as ET

from markupsafe import Markup

from bimo.assessment.itembank.preview import SAFE_TAGS
from bimo.assessment.itembank.qti import QtiItem, _normalise, parse_xml

__all__ = ["item_html"]


def _text(el: ET.Element) -> str:
    return escape(" ".join("".join(el.itertext()).split()))


def _prompt_text(el: ET.Element) -> str:
    p = el.find("prompt")
    return "" if p is None else _text(p)


class _Renderer:
    def __init__(self, item: QtiItem, prefix: str) -> None:
        self.item = item
        self.prefix = prefix
        self.gaps = 0  # numbered gaps (text entry, inline choice) for their labels

    def ident(self, rid: str, suffix: str = "") -> str:
        return escape(f"{self.prefix}-{rid}{suffix}")

    def children(self, el: ET.Element) -> str:
        return escape(el.text or "") + "".join(self.node(c) + escape(c.tail or "") for c in el)

    def choices(self, el: ET.Element, rid: str, kind: str) -> str:
        rows = []
        for n, c in enumerate(el.iter("simpleChoice")):
            cid = self.ident(rid, f"-{n}")
            rows.append(
                f'<li><input type="{kind}" id="{cid}" name="{self.ident(rid)}" '
                f'value="{escape(c.get("identifier", ""))}">'
                f'<label for="{cid}">{_text(c)}</label></li>'
            )
        return '<ul class="qti-auswahl">' + "".join(rows) + "</ul>"

    def choice(self, el: ET.Element, rid: str) -> str:
        multi = self.item.declaration(rid).cardinality == "multiple"
        kind, art = ("checkbox", "multiple_response") if multi else ("radio", "choice")
        hint = "Kreuze alle passenden Antworten an." if multi else "Wähle eine Antwort."
        legend = _prompt_text(el) or hint
        return (
            f'<fieldset class="qti-interaktion" data-antwort="{escape(rid)}" data-art="{art}">'
            f"<legend>{legend}</legend>"
            + (f'<p class="qti-hinweis">{hint}</p>' if legend != hint else "")
            + self.choices(el, rid, kind)
            + "</fieldset>"
        )

    def text_entry(self, el: ET.Element, rid: str) -> str:
        self.gaps += 1
        length = el.get("expectedLength", "")
        size = f' size="{int(length)}"' if length.isdigit() and 0 < int(length) <= 60 else ""
        return (
            f'<input type="text" class="qti-luecke" id="{self.ident(rid)}" '
            f'data-antwort="{escape(rid)}" data-art="text_entry" autocomplete="off" '
            f'spellcheck="false" maxlength="500" aria-label="Lücke {self.gaps}"{size}>'
        )

    def extended_text(self, el: ET.Element, rid: str) -> str:
        lines = el.get("expectedLines", "")
        rows = int(lines) if lines.isdigit() and 0 < int(lines) <= 30 else 6
        label = _prompt_text(el) or "Deine Antwort"
        return (
            f'<div class="qti-interaktion" data-antwort="{escape(rid)}" data-art="extended_text">'
            f'<label for="{self.ident(rid)}">{label}</label>'
            f'<textarea id="{self.ident(rid)}" rows="{rows}" maxlength="10000" '
            'spellcheck="false"></textarea></div>'
        )

    def inline_choice(self, el: ET.Element, rid: str) -> str:
        self.gaps += 1
        options = "".join(
            f'<option value="{escape(c.get("identifier", ""))}">{_text(c)}</option>'
            for c in el.iter("inlineChoice")
        )
        return (
            f'<select class="qti-luecke" id="{self.ident(rid)}" data-antwort="{escape(rid)}" '
            f'data-art="inline_choice" aria-label="Lücke {self.gaps}">'
            f'<option value="">– bitte wählen –</option>{options}</select>'
        )

    def order(self, el: ET.Element, rid: str) -> str:
        prompt = _prompt_text(el) or "Bringe die Einträge in die richtige Reihenfolge."
        rows = []
        for c in el.iter("simpleChoice"):
            text = _text(c)
            rows.append(
                f'<li data-wert="{escape(c.get("identifier", ""))}">'
                f'<span class="qti-eintrag">{text}</span> '
                f'<button type="button" class="qti-schieben" data-schieben="hoch" '
                f'aria-label="{text} nach oben">nach oben</button> '
                f'<button type="button" class="qti-schieben" data-schieben="runter" '
                f'aria-label="{text} nach unten">nach unten</button></li>'
            )
        return (
            f'<div class="qti-interaktion" role="group" data-antwort="{escape(rid)}" '
            f'data-art="order" aria-labelledby="{self.ident(rid, "-frage")}">'
            f'<p id="{self.ident(rid, "-frage")}">{prompt}</p>'
            f'<ol class="qti-reihenfolge">{"".join(rows)}</ol>'
            '<p class="qti-hinweis qti-ansage" aria-live="polite"></p></div>'
        )

    def match(self, el: ET.Element, rid: str) -> str:
        sets = el.findall("simpleMatchSet")
        sources = list(sets[0].iter("simpleAssociableChoice")) if sets else []
        targets = list(sets[1].iter("simpleAssociableChoice")) if len(sets) > 1 else []
        options = '<option value="">– keine Zuordnung –</option>' + "".join(
            f'<option value="{escape(t.get("identifier", ""))}">{_text(t)}</option>'
            for t in targets
        )
        rows = []
        for n, s in enumerate(sources):
            sid = self.ident(rid, f"-{n}")
            rows.append(
                f'<div class="qti-paar"><label for="{sid}">{_text(s)}</label>'
                f'<select id="{sid}" data-quelle="{escape(s.get("identifier", ""))}">'
                f"{options}</select></div>"
            )
        legend = _prompt_text(el) or "Ordne zu."
        return (
            f'<fieldset class="qti-interaktion" data-antwort="{escape(rid)}" data-art="match">'
            f"<legend>{legend}</legend>{''.join(rows)}</fieldset>"
        )

    def node(self, el: ET.Element) -> str:
        tag, rid = el.tag, el.get("responseIdentifier", "")
        if tag == "choiceInteraction":
            return self.choice(el, rid)
        if tag == "textEntryInteraction":
            return self.text_entry(el, rid)
        if tag == "extendedTextInteraction":
            return self.extended_text(el, rid)
        if tag == "inlineChoiceInteraction":
            return self.inline_choice(el, rid)
        if tag == "orderInteraction":
            return self.order(el, rid)
        if tag == "matchInteraction":
            return self.match(el, rid)
        if tag == "prompt":
            return ""
        inner = self.children(el)
        if tag in ("h1", "h2"):
            tag = "h3"  # the page's h1 and the item's h2 come first
        if tag in SAFE_TAGS:
            return f"<{tag}>" if tag == "br" else f"<{tag}>{inner}</{tag}>"
        return inner  # unknown markup: keep its text only


def item_html(item: QtiItem, prefix: str) -> Markup:
    """The item body with live controls; ``prefix`` makes its ids unique on the page."""
    root = _normalise(parse_xml(item.source_xml, item.source_file))
    body = root.find("itemBody")
    inner = _Renderer(item, prefix).children(body) if body is not None else ""
    # Every text and attribute value above went through escape(): safe to mark up.
    return Markup(f'<div class="qti-inhalt" lang="de">{inner}</div>')
