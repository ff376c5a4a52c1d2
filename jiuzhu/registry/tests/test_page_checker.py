"""The page checker the view tests rely on: it must fail on each kind of broken page."""

from __future__ import annotations

import pytest

from jiuzhu.core.testing.page_checker import check_fragment, check_page

CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="abc">'


def page(body: str, *, head: str = "<title>家庭档案</title>", html_tag: str = '<html lang="zh-CN">') -> str:
    return f"<!DOCTYPE html>{html_tag}<head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def test_a_good_page_passes() -> None:
    check_page(
        page(
            f'<main><form method="post" action="/x/">{CSRF}<p>姓名<input id="a"></form>'
            "<table><tr><td>一<td>二</table><ul><li>甲<li>乙</ul></main>"
        )
    )


@pytest.mark.parametrize(
    ("html", "complaint"),
    [
        pytest.param(page("<div><span>未闭合</div>"), "<span>未闭合", id="交叉嵌套"),
        pytest.param(page("<div>少一个结束"), "<div>未闭合就遇到了", id="未闭合"),
        pytest.param('<html lang="zh"><title>t</title><main>到结尾', "<main>直到页面结束都没有闭合", id="到结尾未闭合"),
        pytest.param(page("多余</section>"), "</section>没有对应的开始标签", id="多余结束标签"),
        pytest.param(page("<p>内容</p>", html_tag="<html>"), "lang", id="缺少lang"),
        pytest.param(page("<p>内容</p>", head=""), "缺少 <title>", id="缺少title"),
        pytest.param(page("<p>内容</p>", head="<title> </title>"), "<title> 为空", id="title为空"),
        pytest.param(page('<form method="post" action="/x/"><button>提交</button></form>'), "CSRF", id="缺少CSRF"),
        pytest.param(page(f'<form method="POST">{CSRF}</form>'), "没有 action", id="缺少action"),
        pytest.param(page('<i id="x"></i><b id="x"></b>'), "id=“x”重复", id="重复id"),
        pytest.param(page("<pre>Traceback (most recent call last)</pre>"), "Traceback", id="Traceback"),
        pytest.param(page("<p>This field is required.</p>"), "This field is required", id="未翻译的表单错误"),
        pytest.param(page("<td>None</td>"), "None", id="模板输出None"),
        pytest.param(page("<p>{{ household.name }}</p>"), "{{", id="模板残留"),
    ],
)
def test_broken_pages_fail_with_the_reason(html: str, complaint: str) -> None:
    with pytest.raises(AssertionError) as failure:
        check_page(html)
    assert complaint in str(failure.value)


def test_get_forms_need_no_csrf_and_scripts_may_hold_english() -> None:
    check_page(
        page(
            '<form method="get" action="/s/"><input name="q"></form>'
            "<script>if (x === undefined) { throw new Error('None'); }</script>"
        )
    )


def test_fragments_skip_the_page_checks_but_not_the_others() -> None:
    check_fragment('<div id="results"><p>共 3 户</p></div>')
    with pytest.raises(AssertionError, match="重复"):
        check_fragment('<span id="a"></span><span id="a"></span>')
    with pytest.raises(AssertionError, match="页面为空"):
        check_fragment("  ")
