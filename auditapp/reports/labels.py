"""Fixed wording of the PDF reports in Chinese and English, and the helpers templates use to print it.

Every user-visible string of a report template comes from ``LABELS`` (or from the data, which
carries its own ``{"zh": ..., "en": ...}`` texts), so that ``lang=zh``, ``en`` and ``both`` print
the same report in one language or side by side. Placeholders use ``str.format`` syntax; their
values are HTML-escaped when a label is turned into markup (see ``Labeller``).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from markupsafe import Markup, escape

from ..constants import REPORT_LANGUAGES

LANGS: Final = REPORT_LANGUAGES

LABELS: Final[Mapping[str, tuple[str, str]]] = {
    # titles and running heads
    "dealer_scorecard": ("经销商评分卡", "Dealer scorecard"),
    "region_report": ("区域报告", "Region report"),
    "mystery_shopping": ("神秘顾客暗访", "Mystery shopping"),
    "confidential": ("保密", "Confidential"),
    "dealer_code": ("经销商代码", "Dealer code"),
    "region": ("区域", "Region"),
    "nation": ("全国", "Nation"),
    "dealer": ("经销商", "Dealer"),
    "wave": ("波次", "Wave"),
    "period": ("考察期", "Period"),
    # headline
    "overall_score": ("总得分", "Overall score"),
    "region_score": ("区域得分", "Region score"),
    "visits_n": ("n = {n} 次暗访", "n = {n} visits"),
    "visit_n1": ("n = 1 次暗访", "n = 1 visit"),
    "interval": ("90% 置信区间 {lo}–{hi}", "90% interval {lo}–{hi}"),
    "no_interval": ("n = 1：无置信区间", "n = 1: no interval"),
    "no_audits": ("本波次无已发布暗访", "no published audits in this wave"),
    "band": ("等级", "Band"),
    "band_green": ("绿", "Green"),
    "band_amber": ("黄", "Amber"),
    "band_red": ("红", "Red"),
    "band_none": ("无得分", "No score"),
    "band_rule": ("绿 ≥ 85 · 黄 ≥ 70 · 红 < 70", "green ≥ 85 · amber ≥ 70 · red < 70"),
    "rank_in_region": ("区域排名", "Rank in region"),
    "rank_of": ("第 {rank} 名 / 共 {of} 家", "rank {rank} of {of}"),
    "rank_of_range": ("第 {rank} 名 / 共 {of} 家（可能区间 第 {best}–{worst} 名）",
                      "rank {rank} of {of} (plausible {best}–{worst})"),
    "rank_range": ("（可能区间 第 {best}–{worst} 名）", "(plausible {best}–{worst})"),
    "insufficient_rank": ("样本不足（n < {min}）：不参与排名", "insufficient sample (n < {min}): not ranked"),
    "region_mean": ("区域均值", "Region mean"),
    "nation_mean": ("全国均值", "Nation mean"),
    "vs_region": ("较区域", "vs region"),
    "vs_nation": ("较全国", "vs nation"),
    "dealers_n": ("{n} 家经销商", "{n} dealers"),
    "audits_n": ("{n} 次暗访", "{n} visits"),
    "ranked_dealers": ("参与排名", "Ranked dealers"),
    "insufficient_n": ("{n} 家样本不足，不排名", "{n} not ranked (insufficient sample)"),
    "weakest_mot": ("最弱环节", "Weakest moment of truth"),
    "overall": ("总分", "Overall"),
    "unranked_tag": ("n < {min}", "n < {min}"),
    "not_ranked": ("不排名", "not ranked"),
    "not_ranked_title": ("不参与排名", "Not ranked"),
    "highlights": ("要点", "Highlights"),
    "hl_change": ("较上一波次（{wave}）{change}", "{change} since the previous wave ({wave})"),
    "hl_weakest": ("最弱环节：{mot} {score}（区域 {region}）",
                   "Weakest moment of truth: {mot} {score} (region {region})"),
    "hl_knockouts": ("未达标否决项：{items}", "Knock-outs failed: {items}"),
    "hl_no_knockouts": ("本波次无否决项未达标", "No knock-out failed in this wave"),
    # charts and tables
    "mot_title": ("真实一刻（MOT）得分", "Moments of truth (MOT)"),
    "mot_sub": ("经销商 vs 区域 vs 全国", "dealer vs region vs nation"),
    "mot_sub_region": ("区域 vs 全国", "region vs nation"),
    "dim_title": ("SERVQUAL 服务质量维度", "SERVQUAL dimension profile"),
    "mot": ("真实一刻", "MOT"),
    "dimension": ("维度", "Dimension"),
    "score": ("得分", "Score"),
    "delta_region": ("较区域", "Δ region"),
    "delta_nation": ("较全国", "Δ nation"),
    "not_scored": ("未评分", "not scored"),
    "gaps_title": ("最大服务差距", "Worst service gaps"),
    "gaps_sub": ("按平均失分排序，否决项优先（前 10 项）", "top 10 by mean points lost, knock-outs first"),
    "gaps_region_sub": ("区域平均失分最多的检查项，及主要失分经销商",
                        "items losing the region the most points, and the dealers driving each"),
    "item": ("检查项", "Item"),
    "points_lost": ("失分", "Points lost"),
    "region_lost": ("区域失分", "Region pts lost"),
    "nation_lost": ("全国失分", "Nation pts lost"),
    "failed_in": ("未达标", "Failed in"),
    "failed_k_of_n": ("{n} 次中 {k} 次", "{k} of {n} visits"),
    "knockout": ("否决项", "Knock-out"),
    "ko": ("否决", "KO"),
    "no_gaps": ("本波次无未达标检查项", "No item failed in this wave"),
    "drivers": ("主要失分经销商", "Dealers driving it"),
    "trend_title": ("历次波次趋势", "Trend across waves"),
    "audits_title": ("本波次暗访", "Audits in this wave"),
    "visit_date": ("暗访日期", "Visit date"),
    "score_raw": ("否决前得分", "Before knock-outs"),
    "status": ("状态", "Status"),
    "revised": ("已修订", "revised"),
    "original": ("原得分 {score}", "original {score}"),
    "current": ("当前", "Current"),
    "revisions_title": ("得分修订", "Score revisions"),
    "revisions_sub": ("申诉成立后生成新的得分版本；报告使用最新版本",
                      "an upheld dispute makes a new score version; the report uses the latest"),
    "no_revisions": ("本波次无得分修订", "No score was revised in this wave"),
    "original_score": ("原得分", "Original"),
    "revised_score": ("修订后得分", "Revised"),
    "revised_on": ("修订日期", "Revised on"),
    "change": ("变化", "Change"),
    "version": ("版本", "Version"),
    "reason": ("原因", "Reason"),
    "revision_dispute": ("申诉 #{id}（{item}）经{by}裁定{outcome}：", "Dispute #{id} ({item}) {outcome} by {by}:"),
    "by_qa": ("质检", "QA"),
    "by_manager": ("区域经理", "the region manager"),
    "outcome_upheld": ("成立", "upheld"),
    "outcome_partially_upheld": ("部分成立", "partially upheld"),
    "outcome_rejected": ("驳回", "rejected"),
    "audit_no": ("暗访 {k}", "Visit {k}"),
    # disputes (DESIGN 6)
    "under_dispute": ("申诉中", "under dispute"),
    "hl_under_dispute": ("申诉中：{audits}（{items}），裁定前按当前得分计入",
                         "Under dispute: {audits} ({items}), counted at the current score until decided"),
    "items_n": ("{n} 个检查项", "{n} items"),
    "items_n1": ("1 个检查项", "1 item"),
    "disputes_title": ("申诉", "Disputes"),
    "disputes_sub": ("经销商对单项结果的申诉、诉求及裁定理由",
                     "the dealer's appeals against single items, what they asked for, "
                     "and the decisions with their reasons"),
    "no_disputes": ("本波次无申诉", "No disputes in this wave"),
    "dispute_no": ("申诉 #{id}", "Dispute #{id}"),
    "filed_on": ("申诉日期", "Filed on"),
    "decided_on": ("裁定日期", "Decided on"),
    "requested": ("申诉诉求", "Requested"),
    "requested_pass": ("改判为达标", "pass"),
    "requested_not_applicable": ("改判为不适用", "not applicable"),
    "claim": ("申诉理由", "Claim"),
    "decision": ("裁定理由", "Decision"),
    "decision_pending": ("尚未裁定", "not decided yet"),
    "qa_decision": ("质检裁定：{outcome}", "QA decision: {outcome}"),
    "escalation_on": ("上诉理由（{on}）", "Escalated on {on}"),
    "final_decision": ("区域经理终裁：{outcome}", "Region manager's final decision: {outcome}"),
    "new_value": ("新值：{value}", "New value: {value}"),
    "made_version": ("生成得分版本 v{version}", "new score version v{version}"),
    "dispute_open": ("待裁定", "open"),
    "dispute_escalated": ("已上诉", "escalated"),
    "dispute_upheld": ("申诉成立", "upheld"),
    "dispute_partially_upheld": ("部分成立", "partially upheld"),
    "dispute_rejected": ("驳回", "rejected"),
    "escalated_pending": ("待区域经理终裁", "awaiting the region manager's final decision"),
    "escalated_final": ("经上诉，区域经理终裁", "escalated: the region manager's final decision"),
    "dispute_stats_title": ("申诉统计", "Dispute statistics"),
    "dispute_stats_sub": ("申诉率 = 有申诉的暗访占已发布暗访的比例；成立率 = 已裁定申诉中成立（含部分成立）的比例",
                          "dispute rate = share of published visits with a dispute; uphold rate = share of decided "
                          "disputes upheld in full or in part"),
    "dispute_stats_none": ("本波次无申诉（已发布暗访 {n} 次）", "No disputes in this wave ({n} published visits)"),
    "by_dealer": ("按经销商", "By dealer"),
    "most_disputed": ("申诉最多的检查项", "Most disputed items"),
    "visits_h": ("暗访", "Visits"),
    "disputed_visits": ("涉诉暗访", "Disputed visits"),
    "dispute_rate": ("申诉率", "Dispute rate"),
    "disputes_h": ("申诉", "Disputes"),
    "share_of_visits": ("占暗访", "% of visits"),
    "upheld_decided": ("成立 / 已裁定", "Upheld / decided"),
    "uphold_rate": ("成立率", "Uphold rate"),
    "open_h": ("未决", "Open"),
    "region_total": ("区域合计", "Region total"),
    "no_dispute_dealers": ("其余 {n} 家经销商：无申诉", "{n} other dealers: no disputes"),
    "note_dispute_signals": (
        "申诉率高且集中在一家经销商，或成立的申诉较多，都是质量信号：前者可能是为保护考核奖金而申诉，后者提示暗访执行或检查项表述需要复核。",
        "A high dispute rate concentrated on one dealer, or many upheld disputes, are quality signals: the first "
        "can mean disputes made to protect bonuses, the second that the visits or the item wording need review.",
    ),
    "leaderboard_title": ("经销商排行榜", "Dealer leaderboard"),
    "leaderboard_sub": ("按本波次得分排序；90% 置信区间及可能名次区间",
                        "by wave score, with the 90% interval and plausible rank range"),
    "rank": ("名次", "Rank"),
    "rank_range_h": ("可能名次", "Plausible"),
    "interval_h": ("90% 置信区间", "90% interval"),
    "not_sig_h": ("差异不显著", "Not sig. different from"),
    "insufficient_title": ("样本不足：不参与排名", "Insufficient sample: not ranked"),
    "insufficient_sub": ("暗访次数少于 {min} 次的经销商", "dealers with fewer than {min} visits"),
    "none_insufficient": ("无", "None"),
    "heatmap_title": ("真实一刻热力图", "MOT heat map"),
    "heatmap_sub": ("经销商 × 真实一刻，按等级着色", "dealers × moments of truth, coloured by band"),
    "movers_title": ("较上一波次变化", "Movers since last wave"),
    "movers_sub": ("与 {wave} 相比", "compared with {wave}"),
    "no_movers": ("无上一波次数据", "No previous wave to compare with"),
    "previous": ("上一波次", "Previous"),
    "notes_title": ("阅读说明", "How to read this report"),
    "note_interval": (
        "得分为本波次已发布暗访得分的平均值；n 为暗访次数。90% 置信区间按 t 分布计算，显示时截取至 0–100。",
        "Scores are the mean over this wave's published visits; n is the number of visits. The 90% "
        "interval uses Student's t and is clipped to 0–100 for display.",
    ),
    "note_rank": (
        "可能名次区间由各经销商的置信区间推出；区间重叠的经销商之间差异不显著。暗访少于 {min} 次的经销商不参与排名。",
        "The plausible rank range follows from the dealers' intervals; dealers whose intervals overlap "
        "are not significantly different. Dealers with fewer than {min} visits are not ranked.",
    ),
    "note_points": (
        "失分：该检查项平均使总得分损失的分数（各项失分之和 = 100 − 未计否决项的平均得分）。"
        "否决项未达标时该环节或整次暗访记 0 分。",
        "Points lost: how many points of the overall score an item cost on average (they add up to "
        "100 − the mean score before knock-outs). A failed knock-out sets its section or the whole visit to 0.",
    ),
    "note_disputes": (
        "经销商可在发布后的申诉期内对单项提出申诉，由质检（QA）书面裁定（被驳回的可向区域经理上诉一次，其裁定为最终裁定）；"
        "申诉成立生成新的得分版本（标注“已修订”，原得分并列），裁定前暗访按当前得分计入并标注“申诉中”。",
        "Dealers may dispute single items within the dispute window after publication and QA decides in writing "
        "(a rejected dispute may be escalated once to the region manager, whose decision is final); an upheld "
        "dispute makes a new score version (marked \"revised\", with the original score beside it), and until the "
        "decision the visit counts with its current score, marked \"under dispute\".",
    ),
    "note_region": (
        "区域与全国数值为其经销商数值的平均，每家经销商计一次。",
        "Region and nation figures are means over their dealers, each dealer counting once.",
    ),
    "legend_dealer": ("本店", "Dealer"),
    "legend_region": ("区域", "Region"),
    "legend_nation": ("全国", "Nation"),
    "page_of": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    # knock-outs: what they cost (DESIGN 4, 9)
    "ko_headline_one": ("{score}：因 1 项否决项失去 {points} 分（“{item}”，暗访 {visit}）",
                        "{score}: {points} points lost to one knock-out (\"{item}\", visit {visit})"),
    "ko_headline_many": ("{score}：因 {n} 项否决项共失去 {points} 分（{items}）",
                         "{score}: {points} points lost to {n} knock-outs ({items})"),
    "ko_headline_part": ("“{item}”，暗访 {visit}，{points} 分", "\"{item}\", visit {visit}: {points}"),
    "ko_section_legend": ("否决项使该环节记 0 分（暗访次数）", "section zeroed by a knock-out (visits)"),
    # movers with their intervals (DESIGN 4)
    "change_interval": ("变化的 90% 置信区间", "90% interval of the change"),
    "no_clear_change": ("无明显变化（区间含 0）", "no clear change (interval includes 0)"),
    # dealer scorecard: ranks, small samples, actionable gaps, strengths, visits, footer (DESIGN 4, 9)
    "rank_in_nation": ("全国排名", "Rank in nation"),
    "rank_plausibly": ("共 {of} 家中第 {rank} 名，可能为第 {best}–{worst} 名", "{rank} of {of}, plausibly {best}–{worst}"),
    "rank_exact": ("第 {rank} 名 / 共 {of} 家", "{rank} of {of}"),
    "insufficient_score": ("样本不足（n = {n} < {min}）：无置信区间，不参与排名",
                           "insufficient sample (n = {n} < {min}): no interval, not ranked"),
    "standard": ("达标标准", "Standard"),
    "observed": ("暗访员观察", "Shoppers observed"),
    "action": ("改进措施", "Action"),
    "owner": ("责任岗位", "Owner"),
    "met_h": ("完全 / 部分 / 未达标", "Fully / partly / not met"),
    "met_counts": ("{full} / {part} / {none}", "{full} / {part} / {none}"),
    "lost_ko_part": ("含否决 {ko}", "incl. KO {ko}"),
    "gaps_footnote": (
        "失分 = 未达标失分 + 否决项损失（标注“否决”）；各项合计 = 100 − 平均得分。达标次数按暗访计：部分达标不计为未达标。",
        "Points lost = points the item itself lost + what its knock-out cost (marked KO); together they add up to "
        "100 − the mean score. Met counts are per visit: partial credit is not counted as not met.",
    ),
    "strengths_title": ("优势项", "Strengths"),
    "strengths_sub": ("本店每次暗访均完全达标、而区域内完全达标的暗访不足一半的检查项",
                      "items fully met in every visit here, where fewer than half of the region's visits fully met them"),
    "no_strengths": ("本波次无此类优势项", "No item meets this test in this wave"),
    "fully_met_all": ("{n} 次均完全达标", "fully met in all {n}"),
    "region_fully_met": ("区域完全达标", "Region fully met"),
    "nation_fully_met": ("全国完全达标", "Nation fully met"),
    "share_k_of_n": ("{pct}% ({k}/{n})", "{pct}% ({k}/{n})"),
    "visits_title": ("逐次暗访", "Visit by visit"),
    "visits_sub": ("按暗访日期（经销店当地时间）编号；申诉截止为可提出申诉的最后一天",
                   "numbered by visit date (the dealer's local time); file by = the last day a dispute may be filed"),
    "visit_h": ("暗访", "Visit"),
    "mot_no": ("M{k}", "M{k}"),
    "dispute_h": ("申诉 · 截止日期", "Dispute · deadline"),
    "file_by_date": ("申诉截止 {date}", "file by {date}"),
    "visit_dispute_none": ("无", "none"),
    "visit_dispute_open": ("申诉中", "under dispute"),
    "visit_dispute_escalated": ("申诉中（已上诉）", "under dispute (escalated)"),
    "visit_dispute_decided": ("已裁定", "decided"),
    "rendered_on": ("生成日期 {date}", "Rendered {date}"),
    "score_versions": ("所含得分版本：{versions}", "Score versions: {versions}"),
    "visit_version": ("暗访 {k} v{v}", "visit {k} v{v}"),
    "visit_version_revised": ("暗访 {k} v{v}（已修订）", "visit {k} v{v} (revised)"),
    # region report, page 1: the manager's first questions (DESIGN 9)
    "since_wave": ("较 {wave}（{score}）", "since {wave} ({score})"),
    "no_previous_wave": ("本项目无更早波次", "no earlier wave of this program"),
    "rank_among_regions": ("区域排名", "Rank among regions"),
    "disputes_waiting_title": ("待裁定申诉", "Disputes awaiting decision"),
    "disputes_escalated_n": ("其中 {n} 项已上诉", "{n} escalated"),
    "disputes_overdue_n": ("{n} 项超过裁定期限", "{n} past the decision deadline"),
    "regions_title": ("各区域对比", "All regions compared"),
    "dealers_h": ("经销商", "Dealers"),
    "change_h": ("变化", "Change"),
    "change_since": ("变化：与 {wave} 相比（两次显示值之差）", "Change: since {wave} (difference of the printed scores)"),
    "region_trend_title": ("区域得分趋势", "Region score trend"),
    "top_gaps_title": ("失分最多的三项及责任岗位", "The 3 worst gaps and who owns them"),
    "owner_h": ("责任岗位", "Owner"),
    "of_which_ko": ("其中否决项", "Of which knock-out"),
    "breaches_title": ("合规违规", "Compliance breaches"),
    "breaches_sub": ("整次否决项，按经销商和暗访日期", "audit knock-outs, by dealer and visit date"),
    "visit_date_h": ("暗访日期", "Visit date"),
    "visit_cost_h": ("该次暗访失分", "Cost to the visit"),
    "no_breaches": ("本波次无整次否决项", "No audit knock-out in this wave"),
    "standard_title": ("标准或培训问题", "Standard or training issues"),
    "standard_sub": ("超过半数经销商未达标（该店每次暗访均为 0 分）的检查项",
                     "items not met (0 on every visit of the dealer) at more than half of the dealers"),
    "standard_tag": ("差距 1–2", "gap 1–2"),
    "dealers_not_met_h": ("未达标经销商", "Dealers not meeting it"),
    "no_standard_issues": ("无：没有超过半数经销商未达标的检查项", "None: no item is not met at more than half of the dealers"),
    "note_not_met": (
        "“未达标”指该经销商本波次所有暗访中该项均为 0 分（部分做到不算未达标）。超过半数经销商未达标时，问题在于标准本身或培训"
        "（五差距模型的差距 1–2），而不是个别经销商的执行，应由项目统一纠正。",
        "\"Not met at a dealer\": the item scored 0 on every visit of the dealer in this wave (partly met does not "
        "count). When more than half of the dealers do not meet it, the standard or the training is at fault "
        "(five-gap model, gaps 1–2), not one dealer's execution: the program fixes it for all.",
    ),
    "overdue_title": ("超过裁定期限的申诉", "Disputes past their decision deadline"),
    "filed_on_h": ("提出日期", "Filed"),
    "due_on_h": ("应裁定日期", "Decide by"),
    # region report, later pages
    "rank_certain": ("确定", "certain"),
    "ko_audit": ("整次否决", "Visit KO"),
    "ko_audit_legend": ("整次否决项使该次暗访记 0 分（次数）", "visit zeroed by an audit knock-out (visits)"),
    "met_counts_h": ("达标 / 部分 / 未达标", "Met / partly / not"),
    "note_movers": (
        "仅比较两个波次均有至少 2 次暗访的经销商；须线为变化的 90% 置信区间，含 0 的为“无明显变化”（灰色）。",
        "Only dealers with at least 2 visits in both waves are compared; the whisker is the change's 90% "
        "interval, and a change whose interval includes 0 is \"no clear change\" (grey).",
    ),
    "no_comparable_movers": ("没有两个波次均有至少 2 次暗访的经销商", "No dealer has 2 or more visits in both waves"),
    "too_few_title": ("暗访次数不足，无法比较", "Too few visits to compare"),
    "too_few_sub": ("任一波次少于 2 次暗访", "fewer than 2 visits in either wave"),
    # corrective action plans (services/actions): the scorecard's list and the region's status table
    "actions_title": ("整改措施", "Corrective actions"),
    "actions_sub": ("尚未通过的整改计划，及本波次对以往措施的验证", "Plans not accepted yet, and this wave's verdict on earlier ones"),
    "actions_open_h": ("进行中的整改", "Open actions"),
    "actions_overdue_n": ("{n} 项逾期", "{n} overdue"),
    "action_status_open": ("待制定", "Open"),
    "action_status_planned": ("已计划", "Planned"),
    "action_status_submitted": ("已提交", "Submitted"),
    "action_status_accepted": ("已通过", "Accepted"),
    "action_status_returned": ("已退回", "Returned"),
    "action_origin_knockout": ("否决项", "Knock-out"),
    "action_origin_top_gap": ("主要差距", "Top gap"),
    "action_origin_manual": ("人工提出", "Raised by hand"),
    "action_due_h": ("完成期限", "Due"),
    "action_origin_h": ("来源", "Raised by"),
    "action_fully_met_h": ("下一波次完全达标", "Fully met next wave"),
    "action_overdue": ("逾期", "Overdue"),
    "action_lost_h": ("失分", "Points lost"),
    "actions_verified_h": ("本波次的验证结果", "Verified by this wave"),
    "verdict_effective": ("有效", "Effective"),
    "verdict_not_effective": ("无效", "Not effective"),
    "verified_counts": ("{k}/{n} 次暗访完全达标", "fully met in {k} of {n} visits"),
    "no_open_actions": ("没有进行中的整改措施", "No open corrective actions"),
    "no_verified_actions": ("本波次没有需验证的以往整改措施", "No earlier action was verified by this wave"),
    "action_plans_title": ("整改计划状态", "Action-plan status"),
    "action_plans_sub": ("本波次提出的整改措施（按状态），及对以往措施的验证", "This wave's actions by status, and the verdicts on earlier ones"),
    "actions_h": ("措施数", "Actions"),
    "total_h": ("合计", "Total"),
    "no_action_plans": ("本波次没有整改措施", "No corrective actions in this wave"),
    "note_actions": (
        "整改措施来自每次暗访的否决项及经销商本波次失分最多的检查项；经销商制定计划并提交实施证明，由区域经理通过或退回。"
        "下一波次中该项在每次暗访均完全达标即为“有效”，否则为“无效”。",
        "Actions come from each visit's knock-outs and the dealer's worst gaps of the wave; the dealer plans and "
        "submits evidence, the region's manager accepts or returns it. The next wave verifies it: fully met on "
        "every visit is \"effective\", otherwise \"not effective\".",
    ),
}

# Phrases a line must not split, per label and language: Chinese words (a line may otherwise break
# between any two ideographs, "区|间"), numbers with their unit, and ranges ("0.0–|100.0").
# The Labeller wraps them in a non-breaking span when it prints a label as markup.
KEEP_TOGETHER: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "visits_n": (("n = {n}", "次暗访"), ("n = {n}",)),
    "visit_n1": (("n = 1", "次暗访"), ("n = 1",)),
    "interval": (("置信区间", "{lo}–{hi}"), ("{lo}–{hi}",)),
    "no_interval": (("n = 1", "无置信区间"), ("n = 1",)),
    "rank_of_range": (("第 {rank} 名", "共 {of} 家", "可能区间", "第 {best}–{worst} 名"),
                      ("rank {rank} of {of}", "{best}–{worst}")),
    "rank_range": (("可能区间", "第 {best}–{worst} 名"), ("{best}–{worst}",)),
    "insufficient_rank": (("样本不足", "n < {min}", "不参与排名"), ("n < {min}",)),
    "dealers_n": (("家经销商",), ()),
    "audits_n": (("次暗访",), ()),
    "insufficient_n": (("样本不足", "不排名"), ()),
    "ko_headline_one": (("{points} 分", "暗访 {visit}"), ("{points} points", "visit {visit}")),
    "ko_headline_many": (("{points} 分",), ("{points} points",)),
    "ko_headline_part": (("暗访 {visit}", "{points} 分"), ("visit {visit}",)),
    "rank_plausibly": (("共 {of} 家中", "第 {rank} 名", "可能为", "第 {best}–{worst} 名"), ("{rank} of {of}", "plausibly {best}–{worst}")),
    "met_h": (("完全", "部分", "未达标"), ()),
    "insufficient_score": (("样本不足", "n = {n} < {min}", "无置信区间", "不参与排名"), ("n = {n} < {min}", "not ranked")),
    "since_wave": (("较 {wave}",), ("{wave} ({score})",)),
    "disputes_escalated_n": (("已上诉",), ()),
    "disputes_overdue_n": (("裁定期限",), ()),
    "standard_tag": (("差距 1–2",), ("gap 1–2",)),
}

def _side(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Placeholder values for one language: a {"zh", "en"} text gives the matching side."""
    return {key: value[lang] if isinstance(value, Mapping) and "zh" in value and "en" in value else value
            for key, value in values.items()}


_PARENTHETICAL = re.compile(r"\s*[（(][^）)]*[）)]\s*")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([?？.,，:：;；!！])")


def short_title(text: str) -> str:
    """A title without its parenthetical remark, for charts and narrow table cells.

    "车辆展示（六方位绕车）" → "车辆展示"; "Product presentation (six-point walk-around)" →
    "Product presentation". A title that is nothing but a remark is kept whole.
    """
    shortened = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _PARENTHETICAL.sub(" ", text)).strip()
    return shortened or text


_CLOSING_PUNCTUATION: Final = "？?！!。."


def _join(parts: list[str], sep: str, after_punctuation: str) -> str:
    """Parts joined by ``sep``, or by ``after_punctuation`` after a part that ends a sentence already
    (a question needs no "；" after its "？")."""
    out = ""
    for index, part in enumerate(parts):
        if index:
            out += after_punctuation if out.endswith(tuple(_CLOSING_PUNCTUATION)) else sep
        out += part
    return out


def _template(text: str, keep_together: tuple[str, ...]) -> Markup:
    """A label's wording as markup, each of its keep-together phrases in a non-breaking span."""
    markup = str(escape(text))
    for phrase in keep_together:
        escaped = str(escape(phrase))
        markup = markup.replace(escaped, f'<span class="nobr">{escaped}</span>', 1)
    return Markup(markup)


class Labeller:
    """Prints labels and bilingual data texts in one language or both (bound to one render).

    * ``t(key, **values)``: a label on one line (both: "经销商评分卡 Dealer scorecard");
    * ``s(key, **values)``: a label stacked (both: the English on a second, smaller line);
    * ``x(text)`` / ``xs(text)``: the same for a ``{"zh": ..., "en": ...}`` text from the data;
    * ``plain(key, **values)``: the label as plain text (charts escape it themselves).

    A placeholder value may itself be a ``{"zh": ..., "en": ...}`` text: each language's label
    then gets its own side of it.

    Each returns ``Markup`` with every piece of text escaped, placeholders included.
    """

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        self.lang = lang

    # -- plain strings ---------------------------------------------------------------------------

    def pair(self, key: str, **values: Any) -> tuple[str, str]:
        zh, en = LABELS[key]
        return zh.format(**_side(values, "zh")), en.format(**_side(values, "en"))

    def texts(self, key: str, **values: Any) -> dict[str, str]:
        """A label as a {"zh", "en"} text, to fill another label's placeholder (``t(key, x=L.texts(...))``)."""
        zh, en = self.pair(key, **values)
        return {"zh": zh, "en": en}

    def plain(self, key: str, sep: str = " ", **values: Any) -> str:
        return self.join(self.pair(key, **values), sep)

    def join(self, pair: tuple[str, str], sep: str = " ") -> str:
        zh, en = pair
        if self.lang == "zh":
            return zh
        if self.lang == "en":
            return en
        return zh if zh == en else f"{zh}{sep}{en}"

    def text_pair(self, text: Mapping[str, str], short: bool = False) -> tuple[str, str]:
        zh, en = text["zh"], text["en"]
        return (short_title(zh), short_title(en)) if short else (zh, en)

    def xplain(self, text: Mapping[str, str], short: bool = False, sep: str = " ") -> str:
        return self.join(self.text_pair(text, short), sep)

    # -- markup ----------------------------------------------------------------------------------

    def _markup(self, zh: str, en: str, stacked: bool) -> Markup:
        if self.lang == "zh":
            return Markup('<span lang="zh-CN">{}</span>').format(zh)
        if self.lang == "en":
            return Markup('<span lang="en">{}</span>').format(en)
        if zh == en:
            return Markup("{}").format(zh)
        if stacked:
            return Markup('<span class="zh" lang="zh-CN">{}</span><span class="en en-stacked" lang="en">{}</span>'
                          ).format(zh, en)
        return Markup('<span class="zh" lang="zh-CN">{}</span> <span class="en" lang="en">{}</span>').format(zh, en)

    def t(self, key: str, **values: Any) -> Markup:
        return self._markup(*self._escaped_pair(key, values), stacked=False)

    def s(self, key: str, **values: Any) -> Markup:
        return self._markup(*self._escaped_pair(key, values), stacked=True)

    def x(self, text: Mapping[str, str], short: bool = False) -> Markup:
        return self._markup(*self.text_pair(text, short), stacked=False)

    def xs(self, text: Mapping[str, str], short: bool = False) -> Markup:
        return self._markup(*self.text_pair(text, short), stacked=True)

    def _escaped_pair(self, key: str, values: Mapping[str, Any]) -> tuple[Markup, Markup]:
        # Markup.format escapes every value (unless it is Markup already), so a dealer name or an
        # item text in a placeholder stays text. The non-breaking spans go into the label's own
        # wording before the values do, so no value can add or cut one.
        zh, en = LABELS[key]
        keep_zh, keep_en = KEEP_TOGETHER.get(key, ((), ()))
        return (_template(zh, keep_zh).format(**_side(values, "zh")),
                _template(en, keep_en).format(**_side(values, "en")))

    # -- bilingual values ------------------------------------------------------------------------

    @staticmethod
    def short(text: Mapping[str, str]) -> dict[str, str]:
        """A {"zh", "en"} text without parenthetical remarks (see ``short_title``)."""
        return {"zh": short_title(text["zh"]), "en": short_title(text["en"])}

    @staticmethod
    def join_texts(texts: list[Mapping[str, str]], short: bool = False) -> dict[str, str]:
        """Several {"zh", "en"} texts as one, joined the way each language lists things."""
        pick = short_title if short else (lambda value: value)
        return {"zh": _join([pick(t["zh"]) for t in texts], "；", ""),
                "en": _join([pick(t["en"]) for t in texts], "; ", " ")}


__all__ = ["KEEP_TOGETHER", "LABELS", "LANGS", "Labeller", "short_title"]
