"""Checks every rendered page must pass (STYLE.md §5, "Real pages").

``check_page(html)`` for whole pages and ``check_fragment(html)`` for HTMX partials raise
``AssertionError`` naming the first problems found:

- the markup does not parse: an end tag that closes nothing, an element left open, or one
  closed across another (``<div><span></div>``);
- a page without ``<html lang="…">`` or with an empty ``<title>``;
- a POST form without an ``action`` or without the CSRF token input;
- two elements with the same ``id``;
- English error text a user could read ("Traceback", "This field is required", a stray ``None``…).

Only the standard library's ``html.parser`` is used, so the checker runs wherever the tests do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

VOID_ELEMENTS = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"))
VOID_ELEMENTS |= {"track", "wbr"}
# Elements whose end tag HTML lets the author leave out; closing their parent closes them.
OPTIONAL_END = frozenset(("p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot"))
OPTIONAL_END |= {"colgroup", "caption", "rt", "rp", "html", "head", "body"}
INVISIBLE = frozenset({"script", "style", "template", "title", "head"})
CSRF_INPUT = "csrfmiddlewaretoken"

# English a user must never read: Django's untranslated messages, tracebacks, template slips.
ENGLISH_WORDS = (
    r"Traceback|\bException\b|\b[A-Z][A-Za-z]*Error\b|\bError\b|\berror:|DoesNotExist|NoReverseMatch",
    r"Server Error|Page not found|Not Found|Forbidden|Bad Request|CSRF verification failed",
    r"This field is required|Enter a valid|Select a valid choice|Ensure this value",
    r"\bNone\b|\bnan\b|\bundefined\b",  # a template printing a missing value
    r"</?[a-z]+[ >]|\{\{|\}\}|\{%|%\}",  # escaped markup or template syntax shown as text
)
ENGLISH_ERRORS = [re.compile(pattern) for pattern in ENGLISH_WORDS]


@dataclass
class _Form:
    method: str
    action: str | None
    has_csrf: bool = False


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[tuple[str, int]] = []  # open elements and the line each opened on
        self.ids: dict[str, int] = {}
        self.forms: list[_Form] = []
        self.open_forms: list[_Form] = []
        self.html_lang: str | None = None
        self.saw_html = False
        self.title_parts: list[str] = []
        self.saw_title = False
        self.visible_text: list[str] = []

    def _line(self) -> int:
        return self.getpos()[0]

    def _inside(self, names: frozenset[str]) -> bool:
        return any(name in names for name, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        element_id = values.get("id")
        if element_id is not None:
            if element_id in self.ids:
                self.problems.append(f"第{self._line()}行：id=“{element_id}”重复（第{self.ids[element_id]}行已有）")
            else:
                self.ids[element_id] = self._line()
        if tag == "html":
            self.saw_html = True
            self.html_lang = (values.get("lang") or "").strip() or None
        elif tag == "title":
            self.saw_title = True
        elif tag == "form":
            form = _Form(method=(values.get("method") or "get").lower(), action=values.get("action"))
            self.forms.append(form)
            self.open_forms.append(form)
        elif (
            tag == "input"
            and values.get("name") == CSRF_INPUT
            and (values.get("value") or "").strip()
            and self.open_forms
        ):
            self.open_forms[-1].has_csrf = True
        if tag in VOID_ELEMENTS:
            return
        self.stack.append((tag, self._line()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if tag == "form" and self.open_forms:
            self.open_forms.pop()
        if not any(name == tag for name, _ in self.stack):
            self.problems.append(f"第{self._line()}行：结束标签</{tag}>没有对应的开始标签")
            return
        while self.stack:
            name, line = self.stack.pop()
            if name == tag:
                return
            if name not in OPTIONAL_END:
                self.problems.append(f"第{line}行：<{name}>未闭合就遇到了第{self._line()}行的</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._inside(frozenset({"title"})):
            self.title_parts.append(data)
        if not self._inside(INVISIBLE):
            self.visible_text.append(data)

    def close(self) -> None:
        super().close()
        for name, line in self.stack:
            if name not in OPTIONAL_END:
                self.problems.append(f"第{line}行：<{name}>直到页面结束都没有闭合")


def _parse(html: str) -> _Parser:
    if not html.strip():
        raise AssertionError("页面为空")
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser


def _common_problems(parser: _Parser) -> list[str]:
    problems = list(parser.problems)
    for index, form in enumerate(parser.forms, start=1):
        if form.method != "post":
            continue
        if not (form.action or "").strip():
            problems.append(f"第{index}个表单（POST）没有 action")
        if not form.has_csrf:
            problems.append(f"第{index}个表单（POST）缺少 CSRF 令牌（{CSRF_INPUT}）")
    text = " ".join(" ".join(parser.visible_text).split())
    for pattern in ENGLISH_ERRORS:
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - 30)
            problems.append(f"页面上出现英文错误或模板残留“{match.group(0)}”：…{text[start : match.end() + 30]}…")
    return problems


def _fail(problems: list[str]) -> None:
    if problems:
        raise AssertionError("页面检查未通过：\n- " + "\n- ".join(problems))


def check_page(html: str) -> None:
    """A whole page: parses, has ``<html lang>`` and a ``<title>``, safe forms, unique ids, no English errors."""
    parser = _parse(html)
    problems = _common_problems(parser)
    if not parser.saw_html:
        problems.append("缺少 <html> 元素")
    elif parser.html_lang is None:
        problems.append("<html> 缺少 lang 属性")
    if not parser.saw_title:
        problems.append("缺少 <title>")
    elif not "".join(parser.title_parts).strip():
        problems.append("<title> 为空")
    _fail(problems)


def check_fragment(html: str) -> None:
    """An HTMX partial: the same checks as a page except ``<html lang>`` and ``<title>``."""
    _fail(_common_problems(_parse(html)))
