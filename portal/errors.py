"""Friendly error pages in Chinese, and domain errors turned into HTTP answers."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError

from portal.domain.errors import DomainError, NotFound, PermissionDenied
from portal.domain.i18n import N_

TITLES = {
    400: (N_("请求有误"), N_("提交的内容无法处理，请返回上一页重试。")),
    403: (N_("无权访问"), N_("您没有权限查看此页面。如需办理，请联系所在工会。")),
    404: (N_("页面不存在"), N_("您访问的页面不存在或已被移除。")),
    413: (N_("文件太大"), N_("上传的文件超过了大小限制，请压缩或分开上传。")),
    429: (N_("操作太频繁"), N_("您的操作太频繁，请稍后再试。")),
    500: (N_("系统繁忙"), N_("系统出现了问题，我们已记录，请稍后再试。您填写的内容如未提交成功，请重新提交。")),
}


def _page(status: int, detail: str | None = None):
    from portal.web import render

    title, message = TITLES[status]
    if request.path.startswith("/api/"):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail or message,
                "code": {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large",
                         429: "rate_limited", 500: "server_error"}[status]}
        response = jsonify(body)
        response.status_code = status
        response.mimetype = "application/problem+json"
        return response
    return render("errors/error.html", status=status, code=status, title=title, message=detail or message)


def bad_request(message: str):
    """A 400 page (or problem) saying what was wrong with what was sent."""
    return _page(400, message)


def init_app(app: Flask) -> None:
    for status in TITLES:
        app.register_error_handler(status, lambda exc, status=status: _page(status))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(400, N_("页面已过期或表单校验失败，请刷新页面后重新提交。"))

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc):
        return _page(403, exc.message)

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _page(404, exc.message)

    @app.errorhandler(DomainError)
    def refused(exc):
        """A refusal no view caught (an unknown union code in an export's filter, say): the person
        reads why with a 400, never a 500 page."""
        from portal.web import error_text

        return _page(400, error_text(exc))
