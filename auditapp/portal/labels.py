"""The portal's fixed wording in Chinese and English.

Pages print labels through ``PortalLabeller`` (``L`` in templates): the PDF reports' labels
(auditapp/reports/labels.py) wherever their wording fits a page, so page and PDF say the same thing,
plus the portal's own below. Errors of the services come from auditapp/messages.py instead."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from markupsafe import Markup

from ..reports import labels as report_labels
from ..reports.labels import Labeller

PORTAL_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    # layout
    "product": ("神秘顾客暗访平台", "Mystery Shopping Portal"),
    "language_switch": ("English", "中文"),
    "log_out": ("退出登录", "Log out"),
    "skip_to_content": ("跳到正文", "Skip to content"),
    "role_admin": ("管理员", "Administrator"),
    "role_qa": ("质检", "QA"),
    "role_manager": ("区域经理", "Regional manager"),
    "role_dealer": ("经销商", "Dealer"),
    "role_shopper": ("神秘顾客", "Shopper"),
    "welcome": ("欢迎，{name}", "Welcome, {name}"),
    "welcome_sub": ("请从上方导航选择页面。", "Choose a page in the navigation above."),
    # login
    "log_in": ("登录", "Log in"),
    "log_in_title": ("登录门户", "Log in to the portal"),
    "email": ("电子邮箱", "Email"),
    "password": ("密码", "Password"),
    "wrong_credentials": ("邮箱或密码错误。", "Wrong email or password."),
    "too_many_failures": ("登录失败次数过多，请 {seconds} 秒后再试。",
                          "Too many failed logins: try again in {seconds} seconds."),
    "session_ended": ("您的登录已结束，请重新登录。", "Your session has ended: please log in again."),
    "logged_out": ("您已退出登录。", "You are logged out."),
    "shoppers_use_app": ("神秘顾客请使用手机应用。", "Shoppers use the phone app."),
    # errors
    "error_title": ("出错了", "Something went wrong"),
    "error_400": ("请求无效", "Bad request"),
    "error_401": ("需要登录", "Log in first"),
    "error_403": ("无权访问", "Not allowed"),
    "error_403_text": ("您的角色无权打开此页面。", "This page is not for your role."),
    "error_404": ("页面不存在", "Page not found"),
    "error_404_text": ("没有找到该页面。", "There is no such page."),
    "error_409": ("无法完成", "Not possible now"),
    "error_413": ("文件过大", "File too large"),
    "error_415": ("文件类型不支持", "File type not supported"),
    "error_422": ("请检查输入", "Please check your input"),
    "error_429": ("请稍后再试", "Please wait"),
    "error_500": ("服务器错误", "Server error"),
    "error_500_text": ("发生了意外错误，已记录。请稍后重试。",
                       "An unexpected error occurred and was logged. Please try again later."),
    "error_503": ("服务暂不可用", "Service unavailable"),
    "back_home": ("返回首页", "Back to the start page"),
    # dealer navigation and pages
    "nav_results": ("成绩", "Results"),
    "nav_visits": ("暗访记录", "Visits"),
    "nav_disputes": ("我的申诉", "My disputes"),
    "results_title": ("成绩", "Results"),
    "program": ("项目", "Program"),
    "show": ("显示", "Show"),
    "download_pdf": ("下载评分卡 PDF", "Download the scorecard PDF"),
    "pdf_lang": ("PDF 语言", "PDF language"),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    "lang_both": ("中英对照", "Both side by side"),
    "no_results": ("暂无已发布的成绩。", "No published results yet."),
    "rank_in_nation_short": ("全国排名", "Rank in nation"),
    "visits_title": ("暗访记录", "Visits"),
    "visit_title": ("暗访 {k}", "Visit {k}"),
    "visit_of_wave": ("{wave} · {program}", "{wave} · {program}"),
    "open_visit": ("查看", "Open"),
    "last_day_to_file": ("申诉截止日", "Last day to file"),
    "dispute_status_h": ("申诉状态", "Disputes"),
    "visit_dispute_none": ("无", "none"),
    "visit_dispute_open": ("申诉中", "under dispute"),
    "visit_dispute_escalated": ("已上诉", "escalated"),
    "visit_dispute_decided": ("已裁定", "decided"),
    "score_current": ("当前得分", "Current score"),
    "score_was": ("原得分 {score}", "originally {score}"),
    "revised_marker": ("已修订", "revised"),
    "visited_on": ("暗访日期 {day}", "Visited on {day}"),
    "answer": ("回答", "Answer"),
    "result": ("结果", "Result"),
    "comment": ("神秘顾客评语", "Shopper's comment"),
    "photos": ("证据照片", "Evidence photos"),
    "photo_n": ("照片 {n}", "Photo {n}"),
    "met_full": ("达标", "met"),
    "met_partly": ("部分达标", "partly met"),
    "met_not": ("未达标", "not met"),
    "not_applicable": ("不适用", "not applicable"),
    "not_scored_item": ("不计分", "not scored"),
    "not_answered": ("未作答", "not answered"),
    "points_lost_lk": ("失分 {lost}", "{lost} points lost"),
    "points_lost_ko": ("否决 {ko}", "knock-out {ko}"),
    "section_score": ("环节得分 {score}", "section score {score}"),
    "knocked_out_section": ("本环节因否决项计 0 分", "section knocked out"),
    "knocked_out_audit": ("本次暗访因否决项计 0 分", "visit knocked out"),
    "under_dispute_item": ("申诉中", "under dispute"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "file_dispute": ("对此项提出申诉", "Dispute this item"),
    "file_dispute_deadline": ("可在 {deadline} 之前申诉", "You may dispute until {deadline}"),
    "dispute_window_closed": ("申诉期已于 {deadline} 结束，不能再申诉。",
                              "The dispute window closed on {deadline}: no new disputes."),
    "dispute_already_open": ("此项已有待裁定的申诉。", "This item already has an open dispute."),
    "claim_label": ("申诉理由（{min}–{max} 字）", "Claim ({min}–{max} characters)"),
    "requested_label": ("申诉诉求", "Requested outcome"),
    "evidence_label": ("证据照片或文件（可选）", "Evidence photo or file (optional)"),
    "submit_dispute": ("提交申诉", "File the dispute"),
    "dispute_filed": ("申诉已提交。", "The dispute was filed."),
    "dispute_refused": ("申诉未提交：{reason}", "The dispute was not filed: {reason}"),
    # disputes
    "disputes_list_title": ("我的申诉", "My disputes"),
    "no_disputes_yet": ("暂无申诉。", "No disputes yet."),
    "decision_due": ("裁定期限", "Decision due"),
    "overdue": ("已逾期", "overdue"),
    "dispute_title": ("申诉 #{id}", "Dispute #{id}"),
    "history": ("经过", "History"),
    "ev_filed": ("提出申诉", "Filed"),
    "ev_qa_decided": ("质检裁定：{outcome}", "QA decided: {outcome}"),
    "ev_escalated": ("已上诉", "Escalated"),
    "ev_final": ("区域经理终裁：{outcome}", "The region manager decided finally: {outcome}"),
    "escalate": ("上诉至区域经理", "Escalate to the region manager"),
    "escalate_note_label": ("上诉理由（{min}–{max} 字）", "Note ({min}–{max} characters)"),
    "escalate_once": ("被驳回的申诉可上诉一次，由区域经理终裁。",
                      "A rejected dispute may be escalated once; the region manager decides finally."),
    "escalated_ok": ("已上诉。", "The dispute was escalated."),
    "escalate_refused": ("未能上诉：{reason}", "Not escalated: {reason}"),
    "evidence_files": ("证据", "Evidence"),
    "view_visit": ("查看暗访", "Open the visit"),
    "new_score_version": ("生成得分版本 v{version}", "made score version v{version}"),
}

LABELS: Final[Mapping[str, tuple[str, str]]] = {**report_labels.LABELS, **PORTAL_LABELS}


class PortalLabeller(Labeller):
    """The reports' Labeller over the portal's labels as well (a page is in one language: zh or en)."""

    def pair(self, key: str, **values: Any) -> tuple[str, str]:
        zh, en = LABELS[key]
        return zh.format(**report_labels._side(values, "zh")), en.format(**report_labels._side(values, "en"))

    def _escaped_pair(self, key: str, values: Mapping[str, Any]) -> tuple[Markup, Markup]:
        zh, en = LABELS[key]
        keep_zh, keep_en = report_labels.KEEP_TOGETHER.get(key, ((), ()))
        return (report_labels._template(zh, keep_zh).format(**report_labels._side(values, "zh")),
                report_labels._template(en, keep_en).format(**report_labels._side(values, "en")))

    def other_language(self) -> str:
        return "en" if self.lang == "zh" else "zh"
