"""Every error and quality-flag text the system sends, in Chinese and English, under a stable key.

A `Message` is a catalogue key with its parameters. It is a `str` whose value is the English text, so
code that only logs or compares messages keeps working; the API renders it in the language the client
negotiated (api/language.py) at the one place errors become the response body (api/errors.py), and the
key is sent along as the error's machine code (`error` in the body), so clients may translate on their
side too. Keys are stable: a client may rely on them; the wording may change.

Texts are `str.format` templates. A parameter may itself be a Message (rendered in the same language),
a `{"zh": ..., "en": ...}` mapping (the matching side is used), or a list of those (joined the way each
language lists clauses); anything else is inserted as it is.
"""
from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("zh", "en")

# How each language separates the clauses of a list parameter.
CLAUSE_SEPARATORS = {"zh": "；", "en": "; "}

CATALOGUE: dict[str, dict[str, str]] = {
    # --- the request as a whole (api/requests.py, api/errors.py) ----------------------------------------
    "request.invalid_input": {
        "en": "invalid input: see errors",
        "zh": "输入无效：详见 errors"},
    "request.invalid_json": {
        "en": "the request body is not valid JSON",
        "zh": "请求正文不是有效的 JSON"},
    "request.too_many_header_fields": {
        "en": "at most {max} header fields",
        "zh": "请求头字段最多 {max} 个"},
    "request.header_field_too_long": {
        "en": "a header field is longer than {max} bytes",
        "zh": "有请求头字段超过 {max} 字节"},
    "request.body_too_large": {
        "en": "the request body is larger than the limit of {limit} bytes",
        "zh": "请求正文超过 {limit} 字节的上限"},
    "request.json_too_deep": {
        "en": "the JSON is nested deeper than {max} levels",
        "zh": "JSON 嵌套超过 {max} 层"},
    "request.json_number_too_long": {
        "en": "the JSON has a number longer than {max} digits",
        "zh": "JSON 中有超过 {max} 位的数字"},
    "request.concurrent_change": {
        "en": "conflicts with a concurrent change; reload and try again",
        "zh": "与同时进行的另一项修改冲突，请重新加载后再试"},
    "request.value_not_storable": {
        "en": "a value cannot be stored: it is out of range or not valid text",
        "zh": "有值无法保存：超出范围或不是有效文本"},
    "request.database_unavailable": {
        "en": "the database is unavailable; retry later",
        "zh": "数据库暂时不可用，请稍后重试"},
    "request.log_in_first": {
        "en": "log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token",
        "zh": "请先登录：发送由 POST /api/v1/auth/token 获得的 'Authorization: Bearer <token>'"},

    # --- HTTP errors raised outside the services (unknown path, wrong method...) -----------------------
    "http.400": {"en": "bad request", "zh": "请求有误"},
    "http.401": {"en": "authentication required", "zh": "需要登录"},
    "http.403": {"en": "not allowed", "zh": "无权访问"},
    "http.404": {"en": "the requested URL was not found on the server",
                 "zh": "服务器上找不到所请求的地址"},
    "http.405": {"en": "the method is not allowed for the requested URL", "zh": "所请求的地址不支持该方法"},
    "http.406": {"en": "no acceptable representation of the resource", "zh": "没有可接受的资源表示形式"},
    "http.408": {"en": "the request took too long to arrive", "zh": "请求超时"},
    "http.409": {"en": "the request conflicts with the current state", "zh": "请求与当前状态冲突"},
    "http.410": {"en": "the resource is gone", "zh": "资源已不存在"},
    "http.411": {"en": "a Content-Length header is required", "zh": "需要 Content-Length 请求头"},
    "http.412": {"en": "a precondition of the request failed", "zh": "请求的前提条件不成立"},
    "http.413": {"en": "the request body is too large", "zh": "请求正文过大"},
    "http.414": {"en": "the request URL is too long", "zh": "请求地址过长"},
    "http.415": {"en": "the media type of the request is not supported", "zh": "不支持该请求的媒体类型"},
    "http.416": {"en": "the requested range cannot be satisfied", "zh": "无法满足所请求的范围"},
    "http.417": {"en": "the expectation of the request cannot be met", "zh": "无法满足请求的 Expect 条件"},
    "http.422": {"en": "the request could not be processed", "zh": "无法处理该请求"},
    "http.428": {"en": "the request must be conditional", "zh": "该请求必须带前提条件"},
    "http.429": {"en": "too many requests: try again later", "zh": "请求过于频繁，请稍后再试"},
    "http.431": {"en": "the request header fields are too large", "zh": "请求头字段过大"},
    "http.500": {"en": "internal server error: the request could not be completed",
                 "zh": "服务器内部错误，请求未能完成"},
    "http.501": {"en": "the server does not support this request", "zh": "服务器不支持该请求"},
    "http.503": {"en": "the service is unavailable; retry later", "zh": "服务暂时不可用，请稍后重试"},
    "http.other": {"en": "the request failed ({status})", "zh": "请求失败（{status}）"},

    # --- fields: the API's own input rules (auditapp/limits.py, api/fields.py, api/schemas.py) ---------
    "field.nul_character": {
        "en": "must not contain the NUL character",
        "zh": "不得包含 NUL 字符"},
    "field.unpaired_surrogates": {
        "en": "must not contain unpaired surrogates (not valid Unicode)",
        "zh": "不得包含不成对的代理字符（不是有效的 Unicode）"},
    "field.key_problem": {
        "en": "a key {problem}",
        "zh": "键{problem}"},
    "field.not_finite": {
        "en": "must be a finite number",
        "zh": "必须是有限的数"},
    "field.number_between": {
        "en": "must be between {min} and {max}",
        "zh": "必须在 {min} 与 {max} 之间"},
    "field.code_rule": {
        "en": "must be 1 to 32 of A-Z, 0-9, '_' and '-'",
        "zh": "必须由 1 至 32 个 A-Z、0-9、'_' 或 '-' 字符组成"},
    "field.not_before": {
        "en": "must not be before {other}",
        "zh": "不得早于 {other}"},

    # --- fields: marshmallow's own checks (translated in api/input_messages.py) ------------------------
    "input.required": {"en": "Missing data for required field.", "zh": "缺少必填字段。"},
    "input.null": {"en": "Field may not be null.", "zh": "该字段不能为 null。"},
    "input.unknown_field": {"en": "Unknown field.", "zh": "未知字段。"},
    "input.invalid_input_type": {"en": "Invalid input type.", "zh": "输入类型无效。"},
    "input.invalid_type": {"en": "Invalid type.", "zh": "类型无效。"},
    "input.invalid_value": {"en": "Invalid value.", "zh": "值无效。"},
    "input.not_string": {"en": "Not a valid string.", "zh": "不是有效的字符串。"},
    "input.not_utf8": {"en": "Not a valid utf-8 string.", "zh": "不是有效的 UTF-8 字符串。"},
    "input.not_integer": {"en": "Not a valid integer.", "zh": "不是有效的整数。"},
    "input.not_number": {"en": "Not a valid number.", "zh": "不是有效的数字。"},
    "input.number_too_large": {"en": "Number too large.", "zh": "数字过大。"},
    "input.not_boolean": {"en": "Not a valid boolean.", "zh": "不是有效的布尔值。"},
    "input.not_date": {"en": "Not a valid date.", "zh": "不是有效的日期。"},
    "input.not_datetime": {"en": "Not a valid datetime.", "zh": "不是有效的日期时间。"},
    "input.not_aware_datetime": {"en": "Not a valid aware datetime.", "zh": "不是带时区偏移的有效日期时间。"},
    "input.not_list": {"en": "Not a valid list.", "zh": "不是有效的列表。"},
    "input.not_mapping": {"en": "Not a valid mapping type.", "zh": "不是有效的对象（映射）。"},
    "input.not_uuid": {"en": "Not a valid UUID.", "zh": "不是有效的 UUID。"},
    "input.not_email": {"en": "Not a valid email address.", "zh": "不是有效的电子邮件地址。"},
    "input.length_between": {"en": "Length must be between {min} and {max}.", "zh": "长度必须在 {min} 到 {max} 之间。"},
    "input.length_min": {"en": "Shorter than minimum length {min}.", "zh": "长度不得少于 {min}。"},
    "input.length_max": {"en": "Longer than maximum length {max}.", "zh": "长度不得超过 {max}。"},
    "input.length_equal": {"en": "Length must be {equal}.", "zh": "长度必须为 {equal}。"},
    "input.range_between": {
        "en": "Must be greater than or equal to {min} and less than or equal to {max}.",
        "zh": "必须大于或等于 {min} 且小于或等于 {max}。"},
    "input.range_min": {"en": "Must be greater than or equal to {min}.", "zh": "必须大于或等于 {min}。"},
    "input.range_max": {"en": "Must be less than or equal to {max}.", "zh": "必须小于或等于 {max}。"},
    "input.one_of": {"en": "Must be one of: {choices}.", "zh": "必须是以下之一：{choices}。"},
    "input.pattern": {"en": "String does not match expected pattern.", "zh": "字符串格式不符合要求。"},

    # --- answers (checklists/answers.py) -----------------------------------------------------------------
    "answer.not_an_object": {
        "en": "must be an object with 'value', 'na', 'comment' or 'attachments'",
        "zh": "必须是包含 'value'、'na'、'comment' 或 'attachments' 的对象"},
    "answer.unknown_item": {
        "en": "unknown item for {checklist} v{version}",
        "zh": "检查表 {checklist} v{version} 中没有该检查项"},
    "answer.required": {"en": "required", "zh": "必答"},
    "answer.required_or_na": {
        "en": "required: answer it or mark it N/A",
        "zh": "必答：请作答或标记为不适用（N/A）"},
    "answer.evidence_required": {
        "en": "evidence required: attach a photo or receipt",
        "zh": "需要证据：请附上照片或单据"},
    "answer.unknown_field": {"en": "unknown field '{name}'", "zh": "未知字段 '{name}'"},
    "answer.na_not_boolean": {"en": "'na' must be true or false", "zh": "'na' 必须为 true 或 false"},
    "answer.na_not_allowed": {"en": "N/A is not allowed for this item", "zh": "该检查项不允许标记为不适用（N/A）"},
    "answer.value_and_na": {
        "en": "give either a value or N/A, not both",
        "zh": "只能给出答案或标记不适用（N/A），不能同时给出"},
    "answer.comment_too_long": {
        "en": "'comment' must be text of at most {max} characters",
        "zh": "'comment' 必须是不超过 {max} 个字符的文本"},
    "answer.attachments_format": {
        "en": "'attachments' must be a list of lowercase hex SHA-256 hashes",
        "zh": "'attachments' 必须是小写十六进制 SHA-256 哈希值的列表"},
    "answer.attachments_missing": {
        "en": "attachment not uploaded: {hashes}",
        "zh": "附件尚未上传：{hashes}"},
    "answer.yes_or_no": {"en": "must be \"yes\" or \"no\"", "zh": "必须为 \"yes\" 或 \"no\""},
    "answer.whole_number": {"en": "must be a whole number from 1 to {max}", "zh": "必须是 1 到 {max} 的整数"},
    "answer.number": {"en": "must be a number", "zh": "必须是数字"},
    "answer.at_least": {"en": "must be at least {min}", "zh": "不得小于 {min}"},
    "answer.at_most": {"en": "must be at most {max}", "zh": "不得大于 {max}"},
    "answer.one_of": {"en": "must be one of {choices}", "zh": "必须是以下之一：{choices}"},
    "answer.text_too_long": {
        "en": "must be text of at most {max} characters",
        "zh": "必须是不超过 {max} 个字符的文本"},
    "answer.photo_no_value": {
        "en": "photo items carry attachments only, no value",
        "zh": "照片类检查项只带附件，不带答案值"},

    # --- who may see and do what (services/access.py) ----------------------------------------------------
    "access.role_not_allowed": {"en": "not allowed for role {role}", "zh": "角色 {role} 无权执行此操作"},
    "access.no_such_audit": {"en": "no such audit", "zh": "没有该稽核"},
    "access.no_such_dealer": {"en": "no such dealer", "zh": "没有该经销商"},
    "access.no_such_region": {"en": "no such region", "zh": "没有该区域"},
    "access.escalation_decided_by_manager": {
        "en": "an escalated dispute is decided by a manager of the dealer's region",
        "zh": "已上诉的申诉由经销商所在区域的经理裁定"},
    "access.flag_filter_for_qa": {
        "en": "filtering by quality flag is for QA and admin",
        "zh": "只有质检和管理员可以按质量标记筛选"},

    # --- log in (services/auth.py) -----------------------------------------------------------------------
    "auth.too_many_failures": {
        "en": "too many failed logins: try again later",
        "zh": "登录失败次数过多，请稍后再试"},
    "auth.wrong_credentials": {"en": "wrong email or password", "zh": "电子邮件或密码错误"},

    # --- users (services/users.py, services/admin.py) ----------------------------------------------------
    "user.password_too_short": {"en": "password too short", "zh": "密码太短"},
    "user.password_min_length": {"en": "at least {min} characters", "zh": "至少 {min} 个字符"},
    "user.unknown_role": {"en": "unknown role", "zh": "未知角色"},
    "user.invalid_email": {"en": "invalid email", "zh": "电子邮件地址无效"},
    "user.not_an_email": {"en": "not an email address", "zh": "不是电子邮件地址"},
    "user.email_exists": {"en": "a user with this email exists", "zh": "已有使用该电子邮件地址的用户"},
    "user.email_registered": {"en": "already registered", "zh": "已注册"},
    "user.dealer_needs_dealer": {"en": "a dealer user needs a dealer", "zh": "经销商用户必须指定经销商"},
    "user.required_for_role": {"en": "required for role {role}", "zh": "角色 {role} 必填"},
    "user.unknown_dealer": {"en": "unknown dealer", "zh": "未知经销商"},
    "user.only_dealers_have_dealer": {
        "en": "only dealer users have a dealer",
        "zh": "只有经销商用户才能指定经销商"},
    "user.not_allowed_for_role": {"en": "not allowed for role {role}", "zh": "角色 {role} 不可填写"},
    "user.manager_needs_region": {
        "en": "a manager needs at least one region",
        "zh": "区域经理至少需要一个区域"},
    "ref.unknown_region": {"en": "unknown region", "zh": "未知区域"},
    "user.only_managers_have_regions": {"en": "only managers have regions", "zh": "只有区域经理才能指定区域"},
    "user.no_such_user": {"en": "no such user", "zh": "没有该用户"},
    "user.last_admin": {
        "en": "the last active admin cannot be deactivated or demoted: make another user admin first",
        "zh": "不能停用或降级最后一位有效的管理员：请先将另一位用户设为管理员"},
    "user.only_active_admin": {
        "en": "user {user_id} is the only active admin",
        "zh": "用户 {user_id} 是唯一有效的管理员"},

    # --- things referred to by id or code (several services) ---------------------------------------------
    "ref.one_of": {"en": "one of {choices}", "zh": "须为以下之一：{choices}"},
    "ref.no_dealer": {"en": "no dealer {id}", "zh": "没有经销商 {id}"},
    "ref.no_region": {"en": "no region {id}", "zh": "没有区域 {id}"},
    "ref.no_wave": {"en": "no wave {id}", "zh": "没有波次 {id}"},

    # --- administration (services/admin.py) --------------------------------------------------------------
    "admin.no_such_wave": {"en": "no such wave", "zh": "没有该波次"},
    "admin.region_code_exists": {"en": "a region with this code exists", "zh": "已有使用该代码的区域"},
    "admin.dealer_code_exists": {"en": "a dealer with this code exists", "zh": "已有使用该代码的经销商"},
    "admin.wave_code_exists": {"en": "a wave with this code exists", "zh": "已有使用该代码的波次"},
    "admin.code_taken": {"en": "'{code}' is taken", "zh": "'{code}' 已被使用"},
    "admin.unknown_timezone": {"en": "unknown time zone", "zh": "未知时区"},
    "admin.timezone_hint": {"en": "an IANA zone like Asia/Shanghai", "zh": "应为 IANA 时区，例如 Asia/Shanghai"},
    "admin.invalid_period": {"en": "invalid period", "zh": "考察期无效"},

    # --- checklists (services/checklists.py) -------------------------------------------------------------
    "checklist.published_immutable": {
        "en": "published checklist versions are immutable: give the edited checklist a new version",
        "zh": "已发布的检查表版本不可修改：请为修改后的检查表指定新版本号"},
    "checklist.differs_from_loaded": {
        "en": "differs from the version already loaded",
        "zh": "与已加载的同一版本不同"},
    "checklist.not_loaded": {
        "en": "checklist {key} v{version} is not loaded",
        "zh": "检查表 {key} v{version} 尚未加载"},

    # --- assignments (services/assignments.py) -----------------------------------------------------------
    "assignment.cannot_assign": {"en": "cannot assign this audit", "zh": "无法分派该稽核"},
    "assignment.not_active_shopper": {
        "en": "user {id} is not an active shopper",
        "zh": "用户 {id} 不是有效的神秘顾客"},
    "assignment.rotation_clash": {
        "en": "this shopper already has a visit to this dealer within {days} days ({start} to {end})",
        "zh": "该神秘顾客在 {days} 天内已有到访该经销商的安排（{start} 至 {end}）"},
    "assignment.rotation_rule": {
        "en": "rotation rule: at least {days} days between visits to the same dealer",
        "zh": "轮换规则：同一经销商的两次到访至少间隔 {days} 天"},

    # --- the shopper's drafts, submissions and sync (services/shopper.py) --------------------------------
    "shopper.audit_locked": {
        "en": "the audit is {status}: its answers and evidence can no longer be changed",
        "zh": "该稽核{status}：答案和证据不能再修改"},
    "shopper.status_submitted": {"en": "already submitted", "zh": "已提交"},
    "shopper.status_approved": {"en": "approved", "zh": "已批准"},
    "shopper.status_published": {"en": "published", "zh": "已发布"},
    "shopper.status_other": {"en": "{status}", "zh": "状态为 {status}"},
    "shopper.invalid_answers": {
        "en": "some answers are invalid: see errors",
        "zh": "部分答案无效：详见 errors"},
    "shopper.cannot_submit": {
        "en": "the audit cannot be submitted: see errors",
        "zh": "该稽核无法提交：详见 errors"},
    "shopper.idempotency_key_reused": {
        "en": "this Idempotency-Key was already used with a different request: make a new key for a new submission",
        "zh": "该 Idempotency-Key 已用于另一个不同的请求：新的提交请使用新的键"},
    "shopper.idempotency_key_required": {
        "en": "send an Idempotency-Key header: a UUID the phone makes once per submission and repeats on every retry",
        "zh": "请发送 Idempotency-Key 请求头：由手机为每次提交生成一次、每次重试时重复发送的 UUID"},
    "shopper.idempotency_key_not_uuid": {
        "en": "the Idempotency-Key must be a UUID",
        "zh": "Idempotency-Key 必须是 UUID"},
    "shopper.not_a_uuid": {"en": "not a UUID", "zh": "不是 UUID"},
    "shopper.if_match_required": {
        "en": "send If-Match with the ETag of the draft you edited (the audit's 'etag', also the ETag header "
              "of the last save)",
        "zh": "请发送 If-Match，值为所编辑草稿的 ETag（即稽核的 'etag'，也是上次保存返回的 ETag 响应头）"},
    "shopper.if_match_star": {
        "en": "If-Match: * is not accepted: send the ETag of the draft you edited",
        "zh": "不接受 If-Match: *：请发送所编辑草稿的 ETag"},
    "shopper.stale_etag": {
        "en": "the draft was changed since you loaded it (stale ETag): reload it, merge your changes and save again",
        "zh": "草稿在您加载后已被修改（ETag 已过期）：请重新加载、合并修改后再保存"},
    "shopper.current_etag": {"en": "current ETag is {etag}", "zh": "当前 ETag 为 {etag}"},
    "shopper.checkin_required": {
        "en": "a visit is submitted with its GPS check-in",
        "zh": "到店暗访提交时必须附带 GPS 签到"},
    "shopper.checkin_required_field": {
        "en": "required for a visit (the checklist's channel is visit)",
        "zh": "到店暗访必填（检查表的渠道为到店）"},

    # --- review by QA (services/review.py) ---------------------------------------------------------------
    "review.not_submitted_approve": {
        "en": "only a submitted audit can be approved; this one is {status}",
        "zh": "只有已提交的稽核才能批准；该稽核的状态为 {status}"},
    "review.not_submitted_return": {
        "en": "only a submitted audit can be returned; this one is {status}",
        "zh": "只有已提交的稽核才能退回；该稽核的状态为 {status}"},
    # item notes and the review queue (QA in the portal)
    "review.item_notes_unknown_items": {
        "en": "item notes may only name items of the audit's checklist; not {items}",
        "zh": "逐项意见只能针对该稽核检查表中的检查项；以下不是：{items}"},
    "review.item_not_in_checklist": {
        "en": "'{item}' is not an item of this audit's checklist",
        "zh": "'{item}' 不是该稽核检查表中的检查项"},
    "access.shopper_filter_for_qa": {
        "en": "filtering audits by shopper is for QA and admin",
        "zh": "按访客筛选稽核仅限质检和管理员"},

    # --- attachments and photos (services/attachments.py, services/photos.py, api/shopper.py) -----------
    "attachment.file_too_large": {
        "en": "the file is larger than the limit of {limit}",
        "zh": "文件超过 {limit} 的上限"},
    "attachment.at_most_bytes": {"en": "at most {max} bytes", "zh": "最多 {max} 字节"},
    "attachment.bytes": {"en": "{n} bytes", "zh": "{n} 字节"},
    "attachment.sha256_mismatch": {
        "en": "the file does not match its SHA-256: the upload was damaged or the hash is wrong",
        "zh": "文件与其 SHA-256 不符：上传已损坏或哈希值有误"},
    "attachment.sha256_declared_received": {
        "en": "declared {declared}, received {received}",
        "zh": "声明为 {declared}，实际收到 {received}"},
    "attachment.unsupported_type": {
        "en": "only JPEG, PNG, HEIC, PDF and M4A files are accepted (checked from the file's content, not its name)",
        "zh": "只接受 JPEG、PNG、HEIC、PDF 和 M4A 文件（按文件内容判断，而非文件名）"},
    "attachment.unsupported_type_field": {"en": "unsupported file type", "zh": "不支持的文件类型"},
    "attachment.no_such_attachment": {"en": "no such attachment on this audit", "zh": "该稽核没有此附件"},
    "attachment.file_missing": {
        "en": "the file of this attachment is missing from storage",
        "zh": "该附件的文件在存储中缺失"},
    "photo.invalid_file": {
        "en": "the file starts like a {type} but is not a valid one ({why}): only complete JPEG, PNG, HEIC, PDF "
              "and M4A files are accepted",
        "zh": "文件开头像是 {type}，但不是有效的 {type}（{why}）：只接受完整的 JPEG、PNG、HEIC、PDF 和 M4A 文件"},
    "photo.not_valid_type": {"en": "not a valid {type}", "zh": "不是有效的 {type}"},
    "photo.does_not_decode": {"en": "it does not decode", "zh": "无法解码"},
    "photo.no_pdf_header": {"en": "no PDF version header", "zh": "没有 PDF 版本头"},
    "photo.no_pdf_eof": {
        "en": "no end-of-file marker: the document is truncated",
        "zh": "没有文件结束标记：文档不完整"},
    "photo.box_header_cut": {"en": "a box header is cut short", "zh": "有数据盒（box）头部被截断"},
    "photo.box_past_end": {"en": "a box runs past the end of the file", "zh": "有数据盒（box）超出文件末尾"},
    "photo.no_movie_box": {"en": "no movie box", "zh": "没有 movie 数据盒（moov）"},

    # --- disputes (services/disputes.py) -----------------------------------------------------------------
    "dispute.no_such_item": {
        "en": "no such item on this audit's checklist",
        "zh": "该稽核的检查表中没有此检查项"},
    "dispute.unknown_item": {"en": "unknown item '{item}'", "zh": "未知检查项 '{item}'"},
    "dispute.item_not_disputable": {
        "en": "this item cannot be disputed: it is a subjective or record-only item",
        "zh": "该检查项不能申诉：它是主观项或仅作记录的检查项"},
    "dispute.item_not_disputable_field": {"en": "'{item}' is not disputable", "zh": "'{item}' 不可申诉"},
    "dispute.window_closed": {
        "en": "the dispute window closed on {deadline} ({days} working days after publication)",
        "zh": "申诉期已于 {deadline} 结束（发布后 {days} 个工作日）"},
    "dispute.window_closed_field": {"en": "dispute window closed", "zh": "申诉期已结束"},
    "dispute.item_hidden": {
        "en": "this item did not apply to the visit (hidden by an earlier answer)",
        "zh": "该检查项不适用于本次暗访（因前面的答案而未显示）"},
    "dispute.item_not_shown": {"en": "'{item}' was not shown to the shopper", "zh": "'{item}' 未向神秘顾客显示"},
    "dispute.na_not_allowed": {
        "en": "this item cannot be N/A: request 'pass' instead",
        "zh": "该检查项不能判为不适用：请改为申请“达标”（pass）"},
    "dispute.na_not_allowed_field": {
        "en": "not_applicable is not allowed for this item",
        "zh": "该检查项不允许申请 not_applicable"},
    "dispute.already_passes": {
        "en": "this item already passes in the current score",
        "zh": "该检查项在当前得分中已达标"},
    "dispute.already_passes_field": {"en": "already passes", "zh": "已达标"},
    "dispute.already_excluded": {
        "en": "this item already does not count in the current score",
        "zh": "该检查项在当前得分中已不计分"},
    "dispute.already_excluded_field": {"en": "already excluded", "zh": "已不计分"},
    "dispute.upload_evidence_first": {
        "en": "upload the evidence to the audit first (POST /api/v1/audits/{{id}}/attachments)",
        "zh": "请先将证据上传到该稽核（POST /api/v1/audits/{{id}}/attachments）"},
    "dispute.evidence_not_uploaded": {"en": "not uploaded: {sha256}", "zh": "尚未上传：{sha256}"},
    "dispute.already_open": {"en": "this item already has an open dispute", "zh": "该检查项已有未裁定的申诉"},
    "dispute.already_open_field": {"en": "already under dispute", "zh": "申诉中"},
    "dispute.no_such_dispute": {"en": "no such dispute", "zh": "没有该申诉"},
    "dispute.already_decided": {
        "en": "this dispute was already decided ({status})",
        "zh": "该申诉已裁定（{status}）"},
    "dispute.partial_needs_value": {
        "en": "a partial decision sets the new value",
        "zh": "部分成立的裁定必须给出新的答案值"},
    "dispute.partial_needs_value_field": {
        "en": "required when partially upheld",
        "zh": "部分成立时必填"},
    "dispute.invalid_value": {
        "en": "the new value is not a valid answer for this item",
        "zh": "新的答案值不是该检查项的有效答案"},
    "dispute.decided_concurrently": {
        "en": "another reviewer decided this dispute at the same time; reload it",
        "zh": "另一位审核人同时裁定了该申诉，请重新加载"},
    "dispute.escalated_once": {
        "en": "a dispute can be escalated once; the manager's decision is final",
        "zh": "申诉只能上诉一次，区域经理的裁定为最终裁定"},
    "dispute.only_rejected_escalated": {
        "en": "only a rejected dispute can be escalated; this one is {status}",
        "zh": "只有被驳回的申诉才能上诉；该申诉的状态为 {status}"},
    "dispute.escalation_window_closed": {
        "en": "the escalation window closed on {deadline}",
        "zh": "上诉期已于 {deadline} 结束"},
    "dispute.escalation_window_closed_field": {"en": "escalation window closed", "zh": "上诉期已结束"},
    "dispute.changed_concurrently": {
        "en": "the dispute changed at the same time; reload it",
        "zh": "该申诉同时被修改，请重新加载"},

    # --- figures and reports (services/figures/, services/reports.py, api/scores.py) ---------------------
    "figures.no_wave": {"en": "no wave {wave!r}", "zh": "没有波次 {wave!r}"},
    "figures.several_programs": {
        "en": "wave {wave} ran several programs ({programs}): choose one with program=",
        "zh": "波次 {wave} 包含多个项目（{programs}）：请用 program= 选择其一"},
    "figures.program_required": {"en": "required: one of {programs}", "zh": "必填：须为以下之一：{programs}"},
    "figures.no_such_program": {
        "en": "wave {wave} ran no program {program!r} (its programs: {programs})",
        "zh": "波次 {wave} 没有项目 {program!r}（其项目为：{programs}）"},
    "figures.no_such_program_empty": {
        "en": "wave {wave} ran no program {program!r} (it has no audits yet)",
        "zh": "波次 {wave} 没有项目 {program!r}（该波次尚无稽核）"},
    "figures.program_one_of": {"en": "must be one of {programs}", "zh": "必须是以下之一：{programs}"},
    "figures.wave_has_no_audits": {"en": "the wave has no audits", "zh": "该波次没有稽核"},
    "reports.wave_has_no_audits": {
        "en": "wave {wave} has no audits: there is no report to make",
        "zh": "波次 {wave} 没有稽核：无法生成报告"},
    "reports.subject_gone": {
        "en": "the dealer or region of this report no longer exists",
        "zh": "该报告的经销商或区域已不存在"},
    "score.not_scored_yet": {
        "en": "this audit has no score yet: it is scored when QA approves it",
        "zh": "该稽核尚无得分：质检批准后才计算得分"},

    # --- automatic quality flags (services/flags.py) -----------------------------------------------------
    "flag.short_visit": {
        "en": "The visit lasted {duration}; the checklist requires at least {min_minutes} min.",
        "zh": "到店时长{duration}，检查表要求至少{min_minutes}分钟。"},
    "flag.far_checkin": {
        "en": "The check-in was {distance} from the dealer{accuracy}; the allowed radius is {radius} m.",
        "zh": "签到位置距经销商{distance}{accuracy}，允许半径为{radius}米。"},
    "flag.far_checkin.accuracy": {"en": " (GPS accuracy ±{accuracy} m)", "zh": "（GPS精度±{accuracy}米）"},
    "flag.outside_window": {
        "en": "The visit took place on {date} (local time), outside its assigned window {start} to {end}.",
        "zh": "到访日期为{date}（当地时间），不在指定的到访时段{start}至{end}内。"},
    "flag.late_submission": {
        "en": "Submitted {duration} after the visit ended; the limit is {limit_hours} h.",
        "zh": "到访结束{duration}后才提交，期限为{limit_hours}小时。"},
    "flag.clock_skew_ahead": {
        "en": "The phone's clock was {duration} ahead of the server's at submission; the limit is {limit_minutes} min.",
        "zh": "提交时手机时钟比服务器快{duration}，允许误差为{limit_minutes}分钟。"},
    "flag.clock_skew_behind": {
        "en": "The phone's clock was {duration} behind the server's at submission; the limit is {limit_minutes} min.",
        "zh": "提交时手机时钟比服务器慢{duration}，允许误差为{limit_minutes}分钟。"},
    "flag.duplicate_photo_one": {
        "en": "{count} photo also appears in another audit: {photos}.",
        "zh": "{count}张照片也出现在其他稽核中：{photos}。"},
    "flag.duplicate_photo_many": {
        "en": "{count} photos also appear in another audit: {photos}.",
        "zh": "{count}张照片也出现在其他稽核中：{photos}。"},
    "flag.duplicate_photo.photo": {
        "en": "{sha}… ({items}) in audit {audits}",
        "zh": "{sha}…（{items}）见于稽核 {audits}"},
    "flag.photo_time_mismatch": {
        "en": "{count} photo(s) taken outside the visit (capture time from EXIF, {tolerance} min allowed either "
              "side): {photos}.",
        "zh": "{count}张照片的拍摄时间（EXIF）不在到访时间内（前后允许{tolerance}分钟）：{photos}。"},
    "flag.photo_time_mismatch.photo": {
        "en": "{sha}… ({items}) {minutes} min",
        "zh": "{sha}…（{items}）{minutes}分钟"},
    "flag.identical_comment_one": {
        "en": "{count} comment repeats text written in another audit: {comments}.",
        "zh": "{count}条评语与其他稽核中的文字相同：{comments}。"},
    "flag.identical_comment_many": {
        "en": "{count} comments repeat text written in another audit: {comments}.",
        "zh": "{count}条评语与其他稽核中的文字相同：{comments}。"},
    "flag.identical_comment.own": {
        "en": "{item} (this shopper in audit {audits})",
        "zh": "{item}（本访客的稽核 {audits}）"},
    "flag.identical_comment.others": {
        "en": "{item} (another shopper in audit {audits})",
        "zh": "{item}（其他访客的稽核 {audits}）"},
    "flag.identical_comment.both": {
        "en": "{item} (this shopper in audit {own}, another shopper in audit {others})",
        "zh": "{item}（本访客的稽核 {own}，其他访客的稽核 {others}）"},
    "flag.impossible_travel": {
        "en": "The shopper could not have travelled between consecutive visits at up to {speed} km/h: {legs}.",
        "zh": "访客相邻两次到访之间的行程以最高{speed}公里/小时也无法完成：{legs}。"},
    "flag.impossible_travel.leg": {
        "en": "audit {audit}: {km} km in {minutes} min",
        "zh": "稽核 {audit}：{minutes}分钟内相距{km}公里"},

    # --- the web portal (auditapp/portal) -------------------------------------------------------------
    "page.not_found": {"en": "no such page", "zh": "没有该页面"},
    "page.form_expired": {
        "en": "the form has expired or did not come from this site; reload the page and try again",
        "zh": "表单已过期或并非来自本站，请刷新页面后重试"},
    "page.invalid_form": {"en": "some fields need correcting", "zh": "部分字段需要修改"},
    # Object storage (auditapp/storage.py)
    "storage.unavailable": {
        "en": "file storage is unavailable; retry later",
        "zh": "文件存储暂时不可用，请稍后重试"},
    "reports.file_missing": {
        "en": "the stored PDF of this report is missing from storage",
        "zh": "该报告已保存的PDF在存储中缺失"},
    # --- webhooks (services/webhooks.py) -----------------------------------------------------------------
    "webhook.no_such_subscription": {"en": "no such webhook subscription", "zh": "没有该 Webhook 订阅"},
    "webhook.bad_url": {"en": "the webhook URL is not valid", "zh": "Webhook 地址无效"},
    "webhook.url_http_only": {
        "en": "an http:// or https:// URL with a host, at most {max} characters",
        "zh": "须为带主机名的 http:// 或 https:// 地址，最多 {max} 个字符"},
    "webhook.bad_events": {"en": "the events are not valid", "zh": "订阅的事件无效"},
    "webhook.events_one_of": {
        "en": "at least one of: {events}", "zh": "至少一项，须为以下之一：{events}"},
    "webhook.bad_secret": {"en": "the secret is not valid", "zh": "签名密钥无效"},
    "webhook.secret_length": {
        "en": "{min} to {max} characters", "zh": "须为 {min} 至 {max} 个字符"},

    # --- bulk assignment plans (services/assignment_plans.py) --------------------------------------------
    "plan.refused": {
        "en": "the assignment plan was refused and nothing was assigned; problems by row and column: {count}",
        "zh": "分派计划未被接受，未创建任何分派；按行和列列出的问题共 {count} 处"},
    "plan.file_too_large": {
        "en": "the file is larger than {max} bytes",
        "zh": "文件超过 {max} 字节"},
    "plan.not_utf8": {
        "en": "the file is not UTF-8 text: in Excel save it as \"CSV UTF-8 (Comma delimited)\", in WPS as CSV "
              "with the UTF-8 encoding",
        "zh": "文件不是 UTF-8 文本：在 Excel 中请另存为“CSV UTF-8（逗号分隔）”，在 WPS 中请以 UTF-8 编码保存为 CSV"},
    "plan.not_csv": {
        "en": "cannot be read as CSV (a quote left open?)",
        "zh": "无法按 CSV 读取（是否有未闭合的引号？）"},
    "plan.empty": {
        "en": "the file is empty: its first row must name the columns",
        "zh": "文件为空：第一行应为列名"},
    "plan.no_rows": {
        "en": "the plan has no rows below its header",
        "zh": "计划在列名行之下没有任何数据行"},
    "plan.too_many_rows": {
        "en": "at most {max} rows per plan; this one has {count}: split it",
        "zh": "每个计划最多 {max} 行，本计划有 {count} 行：请拆分"},
    "plan.unknown_column": {
        "en": "unknown column; the columns are {columns}",
        "zh": "未知的列；可用的列为 {columns}"},
    "plan.missing_column": {
        "en": "this column is missing",
        "zh": "缺少此列"},
    "plan.duplicate_column": {
        "en": "this column is named twice",
        "zh": "此列名出现了两次"},
    "plan.not_comma_separated": {
        "en": "columns must be separated by commas; this header looks separated by {separator}",
        "zh": "列之间须以英文逗号分隔；此列名行似乎以 {separator} 分隔"},
    "plan.extra_cells": {
        "en": "more values than the header has columns",
        "zh": "值的个数多于列名行的列数"},
    "plan.value_required": {
        "en": "a value is required",
        "zh": "此项必填"},
    "plan.unknown_dealer": {
        "en": "no dealer has the code {code}",
        "zh": "没有代码为 {code} 的经销商"},
    "plan.unknown_shopper": {
        "en": "no user has the email {email}",
        "zh": "没有邮箱为 {email} 的用户"},
    "plan.not_a_shopper": {
        "en": "{email} is a user of role {role}, not a shopper",
        "zh": "{email} 的角色是 {role}，不是神秘顾客"},
    "plan.inactive_shopper": {
        "en": "the shopper {email} is deactivated",
        "zh": "神秘顾客 {email} 已停用"},
    "plan.unknown_checklist": {
        "en": "no version of checklist {key} is loaded",
        "zh": "检查表 {key} 尚无已加载的版本"},
    "plan.bad_version": {
        "en": "must be a whole number from 1",
        "zh": "应为从 1 起的整数"},
    "plan.bad_date": {
        "en": "not a date: write it as YYYY-MM-DD, e.g. 2026-08-01",
        "zh": "不是日期：请写成 YYYY-MM-DD，例如 2026-08-01"},
    "plan.window_order": {
        "en": "the window ends before it starts ({start})",
        "zh": "到访时段的结束日期早于开始日期（{start}）"},
    "plan.duplicate_row": {
        "en": "the same assignment as row {row}",
        "zh": "与第 {row} 行的分派相同"},
    "plan.rotation_in_plan": {
        "en": "rotation rule: row {row} already sends this shopper to this dealer within {days} days "
              "({start} to {end})",
        "zh": "轮换规则：第 {row} 行已安排该神秘顾客在 {days} 天内到访该经销商（{start} 至 {end}）"},
    "plan.problem_in_cell": {
        "en": "row {row}, column {column}: {problem}",
        "zh": "第 {row} 行，{column} 列：{problem}"},
    "plan.problem_in_row": {
        "en": "row {row}: {problem}",
        "zh": "第 {row} 行：{problem}"},
    "plan.problem_in_file": {
        "en": "the file: {problem}",
        "zh": "文件：{problem}"},
    "plan.assigned": {
        "en": "visits assigned in wave {wave}: {count}",
        "zh": "已在波次 {wave} 中分派的到访：{count} 次"},
    # --- corrective action plans (services/actions.py) -------------------------------------------------
    "action.no_such_action": {"en": "no such action", "zh": "没有该整改措施"},
    "action.no_such_wave": {"en": "no wave with code '{wave}'", "zh": "没有代码为 '{wave}' 的轮次"},
    "action.unknown_wave": {"en": "unknown wave", "zh": "未知轮次"},
    "action.unknown_wave_field": {"en": "no wave with code '{wave}'", "zh": "没有代码为 '{wave}' 的轮次"},
    "action.no_published_visits": {
        "en": "the dealer has no published visits of this program in this wave",
        "zh": "该经销商在本轮次没有此项目已发布的访问"},
    "action.no_published_visits_field": {
        "en": "no published visits of '{program}' at this dealer in wave {wave}",
        "zh": "该经销商在轮次 {wave} 没有 '{program}' 已发布的访问"},
    "action.unknown_item": {"en": "unknown item", "zh": "未知检查项"},
    "action.unknown_item_field": {"en": "the program has no item '{item}'", "zh": "该项目没有检查项 '{item}'"},
    "action.already_raised": {
        "en": "this dealer already has an action for this item in this wave",
        "zh": "该经销商在本轮次已有该检查项的整改措施"},
    "action.already_raised_field": {"en": "already has an action", "zh": "已有整改措施"},
    "action.not_editable": {
        "en": "the plan can no longer be changed: the action is {status}",
        "zh": "整改计划已不能修改：当前状态为 {status}"},
    "action.due_out_of_range": {
        "en": "the due date is outside the allowed period",
        "zh": "完成日期超出允许的期限"},
    "action.due_between": {"en": "must be between {first} and {last}", "zh": "须在 {first} 至 {last} 之间"},
    "action.upload_evidence_first": {
        "en": "upload the evidence files to one of your published visits of this program first",
        "zh": "请先将证明文件上传到本项目中贵店已发布的某次访问"},
    "action.evidence_not_uploaded": {"en": "not uploaded: {sha256}", "zh": "尚未上传：{sha256}"},
    "action.plan_incomplete": {
        "en": "the plan is incomplete: see errors",
        "zh": "整改计划不完整：详见 errors"},
    "action.plan_field_missing": {"en": "required before submitting", "zh": "提交前必须填写"},
    "action.not_submittable": {
        "en": "only a planned action can be submitted; this one is {status}",
        "zh": "只有已计划的整改措施可以提交；当前状态为 {status}"},
    "action.evidence_required": {
        "en": "attach evidence of implementation before submitting",
        "zh": "提交前请附上实施证明"},
    "action.evidence_required_field": {"en": "at least one file", "zh": "至少一个文件"},
    "action.not_submitted": {
        "en": "only a submitted plan can be accepted or returned; this one is {status}",
        "zh": "只有已提交的整改计划可以通过或退回；当前状态为 {status}"},
    "action.changed_concurrently": {
        "en": "the action was changed by someone else at the same time; reload it and try again",
        "zh": "该整改措施同时被他人修改，请重新加载后再试"},
    "action.no_plan_changes": {
        "en": "send at least one of root_cause, measures, responsible, due_on, evidence",
        "zh": "请至少提供 root_cause、measures、responsible、due_on、evidence 中的一项"},
}


class Message(str):
    """A catalogue text with its parameters; as a `str`, its English text.

    Construction fails on an unknown key or a missing parameter, so a wrong raise site fails its tests
    rather than sending a broken text (tests/test_messages.py also checks every key used in the code)."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> Message:
        self = super().__new__(cls, _fill(CATALOGUE[key]["en"], params, "en"))
        self.key = key
        self.params = params
        return self

    def render(self, language: str) -> str:
        return _fill(CATALOGUE[self.key][language], self.params, language)

    def texts(self) -> dict[str, str]:
        """The text in every language: {"zh": ..., "en": ...}."""
        return {language: self.render(language) for language in LANGUAGES}

    def format(self, *args: Any, **kwargs: Any) -> Message:
        # marshmallow formats the messages it is given (`error.format(input=...)`): keep the key.
        return Message(self.key, **{**kwargs, **self.params})

    def __reduce__(self) -> tuple[Any, ...]:
        # copy/deepcopy (marshmallow copies fields and their messages) would otherwise call
        # Message(<English text>).
        return _restore, (self.key, self.params)


def _restore(key: str, params: dict[str, Any]) -> Message:
    return Message(key, **params)


def _fill(template: str, params: Mapping[str, Any], language: str) -> str:
    return template.format(**{name: _param(value, language) for name, value in params.items()})


def _param(value: Any, language: str) -> Any:
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, Mapping) and set(LANGUAGES) <= set(value):
        return value[language]
    if isinstance(value, (list, tuple)):
        return CLAUSE_SEPARATORS[language].join(str(_param(v, language)) for v in value)
    return value


def localize(value: Any, language: str) -> Any:
    """`value` with every Message inside it (dict values, list items) rendered in `language`."""
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, Mapping):
        return {key: localize(inner, language) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [localize(inner, language) for inner in value]
    return value


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses (what each language's text of one key must agree on)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
            if name is not None}
